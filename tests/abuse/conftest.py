"""The abuse suite runs against the real app, started as the integration tests start it:
the same mongoeco server per module, the same private Ray per module (imported, not
copied, so a change to how integration tests start things reaches these too)."""

from tests.integration.api_support import api
from tests.integration.conftest import embedded_mongo
from tests.integration.ray_support import ray_local

__all__ = ["api", "embedded_mongo", "ray_local"]
