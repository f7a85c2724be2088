# syntax=docker/dockerfile:1
# One image for every process of the platform:
#   the API (default command)   python -m api
#   the workers                 python -m workers.payments | python -m workers.notifications
#   the Ray nodes               ray start --head ... --block | ray start --address=... --block
# Build: docker build -t ticketing:0.1.0 .   (docker-compose.yml and cluster/kuberay use it)
# Settings come from environment variables (contexts/shared/settings.py); see docs/operations.md.

ARG PYTHON_IMAGE=python:3.13-slim

FROM ${PYTHON_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# ---- builder: the project and its dependencies in a virtualenv ---------------------------
FROM base AS builder
RUN python -m venv /opt/venv
WORKDIR /src
# Dependencies first, against empty packages: this layer is rebuilt only when
# pyproject.toml changes, not on every source edit.
COPY pyproject.toml README.md ./
RUN --mount=type=cache,target=/root/.cache/pip \
    for p in engine actors api workers cluster bench contexts; do mkdir -p "$p" && touch "$p/__init__.py"; done \
    && touch bootstrap.py \
    && pip install . \
    && pip uninstall -y ticketing \
    && rm -rf engine actors api workers cluster bench build contexts bootstrap.py ./*.egg-info
COPY . .
RUN --mount=type=cache,target=/root/.cache/pip pip install --no-deps .

# ---- app: the runtime, slim, non-root ------------------------------------------------------
FROM base AS app
# tini reaps the daemons `ray start` leaves behind; openssl makes the local TLS cert and
# Ray token (docker-compose's certs service); wget serves KubeRay's probes.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini openssl wget \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app app \
    && mkdir -p /data && chown app:app /data \
    && echo 'export PATH=/opt/venv/bin:$PATH' > /etc/profile.d/venv.sh
COPY --from=builder /opt/venv /opt/venv
COPY --chmod=0755 cluster/docker/entrypoint.sh /usr/local/bin/ticketing-entrypoint
# Settings defaults for a container (HOST, PORT, DATA_DIR are contexts.shared.settings fields).
ENV HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data \
    RAY_USAGE_STATS_ENABLED=0
WORKDIR /home/app
USER app
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8000'), timeout=4)" || exit 1
ENTRYPOINT ["tini", "--", "ticketing-entrypoint"]
CMD ["python", "-m", "api"]

# ---- devservers: localstripe and the SMTP catcher for docker-compose (local use only) ----
FROM app AS devservers
USER root
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install "localstripe>=1.15.10" "aiosmtpd>=1.4.6"
USER app
HEALTHCHECK NONE
CMD ["python", "-m", "api.devservers", "--help"]

# ---- runtime: the default target ----------------------------------------------------------
FROM app AS runtime
