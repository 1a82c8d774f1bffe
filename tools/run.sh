#!/usr/bin/env bash
# Set up and run: installs what is missing, builds Release, makes sure a dev token for tenant
# "dev" (all scopes) exists and prints it, then starts eventsd on 127.0.0.1:8080 with data in
# ./data. Idempotent: a second run reuses the build and the token.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target eventsd eventctl

data=./data
token_file=$data/dev-token
mkdir -p "$data"
if [[ -s $token_file ]] && build/tools/eventctl token check --data "$data" "$(cat "$token_file")" >/dev/null 2>&1; then
  token=$(cat "$token_file")
else
  token=$(build/tools/eventctl token create --data "$data" --tenant dev \
            --scopes events:read,events:write,campaigns:read,admin)
  (umask 077 && printf '%s\n' "$token" >"$token_file")
fi

cat <<MSG
eventsd dev token (tenant "dev", all scopes; kept in $token_file):
  $token
try:
  curl -s -X POST http://127.0.0.1:8080/v1/events -H "Authorization: Bearer $token" \\
       -d '{"event":"page_view","url":"https://example.com/pricing","contact_id":"ct_1"}'
  curl -s http://127.0.0.1:8080/v1/events -H "Authorization: Bearer $token"
MSG
exec build/http/eventsd --data "$data" --listen 127.0.0.1:8080
