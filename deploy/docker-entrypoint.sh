#!/bin/sh
# Container entrypoint: apply this component's migrations, then run the given command, or by
# default the component itself. RUN_MIGRATIONS=0 skips the migrations (Kubernetes runs them once,
# in the migrate Job, rather than in every replica at once). A component without a database (web)
# has no alembic.ini in its image, so nothing to migrate.
set -eu
cd /app
: "${SERVICE:?SERVICE is baked into the image}" "${SERVICE_DIR:?SERVICE_DIR is baked into the image}"
if [ "${RUN_MIGRATIONS:-1}" = 1 ] && [ -f "$SERVICE_DIR/alembic.ini" ]; then
  echo "entrypoint: migrating $SERVICE"
  alembic -c "$SERVICE_DIR/alembic.ini" upgrade head
fi
[ "$#" -eq 0 ] || exec "$@"
if [ "$SERVICE" = gateway ] || [ "$SERVICE" = web ]; then
  exec python -m "$SERVICE"
fi
first=$(printf %s "$SERVICE" | cut -c1 | tr '[:lower:]' '[:upper:]')
exec nameko run --config "$SERVICE_DIR/config.yaml" "$SERVICE.service:${first}$(printf %s "$SERVICE" | cut -c2-)Service"
