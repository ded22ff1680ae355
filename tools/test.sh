#!/usr/bin/env bash
# Every test, against a real RabbitMQ (with its management API) and a real PostgreSQL.
# What `make test` runs; arguments go to pytest (tools/test.sh -k outbox -x, tools/test.sh tests/deploy).
# Exits with pytest's own code; "no tests collected" (5) is a failure too.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/pytest ] || { echo "test.sh: no .venv/bin/pytest; run 'make install' (or 'make test')" >&2; exit 1; }

export AMQP_URI=${AMQP_URI:-amqp://guest:guest@127.0.0.1:5672/}
export RABBIT_CTL_URI=${RABBIT_CTL_URI:-http://guest:guest@127.0.0.1:15672}
export TEST_DATABASE_URL_BASE=${TEST_DATABASE_URL_BASE:-postgresql://postgres@127.0.0.1:5432}

bash tools/ensure-broker.sh --management
bash tools/ensure-postgres.sh

# the whole suite, unless the arguments name test paths themselves (tools/test.sh tests/deploy)
targets=(tests)
for arg in "$@"; do [ -e "${arg%%::*}" ] && { targets=(); break; }; done

# Green threads before any pytest plugin loads: a plugin that imports ssl first (schemathesis's
# does) leaves ssl half-patched, and boto3's TLS setup then recurses forever.
green_pytest=(.venv/bin/python -c 'import warnings; warnings.filterwarnings("ignore", r"\s*Eventlet is deprecated")
import eventlet; eventlet.monkey_patch(); import sys, pytest; sys.exit(pytest.main())')
rc=0   # nameko's pytest plugin takes the broker from options, not the environment
"${green_pytest[@]}" --amqp-uri "$AMQP_URI" --rabbit-ctl-uri "$RABBIT_CTL_URI" "${targets[@]}" "$@" || rc=$?
case $rc in
  0) ;;
  5) echo "test.sh: pytest collected no tests: that is a failure (exit 5)" >&2 ;;
  *) echo "test.sh: pytest failed (exit $rc)" >&2 ;;
esac
exit "$rc"
