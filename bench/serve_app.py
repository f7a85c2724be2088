"""The API as a Ray Serve application (the FastAPI app as ingress), for the comparison
in ``bench/serve_vs_uvicorn.py``; not part of the default install or of ``make run``.

    python -m bench.serve_app --port 8000 --replicas 2

Joins the cluster at ``RAY_ADDRESS``, deploys ``replicas`` copies of the app behind
Serve's HTTP proxy (head node only) and blocks until SIGTERM, then shuts Serve down.
Each replica runs the app's lifespan (Serve drives it), so it builds the same
composition root as a uvicorn process; the API settings reach the replicas as
runtime-environment variables. Needs ``ray[serve]``'s extra packages importable.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading

import ray
from ray import serve

from api.main import create_app

# What the replicas need of this process's environment (the API's settings).
PASSED = ("MONGODB_", "JOURNAL_URL", "JWT_", "RAY_NAMESPACE", "AMQP_", "DATA_DIR", "LOG_")
PASSED += ("RUN_WORKERS", "RESERVE_RATE_", "AUTH_RATE_", "BOOTSTRAP_ADMIN_", "DEV_SERVERS")
PASSED += ("OTEL_", "TICKET_SIGNING_KEY", "ENV")


def deployment(replicas: int) -> serve.Application:
    app = create_app()

    @serve.deployment(
        num_replicas=replicas,
        # The app is async end to end: let a replica take as much as uvicorn would
        # (Serve's default of 5 in flight would queue 1,000 buyers at the proxy).
        max_ongoing_requests=2_000,
        ray_actor_options={
            "num_cpus": 0,
            "runtime_env": {
                "env_vars": {k: v for k, v in os.environ.items() if k.startswith(PASSED)}
            },
        },
    )
    @serve.ingress(app)
    class Api:
        pass

    return Api.bind()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--replicas", type=int, default=2)
    args = parser.parse_args()
    ray.init(address=os.environ["RAY_ADDRESS"], namespace="serve-bench", log_to_driver=False)
    serve.start(proxy_location="HeadOnly", http_options={"host": "127.0.0.1", "port": args.port})
    serve.run(deployment(args.replicas), name="api", route_prefix="/", blocking=False)
    print("serving", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(0.5):  # a timed wait: the handler runs between waits
        pass
    serve.shutdown()
    ray.shutdown()


if __name__ == "__main__":
    main()
