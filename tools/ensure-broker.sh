#!/usr/bin/env bash
# Make sure RabbitMQ answers at AMQP_URI's host:port (default 127.0.0.1:5672).
#   up                     -> nothing to do
#   installed but stopped  -> start it and wait (bounded)
#   absent, root + apt-get -> install rabbitmq-server non-interactively, start it
#   otherwise              -> print exactly what to do, exit 1
# --management also enables rabbitmq_management and waits for its HTTP API at RABBIT_CTL_URI
# (default http://guest:guest@127.0.0.1:15672): the Nameko test fixtures need it.
# A broker on another host is only checked, never started or installed.
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin   # rabbitmq-server lives in sbin on Debian

AMQP_URI=${AMQP_URI:-amqp://guest:guest@127.0.0.1:5672/}
RABBIT_CTL_URI=${RABBIT_CTL_URI:-http://guest:guest@127.0.0.1:15672}
TIMEOUT=${BROKER_TIMEOUT:-120}   # seconds to wait for the broker to come up

management=0
for arg in "$@"; do
  case $arg in
    --management) management=1 ;;
    -h|--help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "ensure-broker: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

say() { printf 'ensure-broker: %s\n' "$*"; }
die() { printf 'ensure-broker: %s\n' "$*" >&2; exit 1; }

# host and port of a URI like scheme://user:pass@host:port/vhost
hostport=${AMQP_URI#*://}; hostport=${hostport##*@}; hostport=${hostport%%/*}
HOST=${hostport%%:*}; PORT=${hostport##*:}; [ "$PORT" != "$hostport" ] || PORT=5672

port_open() { timeout 2 bash -c ">/dev/tcp/$HOST/$PORT" 2>/dev/null; }

mgmt_ok() {
  python3 - "$RABBIT_CTL_URI" <<'PY'
import base64, sys, urllib.parse, urllib.request
u = urllib.parse.urlsplit(sys.argv[1])
req = urllib.request.Request(f"{u.scheme}://{u.hostname}:{u.port or 15672}/api/overview")
auth = f"{urllib.parse.unquote(u.username or 'guest')}:{urllib.parse.unquote(u.password or 'guest')}"
req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
try:
    sys.exit(0 if urllib.request.urlopen(req, timeout=3).status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

. "$(dirname "$0")/common.sh"

can_admin() {  # root, password-less sudo, or a broker the user owns (Homebrew)
  [ "$(id -u)" = 0 ] || { command -v sudo >/dev/null && sudo -n true 2>/dev/null; } \
    || [ -O "$(command -v rabbitmq-server)" ]
}
admin() { if [ -O "$(command -v "$1")" ]; then "$@"; else as_root "$@"; fi; }

how_to() {
  cat >&2 <<EOF
ensure-broker: RabbitMQ is required (Nameko has no embedded broker) and $1.
Install and start it, then run this again:
  Debian/Ubuntu: sudo apt-get install -y rabbitmq-server && sudo rabbitmq-server -detached
                 (on a systemd host: sudo systemctl enable --now rabbitmq-server)
  macOS:         brew install rabbitmq && brew services start rabbitmq
  Docker:        docker run -d --name rabbitmq -p 127.0.0.1:5672:5672 -p 127.0.0.1:15672:15672 rabbitmq:3-management
  Elsewhere:     export AMQP_URI=amqp://USER:PASS@HOST:5672/ (and RABBIT_CTL_URI for the tests)
EOF
  exit 1
}

show_logs() {
  local f
  for f in /var/log/rabbitmq/startup_err $(ls -t /var/log/rabbitmq/*.log 2>/dev/null | head -1); do
    [ -s "$f" ] && { echo "--- last lines of $f" >&2; tail -n 20 "$f" >&2; }
  done
  return 0
}

install_broker() {
  apt_install RabbitMQ rabbitmq-server
  # the package may have started it already
  wait_until 10 port_open || true
}

start_broker() {
  can_admin || how_to "is installed but not running, and starting it needs root"
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    say "starting RabbitMQ: systemctl start rabbitmq-server"
    as_root systemctl start rabbitmq-server
  else
    say "starting RabbitMQ: rabbitmq-server -detached"
    admin rabbitmq-server -detached
  fi
  say "waiting up to ${TIMEOUT}s for $HOST:$PORT ..."
  if ! wait_until "$TIMEOUT" port_open; then
    show_logs
    die "RabbitMQ did not open $HOST:$PORT within ${TIMEOUT}s; see the log above (BROKER_TIMEOUT raises the limit)"
  fi
  if command -v rabbitmqctl >/dev/null; then
    timeout 60 rabbitmqctl -q await_startup >/dev/null 2>&1 \
      || admin timeout 60 rabbitmqctl -q await_startup >/dev/null 2>&1 || true
  fi
}

case $HOST in
  127.0.0.1|localhost|::1) local_broker=1 ;;
  *) local_broker=0 ;;
esac

if port_open; then
  say "RabbitMQ is up on $HOST:$PORT"
elif [ "$local_broker" = 0 ]; then
  die "RabbitMQ is not reachable at $HOST:$PORT (from AMQP_URI); start it there, or unset AMQP_URI to use a local one"
else
  command -v rabbitmq-server >/dev/null || install_broker
  port_open || start_broker
  say "RabbitMQ is up on $HOST:$PORT"
fi

if [ "$management" = 1 ]; then
  if mgmt_ok; then
    say "management API is up at ${RABBIT_CTL_URI##*@}"
    exit 0
  fi
  if [ "$local_broker" = 0 ] || ! command -v rabbitmq-plugins >/dev/null; then
    die "the management API does not answer at ${RABBIT_CTL_URI##*@}: enable it on the broker (rabbitmq-plugins enable rabbitmq_management) or set RABBIT_CTL_URI"
  fi
  can_admin || how_to "needs its management plugin: run 'sudo rabbitmq-plugins enable rabbitmq_management'"
  say "enabling rabbitmq_management"
  admin rabbitmq-plugins -q enable rabbitmq_management >/dev/null
  wait_until 60 mgmt_ok \
    || die "rabbitmq_management is enabled but ${RABBIT_CTL_URI##*@}/api/overview does not answer 200 (check the user and password in RABBIT_CTL_URI)"
  say "management API is up at ${RABBIT_CTL_URI##*@}"
fi
