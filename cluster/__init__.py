"""Operator tooling: Ray cluster configs, KubeRay manifests and the ops CLI."""
