# syntax=docker/dockerfile:1
# One parametrised Dockerfile, one image per component:
#   docker build --build-arg SERVICE=orders -t marketplace/orders .
#   docker build --build-arg SERVICE=gateway --build-arg SERVICE_DIR=gateway -t marketplace/gateway .
#   docker build --build-arg SERVICE=web --build-arg SERVICE_DIR=web -t marketplace/web .
# Why one file rather than six: every component is built the same way (contracts + chassis + its
# own package, pinned by constraints.txt; same non-root user; same entrypoint), and six copies would
# drift. Each image still holds only its own component, so no service can import another's package.
# The entrypoint (deploy/docker-entrypoint.sh) applies the component's migrations, then runs it;
# RUN_MIGRATIONS=0 skips that where a Job migrates once (Kubernetes). The web dashboard has no
# database, hence no migrations: its image simply holds none.
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
# What runs beside the installed package, each only where the component has it: the migrations
# (not web) and nameko's config.yaml (services only). Gathered here because COPY has no "if".
RUN mkdir -p "/app/${SERVICE_DIR}" \
 && for kept in alembic.ini alembic config.yaml; do \
      if [ -e "${SERVICE_DIR}/${kept}" ]; then cp -R "${SERVICE_DIR}/${kept}" "/app/${SERVICE_DIR}/"; fi; \
    done

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
COPY --from=build /app/ /app/
COPY --chmod=755 deploy/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
COPY --chmod=755 deploy/healthcheck.py /usr/local/bin/marketplace-healthcheck
ENV PATH=/opt/venv/bin:$PATH \
    SERVICE=${SERVICE} SERVICE_DIR=${SERVICE_DIR} \
    DATA_DIR=/tmp/data PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["docker-entrypoint.sh"]
