#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL server:
#   tests/postgres/with-postgres.sh dotnet test tests/Classify.Tuning.PostgreSql.Tests
# Finds Debian's initdb/pg_ctl (installing the postgresql package when root and missing), creates a data folder in a
# fresh temp folder, starts the server on 127.0.0.1 (a free port) and a unix socket in that folder with scram-sha-256
# password auth for a test user, exports CLASSIFY_TEST_POSTGRES=postgresql://… for the command, and always stops the
# server and deletes the folder afterwards. PostgreSQL refuses to run as root, so as root the server runs as an
# unprivileged user (classify-pg, created if missing).
# CLASSIFY_POSTGRES_BIN=DIR uses initdb and pg_ctl from DIR.
# With CLASSIFY_POSTGRES_OPTIONAL=1 a machine that cannot provide PostgreSQL runs the command without it (the
# PostgreSQL tests then skip, saying why); otherwise that is an error.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARGS…]" >&2; exit 2; }

# without_postgres REASON COMMAND…: runs the command without a server when that is allowed, else fails with REASON.
# (Not exec: the EXIT trap must still clean up what was created before the failure.)
without_postgres() {
  local reason=$1
  shift
  if [ "${CLASSIFY_POSTGRES_OPTIONAL:-0}" = 1 ]; then
    echo "warning: $reason; running without PostgreSQL (its tests will be skipped)" >&2
    unset CLASSIFY_TEST_POSTGRES CLASSIFY_TEST_POSTGRES_SOCKET_DIR
    set +e
    "$@"
    exit $?
  fi
  echo "error: $reason" >&2
  exit 1
}

find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

# CLASSIFY_POSTGRES_BIN names the folder of initdb and pg_ctl where they are not Debian's.
bin=${CLASSIFY_POSTGRES_BIN:-$(find_bin || true)}
[ -n "$bin" ] && { [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ] || bin=""; }
if [ -z "$bin" ] && [ -z "${CLASSIFY_POSTGRES_BIN:-}" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing postgresql for the study storage tests…" >&2
  apt-get update -qq >/dev/null
  # A policy-rc.d that says no keeps the package from starting its own cluster as a service: only the throwaway
  # server below runs.
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null 2>&1 || true
  [ -n "$policy" ] && rm -f /usr/sbin/policy-rc.d
  bin=$(find_bin || true)
fi
[ -n "$bin" ] || without_postgres "PostgreSQL (initdb, pg_ctl) is not installed and cannot be installed here" "$@"

pg_user=$(id -un)
if [ "$(id -u)" = 0 ]; then
  pg_user=classify-pg
  id -u "$pg_user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$pg_user"
fi
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi; }

# As root the folder goes in /tmp whatever TMPDIR says: the unprivileged server user must be able to reach it.
tmp_base=${TMPDIR:-/tmp}
[ "$(id -u)" = 0 ] && tmp_base=/tmp
dir=$(mktemp -d "$tmp_base/classify-pg.XXXXXX")
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown "$pg_user" "$dir"
stop() {
  as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

user=classify_test
password="pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$password" > "$dir/pwfile"
[ "$(id -u)" = 0 ] && chown "$pg_user" "$dir/pwfile"
as_pg "$bin/initdb" -D "$dir/data" -U "$user" --pwfile="$dir/pwfile" --auth=scram-sha-256 -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; without_postgres "initdb failed" "$@"; }
rm -f "$dir/pwfile"

# A free port: try a few random ones (a port taken in between makes pg_ctl fail, and the next one is tried).
started=""
for _ in 1 2 3 4 5 6 7 8; do
  port=$((20000 + RANDOM % 30000))
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
  # fsync off: the data is thrown away, and the tests' many small commits stay fast.
  if as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -s \
       -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" start; then
    started=1
    break
  fi
done
[ -n "$started" ] || { tail -20 "$dir/server.log" >&2 || true; without_postgres "the PostgreSQL test server did not start" "$@"; }

PGPASSWORD="$password" "$bin/psql" -h 127.0.0.1 -p "$port" -U "$user" -d postgres -qAt -c "CREATE DATABASE classify_test;" >/dev/null
export CLASSIFY_TEST_POSTGRES="postgresql://$user:$password@127.0.0.1:$port/classify_test"
export CLASSIFY_TEST_POSTGRES_SOCKET_DIR="$dir"
echo "PostgreSQL $("$bin/pg_ctl" --version | awk '{print $3}') test server on 127.0.0.1:$port (and a unix socket in $dir)" >&2
set +e
"$@"
status=$?
set -e
exit "$status"
