# syntax=docker/dockerfile:1
# One parametrised Dockerfile, one image per component:
#   docker build --build-arg SERVICE=orders -t marketplace/orders .
#   docker build --build-arg SERVICE=gateway --build-arg SERVICE_DIR=gateway -t marketplace/gateway .
# Why one file rather than six: every component is built the same way (contracts + chassis + its
# own package, pinned by constraints.txt; same non-root user; same entrypoint), and six copies would
# drift. Each image still holds only its own component, so no service can import another's package.
# The entrypoint (deploy/docker-entrypoint.sh) applies the component's migrations, then runs it;
# RUN_MIGRATIONS=0 skips that where a Job migrates once (Kubernetes).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
ARG SERVICE_DIR=services/${SERVICE}
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<a directory under services/, or gateway>" >&2; exit 1; }
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_NO_INPUT=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY constraints.txt ./
COPY libs/contracts/ libs/contracts/
COPY libs/chassis/ libs/chassis/
COPY ${SERVICE_DIR}/ ${SERVICE_DIR}/
RUN /opt/venv/bin/pip install -c constraints.txt ./libs/contracts ./libs/chassis "./${SERVICE_DIR}"

FROM ${PYTHON_IMAGE}
ARG SERVICE
ARG SERVICE_DIR=services/${SERVICE}
# /var/lib/marketplace: where compose mounts the blobs volume; a named volume takes its owner
# from this directory, so the app user can write there.
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
 && mkdir -p /var/lib/marketplace && chown 10001:10001 /var/lib/marketplace
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# only what runs beside the installed package: the migrations and (services) nameko's config.yaml;
# "config.yam[l]" is optional: the gateway has none
COPY ${SERVICE_DIR}/alembic.ini ${SERVICE_DIR}/config.yam[l] ${SERVICE_DIR}/
COPY ${SERVICE_DIR}/alembic/ ${SERVICE_DIR}/alembic/
COPY --chmod=755 deploy/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
COPY --chmod=755 deploy/healthcheck.py /usr/local/bin/marketplace-healthcheck
ENV PATH=/opt/venv/bin:$PATH \
    SERVICE=${SERVICE} SERVICE_DIR=${SERVICE_DIR} \
    DATA_DIR=/tmp/data PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["docker-entrypoint.sh"]
