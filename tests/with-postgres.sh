#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster on a loopback port in a temporary directory.
# Exports BANK_TAX_TEST_DATABASE=postgresql+psycopg://.../postgres (the admin URL; tests create their own
# databases). Installs Debian's postgresql when missing and we are root. When PostgreSQL cannot be had:
# fails under CI=true, and skips (loudly) elsewhere; with PG_OPTIONAL=1 the command runs without it.
set -euo pipefail

find_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ] && { pg_config --bindir; return 0; }
  return 1
}

unavailable() {
  echo "!!! PostgreSQL is not available: $1" >&2
  if [ "${PG_OPTIONAL:-}" = "1" ]; then
    echo "!!! running without it (PG_OPTIONAL=1)" >&2
    exec "${CMD[@]}"
  fi
  if [ "${CI:-}" = "true" ]; then
    echo "!!! CI=true: the PostgreSQL half of the suite is required; failing." >&2
    exit 1
  fi
  echo "!!! SKIPPING the PostgreSQL run of the suite (set CI=true to make this fatal)." >&2
  exit 0
}

CMD=("$@")
bindir=$(find_bindir || true)
if [ -z "$bindir" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's postgresql…" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
    || unavailable "apt-get install postgresql failed"
  bindir=$(find_bindir || true)
fi
[ -n "$bindir" ] || unavailable "no initdb found and cannot install it"

tmp=$(mktemp -d /tmp/bank-tax-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg=()
if [ "$(id -u)" = 0 ]; then
  # initdb refuses to run as root: the cluster belongs to the postgres system user.
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$tmp"
  as_pg=(runuser -u postgres --)
fi
cleanup() {
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

"${as_pg[@]}" "$bindir/initdb" -D "$tmp/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null 2>&1 \
  || "${as_pg[@]}" "$bindir/initdb" -D "$tmp/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >/dev/null
"${as_pg[@]}" "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/log" -w -t 60 \
  -o "-h 127.0.0.1 -p $port -k $tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null || { cat "$tmp/log" >&2; unavailable "the server did not start"; }

export BANK_TAX_TEST_DATABASE="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
export BANK_TAX_TEST_PG_CTL="${as_pg[*]:+${as_pg[*]} }$bindir/pg_ctl -D $tmp/data"
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
"$@"
