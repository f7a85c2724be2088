#!/bin/sh
# Entrypoint of the ticketing image (run under tini, which reaps Ray's daemons).
#
# A Ray driver (the API, a worker) needs a Ray node on its own host. When RAY_ADDRESS
# names a cluster (host:port), the container first joins it as a node that offers no
# CPU (label ticketing.io/role=driver), then runs its command with ray.init(RAY_ADDRESS).
# Ray nodes themselves (`ray start ...`) and everything else run as given.
set -eu

if [ "${1:-}" != "ray" ]; then
    case "${RAY_ADDRESS:-}" in
        "" | auto | local | ray://*) ;;
        *)
            ray start --address="$RAY_ADDRESS" --num-cpus=0 --num-gpus=0 \
                --object-store-memory=100000000 \
                --labels=ticketing.io/role=driver --disable-usage-stats
            ;;
    esac
fi
exec "$@"
