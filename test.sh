#!/usr/bin/env bash
# Runs the test suite from a fresh clone: installs what the tests need, then builds and tests everything.
# Slow checks (Category=Slow) are skipped unless CLASSIFY_SLOW_TESTS=1.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Headless Chromium renders report.html in the report tests (Debian package; needs root, as on CI).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium for the report rendering test…"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: chromium is missing and cannot be installed here; the HTML rendering test will be skipped" >&2
  fi
fi

# The PostgreSQL study-storage tests need a server: tests/postgres/with-postgres.sh runs a throwaway one around the
# test run (as root it installs Debian's postgresql if missing, as on CI). Elsewhere it is used when PostgreSQL is
# installed, and those tests skip, saying why, when it cannot start one.
with_postgres=()
if [ "$(id -u)" = 0 ] || command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  with_postgres=(tests/postgres/with-postgres.sh)
  [ "$(id -u)" = 0 ] || export CLASSIFY_POSTGRES_OPTIONAL=1
fi

# Debian's python3-onnx (onnx.checker) validates the exported ONNX graphs in Classify.Onnx.Tests.
if ! /usr/bin/python3 -c "import onnx" >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing python3-onnx for the ONNX graph checker test…"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-onnx >/dev/null
  else
    echo "warning: python3-onnx is missing and cannot be installed here; the onnx.checker test will be skipped" >&2
  fi
fi

filter="Category!=Slow"
[ "${CLASSIFY_SLOW_TESTS:-0}" = 1 ] && filter=""
log=$(mktemp)
set +e
"${with_postgres[@]}" dotnet test Classify.slnx -c Release ${filter:+--filter "$filter"} --logger "console;verbosity=normal" 2>&1 | tee "$log" | grep -vE '^\s+(Passed|Skipped) ' 
status=${PIPESTATUS[0]}
set -e
# Sum the per-project counts ("Passed: N" …); a count that never appears is 0.
count() { grep -oE "$1: +[0-9]+" "$log" | grep -oE '[0-9]+' | awk '{s+=$1} END{print s+0}' || true; }
passed=$(count Passed)
failed=$(count Failed)
skipped=$(count Skipped)
rm -f "$log"
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit "$status"
