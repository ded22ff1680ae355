# Helpers shared by the ensure-* scripts (sourced, not run).

wait_until() {  # wait_until SECONDS command...  (polls once a second)
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 1
  done
}

# run as root: directly if we are root, else through password-less sudo, else fail
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"
  else return 1; fi
}

apt_install() {  # apt_install WHAT PACKAGE...: install as root with apt, or say what to do
  local what=$1; shift
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    how_to "is not installed (and I can only install it as root with apt-get)"
  fi
  say "$what is not installed: installing $* with apt-get (non-interactive)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "$@" >/dev/null
}
