#!/usr/bin/env bash
# Make sure PostgreSQL answers at TEST_DATABASE_URL_BASE (default postgresql://postgres@127.0.0.1:5432)
# and lets that user in without a password (the tests create their own databases).
#   up                     -> check we can log in
#   installed but stopped  -> start the cluster and wait (bounded)
#   absent, root + apt-get -> install postgresql, trust local TCP logins for user postgres, start
#   otherwise              -> print exactly what to do, exit 1
# A server on another host is only checked, never started or installed.
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin

URL=${TEST_DATABASE_URL_BASE:-postgresql://postgres@127.0.0.1:5432}
TIMEOUT=${POSTGRES_TIMEOUT:-60}   # seconds to wait for the server to come up

case ${1:-} in
  "") ;;
  -h|--help) sed -n '2,8s/^# \{0,1\}//p' "$0"; exit 0 ;;
  *) echo "ensure-postgres: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

say() { printf 'ensure-postgres: %s\n' "$*"; }
die() { printf 'ensure-postgres: %s\n' "$*" >&2; exit 1; }

rest=${URL#*://}; rest=${rest%%/*}
PGUSER_=postgres; [ "$rest" = "${rest#*@}" ] || { PGUSER_=${rest%%@*}; PGUSER_=${PGUSER_%%:*}; }
hostport=${rest##*@}
HOST=${hostport%%:*}; PORT=${hostport##*:}; [ "$PORT" != "$hostport" ] || PORT=5432

port_open() { timeout 2 bash -c ">/dev/tcp/$HOST/$PORT" 2>/dev/null; }
can_login() {
  command -v psql >/dev/null || return 0   # no client to try with: the open port has to do
  psql -w -h "$HOST" -p "$PORT" -U "$PGUSER_" -d postgres -Atqc 'select 1' >/dev/null 2>&1
}
ready() { port_open && can_login; }

. "$(dirname "$0")/common.sh"


how_to() {
  cat >&2 <<EOF
ensure-postgres: PostgreSQL is required by the tests and $1.
Do this, then run again:
  Debian/Ubuntu: sudo apt-get install -y postgresql
                 sudo pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start
                 and let user $PGUSER_ log in over TCP without a password: put this first in
                 /etc/postgresql/*/main/pg_hba.conf, then reload:
                   host all $PGUSER_ 127.0.0.1/32 trust
  macOS:         brew install postgresql@15 && brew services start postgresql@15 && createuser -s postgres
  Docker:        docker run -d --name pg -p 127.0.0.1:5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:15
  Elsewhere:     export TEST_DATABASE_URL_BASE=postgresql://USER:PASS@HOST:5432
EOF
  exit 1
}

version() {  # newest cluster version, else newest installed server version
  local v
  v=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
  [ -n "$v" ] || v=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1)
  printf '%s' "$v"
}

installed() { command -v pg_ctlcluster >/dev/null && [ -n "$(version)" ]; }

install_server() {
  apt_install PostgreSQL postgresql
}

trust_local_tcp() {  # fresh installs only: user postgres may log in over loopback TCP without password
  local hba
  hba=/etc/postgresql/$(version)/main/pg_hba.conf
  [ -f "$hba" ] || die "no $hba after installing; create the cluster with: pg_createcluster $(version) main"
  grep -q "^host all $PGUSER_ 127.0.0.1/32 trust" "$hba" && return 0
  say "allowing password-less TCP logins for $PGUSER_ from 127.0.0.1 and ::1 in $hba (dev/test only)"
  { printf '# tools/ensure-postgres.sh: local dev/test logins without password\n'
    printf 'host all %s 127.0.0.1/32 trust\nhost all %s ::1/128 trust\n' "$PGUSER_" "$PGUSER_"
    cat "$hba"; } > "$hba.new"
  cat "$hba.new" > "$hba" && rm -f "$hba.new"   # keeps owner and mode
}

start_server() {
  local v
  v=$(version)
  [ -d "/etc/postgresql/$v/main" ] || as_root pg_createcluster "$v" main \
    || how_to "has no cluster, and creating one needs root"
  say "starting PostgreSQL $v: pg_ctlcluster --skip-systemctl-redirect $v main start"
  as_root pg_ctlcluster --skip-systemctl-redirect "$v" main start \
    || how_to "is installed but not running, and starting it needs root"
}

case $HOST in
  127.0.0.1|localhost|::1) local_server=1 ;;
  *) local_server=0 ;;
esac

fresh=0
if ! port_open; then
  [ "$local_server" = 1 ] \
    || die "PostgreSQL is not reachable at $HOST:$PORT (from TEST_DATABASE_URL_BASE); start it there or unset the variable"
  installed || { install_server; fresh=1; }
  [ "$fresh" = 0 ] || trust_local_tcp
  # a fresh package may have started its cluster already
  if ! wait_until $((fresh * 5)) port_open; then start_server; fi
  [ "$fresh" = 0 ] || as_root pg_ctlcluster --skip-systemctl-redirect "$(version)" main reload
  say "waiting up to ${TIMEOUT}s for $HOST:$PORT ..."
  wait_until "$TIMEOUT" port_open || {
    tail -n 20 "/var/log/postgresql/postgresql-$(version)-main.log" >&2 2>/dev/null || true
    die "PostgreSQL did not open $HOST:$PORT within ${TIMEOUT}s; see its log above (POSTGRES_TIMEOUT raises the limit)"
  }
fi

wait_until 15 can_login \
  || how_to "answers on $HOST:$PORT but user '$PGUSER_' cannot log in without a password"
# The whole system runs several times over in one test session (end-to-end, crash and fuzz tests),
# each service with its own pool: the packaged default of 100 connections is too few.
MIN_CONNECTIONS=${POSTGRES_MIN_CONNECTIONS:-300}
raise_max_connections() {
  local now
  now=$(psql -w -h "$HOST" -p "$PORT" -U "$PGUSER_" -d postgres -Atqc 'show max_connections') || return 0
  [ "$now" -lt "$MIN_CONNECTIONS" ] || return 0
  say "raising max_connections from $now to $MIN_CONNECTIONS and restarting the local cluster"
  psql -w -h "$HOST" -p "$PORT" -U "$PGUSER_" -d postgres -Atqc \
    "ALTER SYSTEM SET max_connections = $MIN_CONNECTIONS" >/dev/null
  as_root pg_ctlcluster --skip-systemctl-redirect "$(version)" main restart
  wait_until 30 can_login || die "PostgreSQL did not come back after raising max_connections"
}
if [ "$local_server" = 1 ] && installed && command -v psql >/dev/null; then raise_max_connections; fi

say "PostgreSQL is up on $HOST:$PORT (user $PGUSER_)"
