# Netra's image. Build the Debian base first (no registry is used), then this:
#   deploy/build-base.sh base
#   podman build --format docker -t localhost/netra:latest .
# (--format docker keeps the HEALTHCHECK; the OCI format has no place for it.) docs/containers.md has the rest.
ARG BASE_IMAGE=localhost/netra-base:bookworm

FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_DEFAULT_TIMEOUT=120
ARG PIP_INDEX_URL=https://pypi.org/simple
RUN python3 -m venv /opt/netra/venv
WORKDIR /app
# The dependencies first, in their own layer: a change to the code does not download them again.
# A TLS-intercepting proxy's CA can be lent to pip for this step only (never stored in the image):
#   podman build --secret id=pip_ca,src=/path/to/ca-bundle.crt ...
COPY pyproject.toml ./
RUN --mount=type=secret,id=pip_ca \
    if [ -s /run/secrets/pip_ca ]; then export PIP_CERT=/run/secrets/pip_ca; fi; \
    python3 -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > /tmp/requirements.txt \
    && /opt/netra/venv/bin/pip install --index-url "$PIP_INDEX_URL" -r /tmp/requirements.txt "setuptools>=68"
COPY . .
# Editable: the bot finds knowledge/ and templates/ beside its package (bot/config.py PROJECT_ROOT), which a
# plain `pip install .` into site-packages would leave behind. --no-deps --no-build-isolation: nothing more is
# downloaded (setuptools>=68, which pyproject.toml builds with, came in the step above).
RUN /opt/netra/venv/bin/pip install --no-deps --no-build-isolation -e . \
    && /opt/netra/venv/bin/python -m compileall -q bot \
    && /opt/netra/venv/bin/python main.py kb validate

FROM ${BASE_IMAGE}
RUN groupadd --gid 10001 netra \
    && useradd --uid 10001 --gid netra --home-dir /app --no-create-home --shell /usr/sbin/nologin netra \
    && install -d -o netra -g netra -m 700 /data
COPY --from=build /opt/netra/venv /opt/netra/venv
COPY --from=build /app /app
ENV PATH=/opt/netra/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATA_DIR=/data \
    WEBHOOK_LISTEN=0.0.0.0 \
    WEBHOOK_PORT=8443
WORKDIR /app
USER netra
# SQLite mode: the database lives here (a volume). Replicas on PostgreSQL keep only the process lock here
# (give each its own tmpfs or volume).
VOLUME ["/data"]
EXPOSE 8443
# Webhook mode only (WEBHOOK_URL set): long polling serves no HTTP, so there it reports unhealthy.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('WEBHOOK_PORT', '8443'), timeout=4)"]
# tini as PID 1: signals reach the bot (SIGTERM drains it) even before it installs its handlers, and
# children are reaped.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["python", "main.py"]
