#!/usr/bin/env bash
# Set up and run: installs what is missing, builds Release, makes sure a dev token for tenant
# "dev" (all scopes) and a console user dev@localhost (admin of "dev") exist and prints them, then
# starts eventsd on 127.0.0.1:8080 with data in ./data (EVENTSD_LISTEN and EVENTSD_DATA change
# them), with the console trusted over plain http on loopback (--console-http-loopback: a
# developer's machine has no TLS proxy). Idempotent: a second run reuses the build, the token and
# the user.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target eventsd eventctl

data=${EVENTSD_DATA:-./data}
listen=${EVENTSD_LISTEN:-127.0.0.1:8080}
token_file=$data/dev-token
mkdir -p "$data"
if [[ -s $token_file ]] && build/tools/eventctl token check --data "$data" "$(cat "$token_file")" >/dev/null 2>&1; then
  token=$(cat "$token_file")
else
  token=$(build/tools/eventctl token create --data "$data" --tenant dev --create \
            --scopes events:read,events:write,campaigns:read,admin)
  (umask 077 && printf '%s\n' "$token" >"$token_file")
fi

password_file=$data/dev-console-password
if ! build/tools/eventctl user list --data "$data" | cut -f2 | grep -qx 'dev@localhost' || [[ ! -s $password_file ]]; then
  build/tools/eventctl user delete --data "$data" --email dev@localhost >/dev/null 2>&1 || true
  password=$(head -c 12 /dev/urandom | xxd -p)
  (umask 077 && printf '%s\n' "$password" >"$password_file")
  build/tools/eventctl user create --data "$data" --email dev@localhost --tenants dev --role admin \
    <"$password_file" >/dev/null
fi

cat <<MSG
console: http://$listen/console  as dev@localhost, password $(cat "$password_file") (kept in $password_file)
eventsd dev token (tenant "dev", all scopes; kept in $token_file):
  $token
try:
  curl -s -X POST http://$listen/v1/events -H "Authorization: Bearer $token" \\
       -d '{"event":"page_view","url":"https://example.com/pricing","contact_id":"ct_1"}'
  curl -s http://$listen/v1/events -H "Authorization: Bearer $token"
MSG
exec build/eventsd/eventsd --data "$data" --listen "$listen" --console-http-loopback
