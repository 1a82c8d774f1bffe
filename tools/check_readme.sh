#!/usr/bin/env bash
# The README's commands in the order a newcomer runs them: tools/run.sh (in the background, on a
# scratch data directory and a free port: EVENTSD_DATA, EVENTSD_LISTEN), the README's first curl
# against the dev token it printed, a login to the console over http on loopback, a clean stop on
# SIGTERM; then "Install as a service": the
# package step (cmake --build build --target deb) and the package's checks (tools/check_package.sh).
# Usage: tools/check_readme.sh   (from any directory; uses ./build like the README)
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/check_lib.sh
make_scratch

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
EVENTSD_DATA=$scratch/data EVENTSD_LISTEN=127.0.0.1:$port tools/run.sh >"$scratch/out" 2>"$scratch/err" &
server=$!
for _ in $(seq 1200); do  # run.sh may build first: up to 10 minutes
  grep -q "^eventsd listening on" "$scratch/out" && break
  kill -0 "$server" 2>/dev/null || fail "tools/run.sh stopped: $(tail -5 "$scratch/err")"
  sleep 0.5
done
grep -q "^eventsd listening on http://127.0.0.1:$port" "$scratch/out" || fail "eventsd did not start: $(tail -5 "$scratch/err")"
grep -q "^eventsd dev token" "$scratch/out" || fail "tools/run.sh printed no dev token"
token=$(cat "$scratch/data/dev-token")
created=$(curl -fsS -X POST "http://127.0.0.1:$port/v1/events" -H "Authorization: Bearer $token" \
  -d '{"event":"page_view","url":"https://example.com/pricing","contact_id":"ct_1","data":{"title":"Pricing"}}') ||
  fail "the README's ingest failed"
[[ $created == '{"status":"success","ids":["evt_'* ]] || fail "the README's ingest answered $created"
listed=$(curl -fsS "http://127.0.0.1:$port/v1/events?limit=10" -H "Authorization: Bearer $token")
[[ $listed == *'"event":"page_view"'* ]] || fail "the README's list answered $listed"
# The console on http://127.0.0.1:PORT, as the README says (tools/run.sh: --console-http-loopback).
password=$(cat "$scratch/data/dev-console-password")
login=$(curl -fsS -X POST "http://127.0.0.1:$port/api/auth/login" -H "Origin: http://127.0.0.1:$port" \
  -d "{\"email\":\"dev@localhost\",\"password\":\"$password\"}") || fail "the console's login failed"
[[ $login == *'"csrf_token":'* ]] || fail "the console's login answered $login"
stop_server
echo "check_readme: tools/run.sh served the README's curl and the console's login, and stopped cleanly"

tools/check_package.sh build
