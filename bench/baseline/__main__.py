"""`python -m bench.baseline`: serve the baseline with uvicorn, as our API is served.

Port `BASELINE_PORT` (default 8100), 1 worker unless `--workers N`, log level warning.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

import uvicorn


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("BASELINE_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("BASELINE_PORT", "8100")))
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args(argv)
    uvicorn.run(
        "bench.baseline.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,  # as the API and the ceiling app are served
    )


if __name__ == "__main__":
    main()
