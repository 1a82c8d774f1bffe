#!/usr/bin/env bash
# A signed SendGrid delivery of 1,000 events over HTTP to a running eventsd (docs/performance.md,
# "Provider webhooks"): RUNS deliveries of new events (each a batch of 1,000 never seen before,
# signed with a fresh P-256 key by openssl), then RUNS retries of the first (all duplicates).
# Beside them, for comparison, the same 1,000 events as a native batch (POST /v1/events with a
# bearer token). Prints the median and the worst of curl's total time per request, in ms, for each.
#
#   bench/hooks.sh [RUNS]        (default 20)
source "$(dirname "$0")/lib.sh"
RUNS=${1:-20}
build_release eventsd eventctl
work=$(mktemp -d)
data="$work/data"
serve "$data"
trap "kill \$server_pid 2>/dev/null; wait \$server_pid 2>/dev/null; rm -rf '$work'" EXIT
token=$(build/tools/eventctl token create --data "$data" --tenant bench --scopes admin,events:read,events:write)
openssl ecparam -name prime256v1 -genkey -noout -out "$work/key.pem" 2>/dev/null
key=$(openssl ec -in "$work/key.pem" -pubout -outform DER 2>/dev/null | base64 -w0)
curl -sf -X PUT "http://127.0.0.1:$port/v1/sources/bench" -H "Authorization: Bearer $token" \
     -d "{\"kind\":\"sendgrid\",\"verification_key\":\"$key\"}" >/dev/null

# batch START: 1,000 events with ids evt-START.. (opens, clicks, deliveries), as tests/support/provider_samples.h makes them.
batch() {
  python3 - "$1" <<'PY'
import json, sys, time
start, now = int(sys.argv[1]), int(time.time())
kinds = ["delivered", "open", "click"]
events = []
for k in range(start, start + 1000):
    e = {"email": "user%d@example.com" % (k // 3), "timestamp": now, "event": kinds[k % 3],
         "sg_event_id": "evt-%d" % k, "sg_message_id": "msg-%d.filter0001" % (k // 3), "category": "newsletter"}
    if k % 3 == 2:
        e["url"] = "https://example.com/offer?i=%d" % k
    events.append(e)
sys.stdout.write(json.dumps(events, separators=(",", ":")))
PY
}

# post FILE: one signed delivery of FILE; prints curl's total time in ms.
post() {
  local ts sig
  ts=$(date +%s)
  sig=$( { printf %s "$ts"; cat "$1"; } | openssl dgst -sha256 -sign "$work/key.pem" | base64 -w0)
  curl -s -o "$work/answer" -w '%{http_code} %{time_total}\n' -X POST "http://127.0.0.1:$port/hooks/bench" \
       -H "X-Twilio-Email-Event-Webhook-Signature: $sig" -H "X-Twilio-Email-Event-Webhook-Timestamp: $ts" \
       -H "Content-Type: application/json" --data-binary "@$1" |
    awk '$1 != 200 {print "status " $1 > "/dev/stderr"; exit 1} {printf "%.1f\n", $2 * 1000}'
}

# native START: the same kind of 1,000 events as a native batch.
native() {
  python3 - "$1" <<'PY'
import json, sys, time
start, now = int(sys.argv[1]), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
kinds = ["email_delivered", "email_open", "email_click"]
events = []
for k in range(start, start + 1000):
    e = {"id": "native-%d" % k, "event": kinds[k % 3], "contact_id": "user%d@example.com" % (k // 3),
         "email": "user%d@example.com" % (k // 3), "timestamp": now,
         "data": {"provider": "native", "message_id": "msg-%d.filter0001" % (k // 3)}}
    if k % 3 == 2:
        e["url"] = "https://example.com/offer?i=%d" % k
    events.append(e)
sys.stdout.write(json.dumps({"batch": events}, separators=(",", ":")))
PY
}

# post_native FILE: one native batch; prints curl's total time in ms.
post_native() {
  curl -s -o "$work/answer" -w '%{http_code} %{time_total}\n' -X POST "http://127.0.0.1:$port/v1/events" \
       -H "Authorization: Bearer $token" -H "Content-Type: application/json" --data-binary "@$1" |
    awk '$1 != 201 {print "status " $1 > "/dev/stderr"; exit 1} {printf "%.1f\n", $2 * 1000}'
}

report() { sort -g | awk -v what="$1" '{v[NR]=$1} END {printf "%-28s median %6.1f ms  worst %6.1f ms  (%d deliveries)\n", what, v[int((NR+1)/2)], v[NR], NR}'; }

for i in $(seq 0 $((RUNS - 1))); do batch $((i * 1000)) >"$work/batch-$i.json"; done
echo "body: $(wc -c <"$work/batch-0.json") bytes, 1,000 events"
for i in $(seq 0 $((RUNS - 1))); do post "$work/batch-$i.json"; done | report "new events (1,000 created)"
for _ in $(seq "$RUNS"); do post "$work/batch-0.json"; done | report "retries (1,000 duplicates)"
for i in $(seq 0 $((RUNS - 1))); do native $((i * 1000)) >"$work/native-$i.json"; done
for i in $(seq 0 $((RUNS - 1))); do post_native "$work/native-$i.json"; done | report "native batch (1,000 created)"
