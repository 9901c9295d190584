#!/usr/bin/env bash
# Browser end-to-end tests of liancha.
#
# Starts a liancha server on a fresh SQLite database with the demo county, on a
# free port of 127.0.0.1, and runs every e2e/*.test.mjs with Node's test runner
# against it (Playwright's playwright-core driving Debian's Chromium). Builds
# nothing: the binary comes from $LIANCHA_BIN (default target/debug/liancha; run
# `cargo build` first). Exits non-zero when a test fails.
#
#   bash e2e/run.sh
#   LIANCHA_BIN=target/release/liancha bash e2e/run.sh
#
# Screenshots of the key steps are written to docs/screenshots/ (E2E_SCREENSHOTS=0
# to skip them); on a failure the pages open at that moment are saved to
# e2e/test-results/.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

BIN="${LIANCHA_BIN:-$ROOT/target/debug/liancha}"
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
if [ ! -x "$BIN" ]; then
  echo "e2e: no liancha binary at $BIN (run 'cargo build' first, or set LIANCHA_BIN)" >&2
  exit 2
fi

export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "e2e: installing Debian's Chromium and CJK fonts"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "e2e: Chromium not found at $CHROMIUM (apt-get install chromium fonts-noto-cjk)" >&2
    exit 2
  fi
fi

if [ ! -d "$ROOT/e2e/node_modules/playwright-core" ]; then
  (cd "$ROOT/e2e" && npm ci --no-audit --no-fund)
fi

TMP="$(mktemp -d -t liancha-e2e.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

DB="sqlite://$TMP/e2e.db"
START=$(date +%s)
"$BIN" --db "$DB" serve --demo --listen 127.0.0.1:0 >"$TMP/server.log" 2>&1 &
SERVER_PID=$!

# The server prints 联查已启动：http://127.0.0.1:PORT/ once it listens (after the
# demo county is loaded: about 15 s in a debug build).
URL=""
for _ in $(seq 1 600); do
  URL="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$TMP/server.log" | head -n1 || true)"
  [ -n "$URL" ] && break
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "e2e: the server stopped before it was ready:" >&2
    cat "$TMP/server.log" >&2
    exit 1
  fi
  sleep 0.5
done
if [ -z "$URL" ]; then
  echo "e2e: the server did not start within 300 s:" >&2
  tail -n 20 "$TMP/server.log" >&2
  exit 1
fi
echo "e2e: server at $URL (ready in $(( $(date +%s) - START )) s)"

set +e
BASE_URL="$URL" LIANCHA_BIN="$BIN" LIANCHA_DB_URL="$DB" \
  node --test --test-reporter=spec "$ROOT"/e2e/*.test.mjs
STATUS=$?
set -e
if [ "$STATUS" -ne 0 ]; then
  echo "e2e: tests failed (exit $STATUS); last lines of the server log:" >&2
  tail -n 30 "$TMP/server.log" >&2
fi
echo "e2e: finished in $(( $(date +%s) - START )) s"
exit "$STATUS"
