"""The deployment configs agree with the code they deploy.

docker-compose.yml and cluster/compose/, ray-cluster.yaml, cluster/kuberay/, the
Dockerfile and the CI workflow are parsed and cross-checked: every environment variable
given to our image is a field of ``contexts.shared.settings.Settings`` (or one of Ray's own
``RAY_AUTH_*``), commands name entry points that exist, ports agree with ``PORT``, the
Ray head's port is the one its drivers and workers use, nginx proxies to the API.
No network, no Docker engine: ``docker compose config`` runs where a client exists.

Each check returns a list of problems; the tests assert it is empty for the real files,
and ``test_the_checks_catch_mistakes`` shows each check failing on a broken copy.
"""

from __future__ import annotations

import base64
import copy
import importlib.util
import ipaddress
import json
import os
import re
import secrets
import shutil
import subprocess
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from contexts.shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
COMPOSE_DIR = ROOT / "cluster" / "compose"
KUBERAY = ROOT / "cluster" / "kuberay"
RAY_CLUSTER = ROOT / "ray-cluster.yaml"
DOCKERFILE = ROOT / "Dockerfile"
CI = ROOT / ".github" / "workflows" / "ci.yml"

SETTINGS = frozenset(Settings.model_fields)
RAY_ENV = frozenset({"RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"})  # Ray reads them
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
IMAGE = f"ticketing:{VERSION}"
OUR_IMAGES = (IMAGE, f"ticketing-devservers:{VERSION}")
DRIVERS = ("api", "payments", "notifications")  # compose services that are Ray drivers
RAY_NODES = ("ray-head", "ray-worker")
REQUIRED_SERVICES = (*DRIVERS, *RAY_NODES, "mongodb", "rabbitmq", "nginx", "certs")
REQUIRED_SERVICES += ("otel-collector", "prometheus")


# ---- helpers ------------------------------------------------------------------------------


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def interpolate(value: Any) -> str:
    """A compose value with ``${VAR:-default}`` / ``${VAR}`` replaced as an empty
    environment would (the default, or nothing)."""
    text = str(value)
    text = re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}", r"\1", text)
    text = re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}", "", text)
    return text.replace("$$", "$")


def env_problems(names: Iterable[str], where: str) -> list[str]:
    """Names that are neither a Settings field (upper case) nor one of Ray's own."""
    return [
        f"{where}: {name} is not a field of contexts.shared.settings.Settings"
        for name in names
        if name not in RAY_ENV and (name != name.upper() or name.lower() not in SETTINGS)
    ]


def settings_from(env: dict[str, Any]) -> Settings:
    """The Settings these variables give (values validated by the settings object)."""
    values = {k.lower(): interpolate(v) for k, v in env.items() if k.lower() in SETTINGS}
    return Settings(**values)


def flag(command: Iterable[str], name: str) -> str | None:
    """The value of ``--name=value`` (or ``--name value``) in a command, if present."""
    words = list(command)
    for i, word in enumerate(words):
        if word.startswith(f"--{name}="):
            return word.split("=", 1)[1]
        if word == f"--{name}" and i + 1 < len(words):
            return words[i + 1]
    return None


def words(command: str | list[str]) -> list[str]:
    return command.split() if isinstance(command, str) else [str(w) for w in command]


def module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def python_module(command: list[str]) -> str | None:
    """``m`` of ``python -m m ...``."""
    if len(command) >= 3 and command[0] in ("python", "python3") and command[1] == "-m":
        return command[2]
    return None


# ---- nginx.conf: a small parser (directives, blocks) ------------------------------------

Directive = tuple[str, list[str], list[Any] | None]
_NGINX_TOKEN = re.compile(r"#[^\n]*|'[^']*'|\"[^\"]*\"|[{};]|[^\s{};'\"#]+")


def parse_nginx(text: str) -> list[Directive]:
    tokens = [t for t in _NGINX_TOKEN.findall(text) if not t.startswith("#")]
    position = 0

    def block() -> list[Directive]:
        nonlocal position
        out: list[Directive] = []
        current: list[str] = []
        while position < len(tokens):
            token = tokens[position]
            position += 1
            if token == ";":
                out.append((current[0], current[1:], None))
                current = []
            elif token == "{":
                out.append((current[0], current[1:], block()))
                current = []
            elif token == "}":
                assert not current, f"nginx.conf: unterminated directive {current}"
                return out
            else:
                current.append(token.strip("'\""))
        assert not current, f"nginx.conf: unterminated directive {current}"
        return out

    return block()


def nginx_find(directives: list[Directive], name: str) -> Iterator[Directive]:
    for directive in directives:
        if directive[0] == name:
            yield directive
        if directive[2] is not None:
            yield from nginx_find(directive[2], name)


# ---- docker-compose.yml -------------------------------------------------------------------


def compose_env(service: dict[str, Any]) -> dict[str, Any]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return env


def compose_problems(compose: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    services: dict[str, Any] = compose.get("services", {})
    if missing := set(REQUIRED_SERVICES) - set(services):
        return [f"compose: services missing: {sorted(missing)}"]

    for name, service in services.items():
        if service.get("image") in OUR_IMAGES:
            problems += env_problems(compose_env(service), f"compose {name}")
        elif service.get("build") is not None:
            problems.append(f"compose {name}: builds an image not named {OUR_IMAGES}")

    head = words(services["ray-head"].get("command", []))
    port = flag(head, "port")
    if head[:3] != ["ray", "start", "--head"] or "--block" not in head or port is None:
        problems.append("compose ray-head: not `ray start --head --port=N ... --block`")
    worker = words(services["ray-worker"].get("command", []))
    if worker[:2] != ["ray", "start"] or "--block" not in worker:
        problems.append("compose ray-worker: not `ray start --address=... --block`")
    if flag(worker, "address") != f"ray-head:{port}":
        problems.append(f"compose ray-worker: --address is not ray-head:{port}")

    for name in RAY_NODES + DRIVERS:
        env = {k: interpolate(v) for k, v in compose_env(services[name]).items()}
        if env.get("RAY_AUTH_MODE") != "token":
            problems.append(f"compose {name}: RAY_AUTH_MODE is not token")
        token_path = env.get("RAY_AUTH_TOKEN_PATH")
        mounts = [str(v).split(":")[1] for v in services[name].get("volumes", [])]
        if not env.get("RAY_AUTH_TOKEN") and not (
            token_path and str(Path(token_path).parent) in mounts
        ):
            problems.append(f"compose {name}: no Ray token (RAY_AUTH_TOKEN(_PATH) + volume)")

    api_port = None
    for name in DRIVERS:
        service = services[name]
        command = words(service.get("command", []))
        module = python_module(command)
        expected = "api" if name == "api" else f"workers.{name}"
        if module != expected or not module_exists(expected):
            problems.append(f"compose {name}: command {command} is not python -m {expected}")
        try:
            settings = settings_from(compose_env(service))
        except ValueError as exc:
            problems.append(f"compose {name}: invalid settings: {exc}")
            continue
        if settings.run_workers:
            problems.append(f"compose {name}: RUN_WORKERS must be false (workers run apart)")
        if settings.ray_address != f"ray-head:{port}":
            problems.append(f"compose {name}: RAY_ADDRESS is not ray-head:{port}")
        if settings.dev_servers:
            problems.append(f"compose {name}: DEV_SERVERS must be false")
        if name == "api":
            api_port = settings.port
            if settings.host in ("127.0.0.1", "localhost", "::1"):
                problems.append("compose api: HOST binds loopback; nginx cannot reach it")

    api = services["api"]
    if (api.get("deploy") or {}).get("replicas", 1) < 2:
        problems.append("compose api: fewer than 2 replicas")
    if api.get("ports"):
        problems.append("compose api: publishes ports; traffic must go through nginx")
    if (api.get("healthcheck") or {}).get("disable"):
        problems.append("compose api: healthcheck disabled")
    problems += proxy_trust_problems(compose)
    problems += nginx_problems((COMPOSE_DIR / "nginx.conf").read_text(), services, api_port or 0)
    problems += prometheus_problems(load(COMPOSE_DIR / "prometheus.yml"), services, api_port or 0)
    problems += otel_problems(load(COMPOSE_DIR / "otel-collector.yaml"), services)
    return problems


def proxy_trust_problems(compose: dict[str, Any]) -> list[str]:
    """The API trusts X-Forwarded-For from nginx's fixed address alone: one in the
    compose network's subnet, outside the range Docker hands out to other containers."""
    nginx = (compose["services"]["nginx"].get("networks") or {}).get("default") or {}
    address = ipaddress.ip_address(nginx.get("ipv4_address") or "0.0.0.0")
    ipam = ((compose.get("networks") or {}).get("default") or {}).get("ipam", {})
    pools = ipam.get("config", [])
    problems = []
    if not any(
        address in ipaddress.ip_network(p["subnet"])
        and address not in ipaddress.ip_network(p.get("ip_range", "0.0.0.0/32"))
        for p in pools
    ):
        problems.append("compose nginx: no fixed address in the subnet, outside its ip_range")
    for name in DRIVERS:
        trusted = interpolate(compose_env(compose["services"][name]).get("FORWARDED_ALLOW_IPS"))
        if trusted != str(address):
            problems.append(f"compose {name}: FORWARDED_ALLOW_IPS {trusted} is not nginx's")
    return problems


def nginx_problems(text: str, services: dict[str, Any], api_port: int) -> list[str]:
    problems: list[str] = []
    conf = parse_nginx(text)
    volumes = services["nginx"].get("volumes", [])
    mounts = dict(str(v).split(":")[:2][::-1] for v in volumes)
    if mounts.get("/etc/nginx/nginx.conf") != "./cluster/compose/nginx.conf":
        problems.append("nginx: cluster/compose/nginx.conf is not mounted as nginx.conf")
    upstreams = {d[1][0]: d[2] or [] for d in nginx_find(conf, "upstream")}
    to_api = {
        name
        for name, body in upstreams.items()
        if any(d[0] == "server" and d[1][0] == f"api:{api_port}" for d in body)
    }
    if not to_api:
        problems.append(f"nginx: no upstream with `server api:{api_port}`")
    for name, body in upstreams.items():
        hosts = [d[1][0].split(":")[0] for d in body if d[0] == "server"]
        if not hosts or any(host not in services for host in hosts):
            problems.append(f"nginx: upstream {name} servers {hosts} are not compose services")
    passes = [d[1][0] for d in nginx_find(conf, "proxy_pass")]
    if any(p.removeprefix("http://").rstrip("/") not in upstreams for p in passes):
        problems.append(f"nginx: proxy_pass {passes} not all to an upstream")
    root = [
        d[1][0]
        for location in nginx_find(conf, "location")
        if location[1] == ["/"]
        for d in location[2] or []
        if d[0] == "proxy_pass"
    ]
    if len(root) != 1 or root[0].removeprefix("http://") not in to_api:
        problems.append(f"nginx: `location /` does not proxy_pass to the api upstream {to_api}")
    listens = [d[1] for d in nginx_find(conf, "listen")]
    if not any("ssl" in args for args in listens):
        problems.append("nginx: no `listen ... ssl` (TLS termination)")
    for directive in ("ssl_certificate", "ssl_certificate_key"):
        paths = [d[1][0] for d in nginx_find(conf, directive)]
        if not paths or any(str(Path(p).parent) not in mounts for p in paths):
            problems.append(f"nginx: {directive} {paths} is not in a mounted volume")
    if not list(nginx_find(conf, "client_max_body_size")):
        problems.append("nginx: no client_max_body_size")
    zones = {
        arg.split(":")[0].removeprefix("zone=")
        for d in nginx_find(conf, "limit_req_zone")
        for arg in d[1]
        if arg.startswith("zone=")
    }
    used = {
        arg.removeprefix("zone=")
        for d in nginx_find(conf, "limit_req")
        for arg in d[1]
        if arg.startswith("zone=")
    }
    if not used or not used <= zones:
        problems.append(f"nginx: limit_req zones {used} not all defined in {zones}")
    return problems


def prometheus_problems(config: dict[str, Any], services: dict[str, Any], api_port: int):
    problems: list[str] = []
    targets: dict[str, set[str]] = {}
    for job in config.get("scrape_configs", []):
        found = targets.setdefault(job.get("metrics_path", "/metrics"), set())
        for sd in job.get("dns_sd_configs", []):
            found.update(f"{n}:{sd['port']}" for n in sd.get("names", []))
        for static in job.get("static_configs", []):
            found.update(static.get("targets", []))
    if f"api:{api_port}" not in targets.get("/metrics", set()):
        problems.append(f"prometheus: does not scrape api:{api_port}/metrics")
    for name in DRIVERS:
        port = compose_env(services[name]).get("METRICS_PORT")
        if port and f"{name}:{port}" not in targets.get("/metrics", set()):
            problems.append(f"prometheus: does not scrape {name} on METRICS_PORT {port}")
    for name in RAY_NODES:
        port = flag(words(services[name].get("command", [])), "metrics-export-port")
        if port is None or f"{name}:{port}" not in targets.get("/metrics", set()):
            problems.append(f"prometheus: does not scrape {name}'s Ray metrics ({port})")
    mounts = [str(v) for v in services["prometheus"].get("volumes", [])]
    if not any(m.startswith("./cluster/compose/prometheus.yml:") for m in mounts):
        problems.append("prometheus: cluster/compose/prometheus.yml is not mounted")
    return problems


def otel_problems(config: dict[str, Any], services: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for pipeline, spec in config["service"]["pipelines"].items():
        for kind in ("receivers", "processors", "exporters"):
            for component in spec.get(kind, []):
                if component not in (config.get(kind) or {}):
                    problems.append(f"otel: pipeline {pipeline} uses undefined {component}")
    mounts = [str(v) for v in services["otel-collector"].get("volumes", [])]
    if not any(m.startswith("./cluster/compose/otel-collector.yaml:") for m in mounts):
        problems.append("otel: cluster/compose/otel-collector.yaml is not mounted")
    if "otel_endpoint" in SETTINGS:  # the services export where the collector listens
        http = config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].rsplit(":", 1)[1]
        for name in DRIVERS:
            env = {k: interpolate(v) for k, v in compose_env(services[name]).items()}
            if env.get("OTEL_EXPORTER", "otlp") != "otlp":
                continue
            if env.get("OTEL_ENDPOINT") != f"http://otel-collector:{http}":
                problems.append(f"otel: {name} OTEL_ENDPOINT is not the collector's OTLP/HTTP")
    return problems


# ---- ray-cluster.yaml ---------------------------------------------------------------------


def ray_cluster_problems(config: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    required = (
        "cluster_name provider auth available_node_types head_node_type max_workers"
        " setup_commands head_start_ray_commands worker_start_ray_commands file_mounts"
    )
    for key in required.split():
        if key not in config:
            problems.append(f"ray-cluster: {key} missing")
    if problems:
        return problems
    types = config["available_node_types"]
    head = config["head_node_type"]
    if head not in types:
        problems.append(f"ray-cluster: head_node_type {head} not in available_node_types")
    workers = {name: t for name, t in types.items() if name != head}
    if not workers:
        problems.append("ray-cluster: no worker node type")
    for name, node_type in types.items():
        low, high = node_type.get("min_workers", 0), node_type.get("max_workers", 0)
        if not 0 <= low <= high <= config["max_workers"] and name != head:
            problems.append(f"ray-cluster {name}: not 0 <= min {low} <= max {high} <= global")
        for key in ("node_config", "resources"):
            if key not in node_type:
                problems.append(f"ray-cluster {name}: {key} missing")
    if sum(t.get("min_workers", 0) for t in workers.values()) > config["max_workers"]:
        problems.append("ray-cluster: sum of min_workers above max_workers")

    head_start = [c for c in config["head_start_ray_commands"] if "ray start" in c]
    worker_start = [c for c in config["worker_start_ray_commands"] if "ray start" in c]
    if len(head_start) != 1 or len(worker_start) != 1:
        return [*problems, "ray-cluster: one `ray start` each for head and workers"]
    head_words, worker_words = head_start[0].split(), worker_start[0].split()
    port = flag(head_words, "port")
    if "--head" not in head_words or port is None:
        problems.append("ray-cluster: the head's `ray start --head` has no explicit --port")
    if flag(head_words, "autoscaling-config") != "~/ray_bootstrap_config.yaml":
        problems.append("ray-cluster: head not started with the autoscaling config")
    if flag(worker_words, "address") != f"$RAY_HEAD_IP:{port}":
        problems.append(f"ray-cluster: workers do not join $RAY_HEAD_IP:{port}")
    for command in (head_start[0], worker_start[0]):
        if "RAY_AUTH_MODE=token" not in command:
            problems.append(f"ray-cluster: token auth off in `{command}`")
    if config["file_mounts"].get("~/.ray/auth_token") is None:
        problems.append("ray-cluster: the auth token (~/.ray/auth_token) is not mounted")
    project = [remote for remote, local in config["file_mounts"].items() if local == "."]
    setup = " && ".join(config["setup_commands"])
    if not project:
        problems.append("ray-cluster: the project (.) is not in file_mounts")
    elif f"pip install -e {project[0]}" not in setup:
        problems.append(f"ray-cluster: setup_commands do not install {project[0]}")
    if "python3.13 -m venv" not in setup:
        problems.append("ray-cluster: setup_commands do not make a Python 3.13 venv")
    return problems


# ---- cluster/kuberay ----------------------------------------------------------------------

KINDS = {
    "RayCluster": "ray.io/v1",
    "Deployment": "apps/v1",
    "Service": "v1",
    "ConfigMap": "v1",
    "Secret": "v1",
    "Namespace": "v1",
    "Kustomization": "kustomize.config.k8s.io/v1beta1",
}


def kuberay_docs() -> list[dict[str, Any]]:
    return [doc for path in sorted(KUBERAY.glob("*.yaml")) for doc in load_all(path)]


def pod_specs(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    spec = doc.get("spec", {})
    if doc["kind"] == "Deployment":
        yield doc["metadata"]["name"], spec["template"]["spec"]
    elif doc["kind"] == "RayCluster":
        yield "ray-head", spec["headGroupSpec"]["template"]["spec"]
        for group in spec.get("workerGroupSpecs", []):
            yield f"ray-{group['groupName']}", group["template"]["spec"]


def filled(env: dict[str, Any]) -> dict[str, Any]:
    """``env`` with each CHANGE-ME placeholder replaced by a value of a real secret's
    shape (random hex after the value's prefix: ``sk_live_``, ``whsec_``...)."""
    out = {}
    for key, value in env.items():
        text = str(value)
        if key == "TICKET_SIGNING_KEY" and "CHANGE-ME" in text:
            text = base64.b64encode(secrets.token_bytes(32)).decode()
        out[key] = re.sub(r"CHANGE-ME[-\w]*", lambda _: secrets.token_hex(32), text)
    return out


def kuberay_problems(docs: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    for doc in docs:
        kind = doc.get("kind")
        if KINDS.get(kind) != doc.get("apiVersion"):
            problems.append(f"kuberay: {kind} has apiVersion {doc.get('apiVersion')}")
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for doc in docs:
        name = doc.get("metadata", {}).get("name", "")
        by_kind.setdefault(doc["kind"], {})[name] = doc
    if problems:
        return problems

    kustomization = next(iter(by_kind.get("Kustomization", {}).values()), None)
    if kustomization is None:
        return ["kuberay: no kustomization.yaml"]
    listed = set(kustomization.get("resources", []))
    files = {p.name for p in KUBERAY.glob("*.yaml")} - {"kustomization.yaml"}
    if missing := files - listed - {"secret.example.yaml"}:
        problems.append(f"kuberay: kustomization.yaml does not list {sorted(missing)}")
    if absent := {r for r in listed if not (KUBERAY / r).exists()}:
        problems.append(f"kuberay: kustomization.yaml lists missing files {sorted(absent)}")
    images = {i["name"]: i for i in kustomization.get("images", [])}
    image_name, _, tag = IMAGE.partition(":")
    if images.get(image_name, {}).get("newTag") != tag:
        problems.append(f"kuberay: kustomization images does not pin {image_name} to {tag}")

    config_maps = {n: d.get("data", {}) for n, d in by_kind.get("ConfigMap", {}).items()}
    secrets = {
        n: {**d.get("data", {}), **d.get("stringData", {})}
        for n, d in by_kind.get("Secret", {}).items()
    }
    for name, data in config_maps.items():
        problems += env_problems(data, f"kuberay ConfigMap {name}")
    for name, data in secrets.items():
        if name != "ray-auth":
            problems += env_problems(data, f"kuberay Secret {name}")

    clusters = by_kind.get("RayCluster", {})
    if len(clusters) != 1:
        return [*problems, "kuberay: expected one RayCluster"]
    cluster_name, cluster = next(iter(clusters.items()))
    head_spec = cluster["spec"]["headGroupSpec"]
    head_ports = {
        p.get("name"): p["containerPort"]
        for c in head_spec["template"]["spec"]["containers"]
        for p in c.get("ports", [])
    }
    gcs_port = head_ports.get("gcs-server")
    if str(head_spec.get("rayStartParams", {}).get("port", gcs_port)) != str(gcs_port):
        problems.append("kuberay: rayStartParams port differs from the gcs-server port")
    for group in cluster["spec"].get("workerGroupSpecs", []):
        low, count, high = group["minReplicas"], group["replicas"], group["maxReplicas"]
        if not 0 <= low <= count <= high:
            problems.append(f"kuberay: group {group['groupName']} not min <= replicas <= max")

    def token_env_problems(env: list[dict[str, Any]], where: str) -> list[str]:
        found = {e["name"]: e for e in env}
        mode = found.get("RAY_AUTH_MODE", {}).get("value")
        ref = found.get("RAY_AUTH_TOKEN", {}).get("valueFrom", {}).get("secretKeyRef", {})
        out = [] if mode == "token" else [f"{where}: RAY_AUTH_MODE is not token"]
        if ref.get("key") not in secrets.get(ref.get("name"), {}):
            out.append(f"{where}: RAY_AUTH_TOKEN is not from a Secret key")
        return out

    problems += token_env_problems(
        cluster["spec"].get("autoscalerOptions", {}).get("env", []), "kuberay autoscaler"
    )
    for owner, pod in (p for d in docs for p in pod_specs(d)):
        for container in pod["containers"]:
            where = f"kuberay {owner}/{container['name']}"
            if container.get("image") != IMAGE:
                problems.append(f"{where}: image {container.get('image')} is not {IMAGE}")
            env = container.get("env", [])
            problems += env_problems([e["name"] for e in env], where)
            problems += token_env_problems(env, where)
            if (pod.get("securityContext") or {}).get("runAsNonRoot") is not True:
                problems.append(f"{where}: not runAsNonRoot")
            for source in container.get("envFrom", []):
                if (ref := source.get("configMapRef")) and ref["name"] not in config_maps:
                    problems.append(f"{where}: envFrom unknown ConfigMap {ref['name']}")
                if (ref := source.get("secretRef")) and ref["name"] not in secrets:
                    problems.append(f"{where}: envFrom unknown Secret {ref['name']}")

    deployments = by_kind.get("Deployment", {})
    env_values = {
        k: v for data in [*config_maps.values(), *secrets.values()] for k, v in data.items()
    }
    if "*" in str(env_values.get("FORWARDED_ALLOW_IPS", "")):
        problems.append("kuberay: FORWARDED_ALLOW_IPS trusts every client ('*')")
    try:  # as an operator fills it in: the example's placeholders are refused (below)
        settings = settings_from(filled(env_values))
    except ValueError as exc:
        return [*problems, f"kuberay: invalid settings: {exc}"]
    if settings.ray_address != f"{cluster_name}-head-svc:{gcs_port}":
        problems.append(f"kuberay: RAY_ADDRESS is not {cluster_name}-head-svc:{gcs_port}")
    if settings.run_workers or settings.dev_servers:
        problems.append("kuberay: RUN_WORKERS and DEV_SERVERS must be false")
    if "api" not in deployments:
        return [*problems, "kuberay: no Deployment api"]
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]
        selector = deployment["spec"]["selector"]["matchLabels"]
        if selector.items() - pod["metadata"]["labels"].items():
            problems.append(f"kuberay Deployment {name}: selector does not match its pods")
        (container,) = pod["spec"]["containers"]
        expected = "api" if name == "api" else f"workers.{name}"
        module = python_module(container.get("args", []))
        if module != expected or not module_exists(expected) or container.get("command"):
            problems.append(f"kuberay Deployment {name}: args are not python -m {expected}")
    api_pod = deployments["api"]["spec"]["template"]
    (api,) = api_pod["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in api.get("ports", [])}
    if ports.get("http") != settings.port:
        problems.append(f"kuberay api: containerPort http {ports.get('http')} != PORT")
    for probe, path in (("readinessProbe", "/ready"), ("livenessProbe", "/health")):
        got = api.get(probe, {}).get("httpGet", {})
        if got.get("path") != path or got.get("port") not in ("http", settings.port):
            problems.append(f"kuberay api: {probe} is not GET {path} on the API port")
    services = [s for s in by_kind.get("Service", {}).values()]
    fronts = [
        s
        for s in services
        if s["spec"]["selector"].items() <= api_pod["metadata"]["labels"].items()
        and any(p.get("targetPort") in ("http", settings.port) for p in s["spec"]["ports"])
    ]
    if not fronts:
        problems.append("kuberay: no Service selects the api pods on the API port")
    return problems


# ---- Dockerfile ---------------------------------------------------------------------------


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def dockerfile_problems(text: str) -> list[str]:
    problems: list[str] = []
    steps = dockerfile_instructions(text)
    args = dict(a.split("=", 1) for k, a in steps if k == "ARG" and "=" in a)  # global ARG defaults
    stages: dict[str, list[tuple[str, str]]] = {}
    parents: dict[str, str] = {}
    current = None
    for keyword, rest in steps:
        if keyword == "FROM":
            base, _, name = rest.partition(" AS ")
            base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), base.strip())
            current = name.strip() or base
            stages[current], parents[current] = [], base
        elif current:
            stages[current].append((keyword, rest))
    if not stages:
        return ["Dockerfile: no stage"]

    def chain(stage: str) -> list[str]:  # the stage and the stages it builds on
        return [stage, *chain(parents[stage])] if stage in stages else []

    final = list(stages)[-1]
    lineage = chain(final)
    root = parents[lineage[-1]]
    if root != "python:3.13-slim":
        problems.append(f"Dockerfile: the runtime is based on {root}, not python:3.13-slim")
    if "builder" not in stages or parents[chain("builder")[-1]] != "python:3.13-slim":
        problems.append("Dockerfile: no builder stage from python:3.13-slim")
    if not any(k == "COPY" and "--from=builder" in r for s in lineage for k, r in stages[s]):
        problems.append("Dockerfile: the runtime does not copy the builder's venv")

    def last(keyword: str) -> str | None:
        for stage in lineage:  # the final stage first, then its parents
            found = [r for k, r in stages[stage] if k == keyword]
            if found:
                return found[-1]
        return None

    user = last("USER")
    if user in (None, "root", "0") or (user or "").startswith(("root:", "0:")):
        problems.append(f"Dockerfile: runs as {user or 'root'}")
    health = last("HEALTHCHECK") or ""
    port = Settings.model_fields["port"].default
    if "/health" not in health:
        problems.append("Dockerfile: no HEALTHCHECK on /health")
    if (last("CMD") or "").replace(" ", "") != '["python","-m","api"]':
        problems.append("Dockerfile: CMD is not python -m api")
    if last("EXPOSE") != str(port) or f"PORT={port}" not in (last("ENV") or ""):
        problems.append(f"Dockerfile: EXPOSE / ENV PORT are not the settings port {port}")
    entrypoint = json.loads(last("ENTRYPOINT") or "[]")
    for keyword, rest in (s for stage in lineage for s in stages[stage]):
        if keyword == "COPY" and entrypoint and entrypoint[-1] in rest:
            source = ROOT / rest.split()[-2]
            if not (source.is_file() and os.access(source, os.X_OK)):
                problems.append(f"Dockerfile: entrypoint {source} missing or not executable")
    return problems


# ---- the tests ----------------------------------------------------------------------------


def deploy_yaml_files() -> list[Path]:
    files = [COMPOSE, RAY_CLUSTER, CI, *COMPOSE_DIR.glob("*.y*ml"), *KUBERAY.glob("*.yaml")]
    return sorted(files)


@pytest.mark.parametrize("path", deploy_yaml_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_deploy_yaml_parses(path: Path) -> None:
    assert load_all(path), f"{path} is empty"


def test_compose_matches_settings_and_services() -> None:
    assert compose_problems(load(COMPOSE)) == []


def compose_client() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_config_parses(tmp_path: Path) -> None:
    """`docker compose config` (no engine needed) accepts our file, and refuses a bad one."""
    client = compose_client()
    if client is None:
        pytest.skip("no `docker compose` nor `docker-compose` client on this machine")
    good = subprocess.run(
        [*client, "-f", str(COMPOSE), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert good.returncode == 0, good.stderr
    bad = tmp_path / "docker-compose.yml"
    bad.write_text("services:\n  api:\n    image: x\n    not_a_compose_key: 1\n")
    refused = subprocess.run(
        [*client, "-f", str(bad), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert refused.returncode != 0


def test_ray_cluster_is_a_valid_autoscaler_config() -> None:
    config = load(RAY_CLUSTER)
    assert ray_cluster_problems(config) == []
    # Ray's own schema, then what `ray up` does before launching anything.
    jsonschema = pytest.importorskip("jsonschema")
    import ray.autoscaler
    from ray.autoscaler._private.util import prepare_config, validate_config

    schema_path = Path(ray.autoscaler.__file__).parent / "ray-schema.json"
    jsonschema.validate(config, json.loads(schema_path.read_text()))
    validate_config(prepare_config(copy.deepcopy(config)))


def test_kuberay_manifests_are_consistent() -> None:
    assert kuberay_problems(kuberay_docs()) == []


def test_dockerfile() -> None:
    assert dockerfile_problems(DOCKERFILE.read_text()) == []
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var"} <= set(ignored)


def test_ci_workflow_runs_lint_and_tests_with_brokers() -> None:
    workflow = load(CI)
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    assert triggers, "no trigger"
    (job,) = workflow["jobs"].values()
    runs = [step.get("run", "") for step in job["steps"]]
    assert any(r.startswith("make lint") for r in runs)
    assert any(r.startswith("make test") for r in runs)
    python = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/setup-python")]
    assert python and str(python[0]["with"]["python-version"]) == "3.13"
    services = job["services"]
    assert "5672:5672" in services["rabbitmq"]["ports"]
    assert "5432:5432" in services["postgres"]["ports"]
    assert services["postgres"]["env"]["POSTGRES_HOST_AUTH_METHOD"] == "trust"


def test_the_checks_catch_mistakes() -> None:
    """Each check above fails on a broken copy of the real file."""
    assert env_problems(["PORT", "RAY_AUTH_TOKEN", "NOT_A_SETTING", "port"], "x") == [
        "x: NOT_A_SETTING is not a field of contexts.shared.settings.Settings",
        "x: port is not a field of contexts.shared.settings.Settings",
    ]

    compose = load(COMPOSE)
    broken = copy.deepcopy(compose)
    broken["services"]["api"]["environment"]["WORKERS"] = "4"  # not a setting
    broken["services"]["payments"]["environment"]["RAY_ADDRESS"] = "ray-head:6380"
    broken["services"]["notifications"]["command"] = ["python", "-m", "workers.nope"]
    broken["services"]["ray-worker"]["environment"] = {}
    broken["services"]["api"]["environment"]["FORWARDED_ALLOW_IPS"] = "*"
    problems = compose_problems(broken)
    assert any("api: FORWARDED_ALLOW_IPS * is not nginx's" in p for p in problems)
    assert any("WORKERS is not a field" in p for p in problems)
    assert any("payments: RAY_ADDRESS" in p for p in problems)
    assert any("notifications: command" in p for p in problems)
    assert any("ray-worker: RAY_AUTH_MODE" in p for p in problems)

    nginx = (COMPOSE_DIR / "nginx.conf").read_text()
    assert nginx_problems(nginx, compose["services"], 9000)  # the API on another port
    wrong = nginx.replace("proxy_pass http://api;", "proxy_pass http://elsewhere;", 1)
    assert nginx_problems(wrong, compose["services"], 8000)

    ray_config = load(RAY_CLUSTER)
    for mutate in (
        lambda c: c.update(head_node_type="ray.head.gone"),
        lambda c: c["available_node_types"]["ray.worker.inventory"].update(min_workers=20),
        lambda c: c.update(head_start_ray_commands=["ray start --head"]),
        lambda c: c.update(worker_start_ray_commands=["ray start --address=$RAY_HEAD_IP:1"]),
    ):
        broken_ray = copy.deepcopy(ray_config)
        mutate(broken_ray)
        assert ray_cluster_problems(broken_ray), mutate

    docs = kuberay_docs()
    for doc in docs:
        if doc["kind"] == "ConfigMap":
            doc["data"]["PORT"] = "9000"
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] == "payments":
            doc["spec"]["template"]["spec"]["containers"][0]["image"] = "python:3.13"
    problems = kuberay_problems(docs)
    assert any("containerPort http" in p for p in problems)
    docs = kuberay_docs()
    next(d for d in docs if d["kind"] == "ConfigMap")["data"]["FORWARDED_ALLOW_IPS"] = "*"
    assert any("FORWARDED_ALLOW_IPS trusts every client" in p for p in kuberay_problems(docs))
    assert any("payments/payments: image" in p for p in problems)

    dockerfile = DOCKERFILE.read_text()
    assert dockerfile_problems(dockerfile.replace("USER app", "USER root"))
    assert dockerfile_problems(dockerfile.replace('CMD ["python", "-m", "api"]', "CMD bash"))


def test_the_example_secrets_do_not_start_in_production() -> None:
    """cluster/kuberay/secret.example.yaml as shipped: every placeholder is refused by
    name (a public JWT secret would let anyone mint admin tokens)."""
    env: dict[str, Any] = {}
    for doc in kuberay_docs():
        if doc["kind"] in ("ConfigMap", "Secret") and doc["metadata"]["name"] != "ray-auth":
            env.update({**doc.get("data", {}), **doc.get("stringData", {})})
    assert env["ENV"] == "production"
    with pytest.raises(ValueError) as refused:
        settings_from(env)
    message = str(refused.value)
    for key in ("JWT_SECRET", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_KEY", "METRICS_TOKEN",
                "MONGODB_URL", "AMQP_URL", "TICKET_SIGNING_KEY", "BOOTSTRAP_ADMIN_PASSWORD",
                "STRIPE_PUBLISHABLE_KEY"):  # fmt: skip
        assert f"{key}: still a placeholder" in message, key
    assert "sk_live_CHANGE-ME" not in message and "input_value" not in message  # not echoed
