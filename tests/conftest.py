"""Shared test configuration: Hypothesis profiles ("ci" under CI, else "dev")."""

import os

from hypothesis import settings

# CI: the default number of examples, no per-example deadline (shared 2-core machines).
settings.register_profile("ci", deadline=None, derandomize=False, print_blob=True)
# Local runs: fewer examples for a fast loop.
settings.register_profile("dev", deadline=None, max_examples=50)

default_profile = "ci" if os.environ.get("CI") else "dev"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or default_profile)
