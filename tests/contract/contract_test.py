#!/usr/bin/env python3
"""The contract test: docs/openapi.yaml checked against a running eventsd.

It starts real servers (each with its own temporary data directory, on an ephemeral port, with
tokens made by `eventctl token create`), makes real HTTP calls for every operation of the
document -- its success answers and every error it documents -- and checks each answer's status,
media type, required headers and body (JSON Schema, from the document's own schemas). It fails
  - on an answer whose status the operation does not list, or whose body or headers do not match;
  - on an operation, or a documented status of one, that no exercise produced.

How an operation is exercised
-----------------------------
EXERCISES below is the table: one row per call, `X("METHOD /path/{param}", status, ...)` with the
path parameters, query, body and headers of the call. Rows run in table order against the main
server (tenant `acme`, every scope; a console user ada@example.com of that tenant; the console
trusted on http://127.0.0.1:PORT with --console-http-loopback; /metrics behind
--metrics-token-file). A row of an operation with an `x-scope` carries a token with every scope
of the tenant (with `x-scope: operator`, an operator's token instead); `session=True` carries the
console session instead (its cookie, the server's own Origin and the X-CSRF-Token);
`anonymous=True` carries no token (an operation whose `security` allows none, `{}`). Strings may
name per-server values: {origin} (http://127.0.0.1:PORT), {spare_token} (the id of a token made
for the exercises to revoke) and {metrics_token} (the secret of --metrics-token-file). The first
row of an operation with a 2xx status is its *base* call, from which the answers every operation
shares are derived automatically, each only when the document lists that status for the
operation:
  - 401: the base call without a token (unless the operation may be called without one);
    403: with a token lacking the op's `x-scope`;
  - 429: the base call on a server run with --rate-limit 1;
  - 431: the base call with an 8 KiB header;     413: the base call announcing a 2 MiB body;
  - 400: the base call with `min_position=x` (a GET) or an unknown query parameter (others);
  - 304: the base call again with If-None-Match: the ETag its answer carried;
  - 507: the base call on a server whose data file may not grow past 8 MiB, filled first (and
         seeded like the main server, so the base call's ids exist there too).
Everything else is a row: add the success call(s) of a new route and a row for each error that
needs its own request (a bad body, an unknown id), with `code=` to check the error code. A call
that needs more than one request (opening streams until one is refused) passes `send=` a
function of the context returning the final answer. New operations that take a token also need
`x-scope` (their token's scope) in the document.

Run: tests/contract/contract_test.py --eventsd build/eventsd/eventsd --eventctl build/tools/eventctl
     --spec docs/openapi.yaml          (ctest runs it as `contract`; Debian python3-yaml and
                                        python3-jsonschema)
"""

import argparse
import base64
import copy
import http.client
import json
import os
import re
import resource
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

import jsonschema
import yaml

ALL_SCOPES = ["events:read", "events:write", "campaigns:read", "admin"]
TENANT = "acme"
USER_EMAIL = "ada@example.com"
USER_PASSWORD = "correct horse battery staple"


class X:
    """One exercise: a call to an operation and the status it must produce."""

    def __init__(self, op, status, path=None, query=None, body=None, headers=None, code=None, send=None,
                 session=False, anonymous=False):
        self.op, self.status = op, status
        self.method, self.template = op.split(" ", 1)
        self.path = path or {}
        self.query = query or {}
        self.body = body
        self.headers = headers or {}
        self.code = code
        self.send = send
        self.session = session
        self.anonymous = anonymous

    def target(self, server, extra_query=None):
        path = self.template
        for name, value in self.path.items():
            path = path.replace("{" + name + "}", urllib.parse.quote(server.resolve(value), safe=""))
        query = {k: server.resolve(v) for k, v in dict(self.query, **(extra_query or {})).items()}
        return path + ("?" + urllib.parse.urlencode(query) if query else "")

    def payload(self, server):
        body = server.resolve(self.body)
        if body is None:
            return None
        return body if isinstance(body, bytes) else json.dumps(body).encode()

    def header_fields(self, server):
        fields = server.session_headers() if self.session else {}
        fields.update({k: server.resolve(v) for k, v in self.headers.items()})  # the row's own win
        return fields


def streams_until_refused(path):
    def send(ctx):
        return open_streams_until_refused(ctx, path)
    return send


def streams_open(ctx):
    """The server's count of open event streams, from /metrics."""
    status, _, body = ctx.main.call("GET", "/metrics", token=ctx.main.metrics_token)
    assert status == 200, status
    match = re.search(rb"^eventsd_stream_subscribers (\S+)$", body, re.M)
    return float(match.group(1))


def open_streams_until_refused(ctx, path):
    """Opens event streams (each holds its connection) until the server refuses one: 503.
    Streams a row before held are let go first: the server notices a closed stream on its next
    write, so a slot freed while this row counts would turn its last answer into a 200."""
    deadline = time.monotonic() + 30
    while streams_open(ctx) > 0:
        if time.monotonic() > deadline:
            raise AssertionError("streams of an earlier row still open after 30 s")
        time.sleep(0.05)  # polls a condition, bounded by the deadline
    held = []
    try:
        for _ in range(1200):
            s = socket.create_connection(("127.0.0.1", ctx.main.port), timeout=30)
            held.append(s)
            s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
                       % (path, ctx.main.token)).encode())
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = s.recv(4096)
                if not chunk:
                    break
                head += chunk
            if head.startswith(b"HTTP/1.1 503"):
                s.close()
                held.pop()
                return ctx.main.call("GET", path, token=ctx.main.token)
        raise AssertionError("1200 open streams and none refused")
    finally:
        for s in held:
            s.close()


def rebuild_twice(ctx):
    """Two rebuilds asked for at once, on one connection (pipelined): the second is refused while
    the first runs. Tried again, after that one finished, until the race is won."""
    request = ("POST /v1/admin/rebuild HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Content-Length: 0\r\n\r\n" % ctx.main.operator_token).encode()
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", ctx.main.port), timeout=60) as s:
            s.sendall(request + request)
            reader = s.makefile("rb")
            answers = []
            for _ in range(2):
                status = int(reader.readline().split()[1])
                headers = {}
                for line in iter(reader.readline, b"\r\n"):
                    name, _, value = line.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = reader.read(int(headers.get("content-length", "0")))
                answers.append((status, headers, body))
        if answers[1][0] == 409:
            return answers[1]
        while json.loads(ctx.main.call("GET", "/v1/admin/rebuild", token=ctx.main.operator_token)[2])["rebuild"]["running"]:
            pass
    raise AssertionError("twenty pairs of rebuilds and never one refused")


POSTMARK_AUTH = {"Authorization": "Basic " + base64.b64encode(b"postmark:" + USER_PASSWORD.encode()).decode()}
POSTMARK_OPEN = {"RecordType": "Open", "MessageStream": "outbound", "Metadata": {"contact_id": "ct-1"},
                 "FirstOpen": True, "Recipient": "john@example.com", "MessageID": "00000000-0000-0000-0000-000000000000",
                 "ReceivedAt": "2019-11-05T16:33:54.9070259Z", "Platform": "WebMail", "ReadSeconds": 5}


def hooks_until_limited(ctx):
    """Deliveries with a wrong password to one source until its limit answers 429."""
    body = json.dumps(POSTMARK_OPEN).encode()
    for _ in range(200):
        answer = ctx.main.call("POST", "/hooks/pm-1", body, {"Authorization": "Basic d3Jvbmc6d3Jvbmc="})
        if answer[0] == 429:
            return answer
    raise AssertionError("200 deliveries to one source and none limited")


def source_of_another_tenant(ctx):
    """PUT of a source id another tenant has."""
    out = subprocess.run([ctx.main.args.eventctl, "token", "create", "--data", ctx.main.dir.name, "--tenant", "globex",
                          "--scopes", "admin"], check=True, capture_output=True, text=True)
    body = json.dumps({"kind": "mailgun", "signing_key": "0123456789abcdef0123"}).encode()
    return ctx.main.call("PUT", "/v1/sources/pm-1", body, {}, out.stdout.strip())


def logins_until_limited(ctx):
    """Wrong passwords for one e-mail from one client address (forwarded by the trusted proxy the
    main server has: 127.0.0.1) until the per-address-and-e-mail limit answers 429."""
    body = json.dumps({"email": "limited@example.com", "password": "wrong"}).encode()
    for _ in range(100):
        answer = ctx.main.call("POST", "/api/auth/login", body,
                               {"Origin": ctx.main.origin, "X-Forwarded-For": "192.0.2.1"})
        if answer[0] == 429:
            return answer
    raise AssertionError("100 logins for one e-mail and none limited")


def logins_until_busy(ctx):
    """Many logins at once (each a different e-mail, from a different client address): beyond the
    password checks running and waiting (the main server has one worker and room for one more),
    one is answered 503."""
    import concurrent.futures
    for attempt in range(10):
        def one(i):
            body = json.dumps({"email": "busy-%d-%d@example.com" % (attempt, i), "password": "x"}).encode()
            return ctx.main.call("POST", "/api/auth/login", body,
                                 {"Origin": ctx.main.origin, "X-Forwarded-For": "198.51.%d.%d" % (attempt, i + 1)})
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            answers = list(pool.map(one, range(32)))
        for answer in answers:
            if answer[0] == 503:
                return answer
    raise AssertionError("ten rounds of 32 logins at once and none refused")


EXERCISES = [
    X("GET /healthz", 200),  # an operator's token: the positions
    X("GET /healthz", 200, anonymous=True),  # liveness only
    X("GET /healthz", 401, anonymous=True, headers={"Authorization": "Bearer eds_" + "0" * 64}, code="unauthorized"),
    X("GET /metrics", 200, headers={"Authorization": "Bearer {metrics_token}"}),
    X("GET /metrics", 401, code="unauthorized"),
    X("GET /openapi.yaml", 200),

    X("POST /v1/events", 201, body={"event": "page_view", "url": "https://example.com/p", "data": {"price": 18.99}}),
    X("POST /v1/events", 201, body={"batch": [{"id": "c-1", "event": "page_view"}, {"id": "c-1", "event": "page_view"}]}),
    X("POST /v1/events", 400, body={"event": ""}, code="invalid_request"),
    X("POST /v1/events", 400, body=b"{not json", code="invalid_request"),
    X("GET /v1/events", 200, query={"limit": "5"}),
    X("GET /v1/events", 200, query={"fields": "summary"}),
    X("GET /v1/events", 200, query={"count_only": "true"}),
    X("GET /v1/events", 200, query={"event_type": "no-such-type"}),
    X("GET /v1/events", 400, query={"limit": "0"}, code="invalid_request"),
    X("GET /v1/events/{id}", 200, path={"id": "c-1"}),
    X("GET /v1/events/{id}", 404, path={"id": "nope"}, code="event_not_found"),
    X("GET /v1/audit/events/{id}", 200, path={"id": "c-1"}),
    X("GET /v1/audit/events/{id}", 404, path={"id": "nope"}, code="event_not_found"),
    X("GET /v1/events/types", 200),
    X("GET /v1/events/stats", 200),
    X("GET /v1/events/stats", 200, query={"group_by": "day"}),
    X("GET /v1/events/stats", 400, query={"group_by": "week"}, code="invalid_request"),
    X("POST /v1/aggregate", 200, body={"group_by": ["day", "event"], "time_zone": "Europe/Berlin",
                                       "metrics": ["count", "unique_contacts", "sum(data.amount)"]}),
    X("POST /v1/aggregate", 200, body={"source": "contacts", "group_by": ["contact.email"], "limit": 5}),
    X("POST /v1/aggregate", 400, body={"group_by": ["no_such_dimension"]}, code="invalid_request"),
    X("POST /v1/aggregate/funnel", 200, body={"steps": [{"event": "page_view"}, {"event": "form_submit"}],
                                              "window_seconds": 86400, "breakdown": "domain"}),
    X("POST /v1/aggregate/funnel", 400, body={"steps": [{"event": "page_view"}]}, code="invalid_request"),
    X("GET /v1/events/stream", 200, query={"last_event_id": "0"}),
    X("GET /v1/events/stream", 400, query={"last_event_id": "x"}, code="invalid_request"),
    X("GET /v1/events/export", 200, query={"format": "jsonl"}),
    X("GET /v1/events/export", 200, query={"format": "csv"}),
    X("GET /v1/events/export", 400, query={"format": "xml"}, code="invalid_request"),
    X("DELETE /v1/events/batch", 200, body={"event_ids": ["del-1", "nope"]}),
    X("DELETE /v1/events/batch", 400, body={"event_ids": []}, code="invalid_request"),

    X("PUT /v1/contacts/{id}", 200, path={"id": "ct-1"},
      body={"firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.com",
            "company": {"name": "Analytical Engines", "domain": "example.com"}}),
    X("PUT /v1/contacts/{id}", 400, path={"id": "ct-1"}, body={"email": "not-an-address"}, code="invalid_request"),
    X("GET /v1/contacts/{id}", 200, path={"id": "ct-1"}),
    X("GET /v1/contacts/{id}", 404, path={"id": "nobody"}, code="not_found"),
    X("POST /v1/contacts/merge", 200, body={"from": "m-1", "into": "ct-1"}),
    X("POST /v1/contacts/merge", 400, body={"from": "ct-1", "into": "ct-1"}, code="invalid_request"),

    X("PUT /v1/suppression/rules", 200, body={"rules": [
        {"kind": "velocity", "max_events": 100, "window_seconds": 60, "keep_first": True},
        {"kind": "metadata", "key": "bot", "equals": 18.990000000000002},
        {"kind": "metadata", "key": "agent", "contains": "bot"}]}),
    X("PUT /v1/suppression/rules", 400, body={"rules": [{"kind": "sometimes"}]}, code="invalid_request"),
    X("GET /v1/suppression/rules", 200),
    X("GET /v1/suppression/stats", 200),
    X("PUT /v1/scoring/rules", 200, body={"rules": [{"event": "page_view", "points": 2}]}),
    X("PUT /v1/scoring/rules", 400, body={"rules": [{"event": "page_view", "points": 1.5}]}, code="invalid_request"),
    X("GET /v1/scoring/rules", 200),

    X("POST /ingest", 201, body={"event_type": "Email Open", "lead_id": "ct-1", "metadata": {"campaign": "Q1"},
                                 "created_at": "2025-01-15T10:30:00Z"}),
    X("POST /ingest", 400, body={"event_type": "x", "event": "y"}, code="invalid_request"),
    X("GET /events", 200, query={"limit": "25"}),
    X("GET /events", 400, query={"range": "last_year"}, code="invalid_request"),
    X("GET /leads/{id}/events", 200, path={"id": "ct-1"}),
    X("DELETE /events/batch", 200, body={"event_ids": ["del-2"]}),
    X("DELETE /events/batch", 400, body={"event_ids": "del-2"}, code="invalid_request"),

    X("GET /v1/campaigns/{id}/events", 200, path={"id": "cmp-1"}),
    X("GET /v1/campaigns/{id}/events", 400, path={"id": "cmp-1"}, query={"type": "viewed"}, code="invalid_event_type"),
    X("GET /v1/campaigns/{id}/events", 400, path={"id": "cmp-1"}, query={"per_page": "101"}, code="invalid_request"),
    X("GET /v1/campaigns/{id}/events", 404, path={"id": "nope"}, code="campaign_not_found"),

    X("POST /api/workspaces/{workspaceId}/events", 201, path={"workspaceId": TENANT},
      body={"type": "purchase", "contactId": "ct-1", "metadata": {"amount": 99.99}, "pageUrl": "https://shop.example.com/"}),
    X("POST /api/workspaces/{workspaceId}/events", 400, path={"workspaceId": TENANT}, body={"type": ""}, code="invalid_request"),
    X("POST /api/workspaces/{workspaceId}/events", 404, path={"workspaceId": "globex"}, body={"type": "x"}, code="not_found"),
    X("GET /api/workspaces/{workspaceId}/events", 200, path={"workspaceId": TENANT}),
    X("GET /api/workspaces/{workspaceId}/events", 400, path={"workspaceId": TENANT}, query={"limit": "201"}, code="invalid_request"),
    X("GET /api/workspaces/{workspaceId}/events", 404, path={"workspaceId": "globex"}, code="not_found"),

    X("GET /v1/contacts/{id}/sessions", 200, path={"id": "ct-1"}),
    X("GET /v1/contacts/{id}/sessions", 400, path={"id": "ct-1"}, query={"limit": "0"}, code="invalid_request"),
    X("POST /v1/identify", 200, body={"contact_id": "ct-2", "traits": {"firstname": "Grace", "email": "grace@example.com"}}),
    X("POST /v1/identify", 400, body={"traits": {"firstname": "Grace"}}, code="invalid_request"),
    X("GET /v1/tokens", 200),
    X("POST /v1/tokens", 201, body={"scopes": ["events:read"]}),
    X("POST /v1/tokens", 201, body={"publishable": True, "origins": ["https://www.example.com"], "rate": 2.5}),
    X("POST /v1/tokens", 400, body={"scopes": []}, code="invalid_request"),
    X("DELETE /v1/tokens/{id}", 200, path={"id": "{spare_token}"}),
    X("DELETE /v1/tokens/{id}", 404, path={"id": "tok_000000000000"}, code="not_found"),
    X("PUT /v1/sources/{source_id}", 201, path={"source_id": "pm-1"},
      body={"kind": "postmark", "username": "postmark", "password": USER_PASSWORD}),
    X("PUT /v1/sources/{source_id}", 200, path={"source_id": "pm-1"},
      body={"kind": "postmark", "username": "postmark", "password": USER_PASSWORD}),
    X("PUT /v1/sources/{source_id}", 201, path={"source_id": "mg-1"},
      body={"kind": "mailgun", "signing_key": "0123456789abcdef0123"}),
    X("PUT /v1/sources/{source_id}", 400, path={"source_id": "pm-2"}, body={"kind": "smtp"}, code="invalid_request"),
    X("PUT /v1/sources/{source_id}", 409, send=source_of_another_tenant, code="source_id_taken"),
    X("GET /v1/sources", 200),
    X("GET /v1/sources/{source_id}", 200, path={"source_id": "pm-1"}),
    X("GET /v1/sources/{source_id}", 404, path={"source_id": "nope"}, code="not_found"),
    X("POST /hooks/{source_id}", 200, anonymous=True, path={"source_id": "pm-1"}, headers=POSTMARK_AUTH,
      body=POSTMARK_OPEN),
    X("POST /hooks/{source_id}", 401, anonymous=True, path={"source_id": "pm-1"}, body=POSTMARK_OPEN,
      code="invalid_signature"),
    X("POST /hooks/{source_id}", 401, anonymous=True, path={"source_id": "nope"}, headers=POSTMARK_AUTH,
      body=POSTMARK_OPEN, code="invalid_signature"),
    X("POST /hooks/{source_id}", 400, anonymous=True, path={"source_id": "pm-1"}, headers=POSTMARK_AUTH,
      body={"not": "postmark"}, code="invalid_request"),
    X("POST /hooks/{source_id}", 429, send=hooks_until_limited, code="rate_limited"),
    X("DELETE /v1/sources/{source_id}", 200, path={"source_id": "mg-1"}),
    X("DELETE /v1/sources/{source_id}", 404, path={"source_id": "mg-1"}, code="not_found"),

    X("GET /leads/{id}/sessions", 200, path={"id": "ct-1"}),
    X("GET /events/export", 200),
    X("GET /events/export", 400, query={"format": "jsonl"}, code="invalid_request"),
    X("GET /events/stream", 200, query={"last_event_id": "0"}),
    X("GET /events/analytics", 200),
    X("GET /events/analytics", 400, query={"range": "forever"}, code="invalid_request"),

    X("POST /api/auth/login", 200, body={"email": USER_EMAIL, "password": USER_PASSWORD}, headers={"Origin": "{origin}"}),
    X("POST /api/auth/login", 400, body={"email": USER_EMAIL}, headers={"Origin": "{origin}"}, code="invalid_request"),
    X("POST /api/auth/login", 401, body={"email": USER_EMAIL, "password": "wrong"}, headers={"Origin": "{origin}"},
      code="invalid_credentials"),
    X("POST /api/auth/login", 403, body={"email": USER_EMAIL, "password": USER_PASSWORD},
      headers={"Origin": "https://elsewhere.example"}, code="csrf_failed"),
    X("POST /api/auth/login", 429, send=logins_until_limited, code="rate_limited"),
    X("POST /api/auth/login", 503, send=logins_until_busy, code="unavailable"),
    X("GET /api/auth/session", 200, session=True),
    X("GET /api/auth/session", 401, code="unauthorized"),
    X("POST /api/auth/tenant", 200, body={"tenant": TENANT}, session=True),
    X("POST /api/auth/tenant", 400, body={}, session=True, code="invalid_request"),
    X("POST /api/auth/tenant", 401, body={"tenant": TENANT}, code="unauthorized"),
    X("POST /api/auth/tenant", 403, body={"tenant": "globex"}, session=True, code="insufficient_permissions"),
    X("POST /api/auth/logout", 403, session=True, headers={"X-CSRF-Token": "wrong"}, code="csrf_failed"),
    # The organizational-unit routes take the session too: its active tenant is the active unit.
    X("GET /events", 200, session=True),
    X("POST /ingest", 201, body={"event_type": "page_view", "lead_id": "ct-1"}, session=True),
    X("POST /ingest", 403, body={"event_type": "page_view"}, session=True, headers={"X-CSRF-Token": "wrong"},
      code="csrf_failed"),
    # Instants in ISO 8601's other forms (docs/api.md "Time formats"), and a mixed one refused.
    X("GET /v1/events", 200, query={"date_after": "20260101T000000+02", "date_before": "2030-01-01T00:00:00+01"}),
    X("GET /v1/events", 400, query={"date_after": "20260101T00:00:00Z"}, code="invalid_request"),
    X("GET /sdk/eventsd.js", 200, query={"v": "1"}),
    X("GET /console", 200),
    X("GET /console/{file}", 200, path={"file": "app.js"}),
    X("GET /console/{file}", 200, path={"file": "app.css"}),
    X("GET /console/{file}", 404, path={"file": "nope.js"}, code="not_found"),

    X("GET /v1/events", 200, query={"min_position": "1"}),
    X("GET /v1/admin/rebuild", 200),
    X("POST /v1/admin/rebuild", 202),
    X("POST /v1/admin/rebuild", 409, send=rebuild_twice, code="rebuild_in_progress"),

    # Late: logging out ends the session the rows above used.
    X("POST /api/auth/logout", 200, session=True),

    # Last: they hold every stream slot of the main server while they run.
    X("GET /v1/events/stream", 503, send=streams_until_refused("/v1/events/stream"), code="overloaded"),
    X("GET /events/stream", 503, send=streams_until_refused("/events/stream"), code="overloaded"),
]


# ------------------------------------------------------------------------------ servers

class Server:
    """A real eventsd on an ephemeral port with its own data directory."""

    def __init__(self, args, extra=(), file_size_limit=None):
        self.args = args
        self.dir = tempfile.TemporaryDirectory(prefix="eventsd-contract-")
        # The secret /metrics asks for: a file beside the data directory, as Prometheus reads one.
        self.metrics_token = "metrics-" + os.urandom(16).hex()
        self.secrets = tempfile.TemporaryDirectory(prefix="eventsd-contract-secrets-")
        with open(self.secrets.name + "/metrics-token", "w") as f:
            f.write(self.metrics_token + "\n")

        def limits():
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            if file_size_limit:
                resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

        self.proc = subprocess.Popen([args.eventsd, "--data", self.dir.name, "--listen", "127.0.0.1:0",
                                      "--campaign-retention-days", "0", "--console-http-loopback",
                                      "--metrics-token-file", self.secrets.name + "/metrics-token", *extra],
                                     stdout=subprocess.PIPE, preexec_fn=limits)
        line = self.proc.stdout.readline().decode()
        m = re.search(r"127\.0\.0\.1:(\d+)", line)
        if not m:
            raise RuntimeError("eventsd did not say where it listens: %r" % line)
        self.port = int(m.group(1))
        self.token = self.make_token(ALL_SCOPES)
        self.operator_token = subprocess.run(
            [args.eventctl, "token", "create", "--data", self.dir.name, "--operator"], check=True,
            capture_output=True, text=True).stdout.strip()
        self.pads_deleted = 0
        self.origin = "http://127.0.0.1:%d" % self.port
        self.spare_token = None  # seed() makes it
        self.cookie = self.csrf = None  # log_in() sets them

    def resolve(self, value):
        """`value` with this server's {origin} and {spare_token} filled in (in strings, lists, dicts)."""
        if isinstance(value, str):
            # (A server that was not seeded has no spare token: any well-formed id will do there.)
            return (value.replace("{origin}", self.origin).replace("{spare_token}", self.spare_token or "tok_none")
                    .replace("{metrics_token}", self.metrics_token))
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        return value

    def make_user(self):
        subprocess.run([self.args.eventctl, "user", "create", "--data", self.dir.name, "--email", USER_EMAIL,
                        "--tenants", TENANT, "--role", "admin"], input=USER_PASSWORD + "\n", check=True,
                       capture_output=True, text=True)

    def log_in(self):
        """A console session for the exercises marked session=True."""
        status, headers, body = self.call("POST", "/api/auth/login",
                                          json.dumps({"email": USER_EMAIL, "password": USER_PASSWORD}).encode(),
                                          {"Origin": self.origin})
        assert status == 200, body
        self.cookie = headers["set-cookie"].split(";")[0]
        self.csrf = json.loads(body)["csrf_token"]

    def session_headers(self):
        if not self.cookie:
            return {}
        return {"Cookie": self.cookie, "Origin": self.origin, "X-CSRF-Token": self.csrf}

    def next_pad(self):
        self.pads_deleted += 1
        return self.pads_deleted - 1

    def token_for(self, scope):
        """The token a row of an operation with this `x-scope` carries."""
        return self.operator_token if scope == "operator" else self.token

    def make_token(self, scopes):
        out = subprocess.run([self.args.eventctl, "token", "create", "--data", self.dir.name, "--tenant", TENANT,
                              "--scopes", ",".join(scopes)], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def call(self, method, target, body=None, headers=None, token=None, announce_length=None):
        """One request on a fresh connection; returns (status, headers, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.putrequest(method, target, skip_accept_encoding=True)
            hdrs = dict(headers or {})
            if token:
                hdrs["Authorization"] = "Bearer " + token
            if announce_length is not None:
                hdrs["Content-Length"] = str(announce_length)
            elif body is not None:
                hdrs["Content-Length"] = str(len(body))
                hdrs.setdefault("Content-Type", "application/json")
            for k, v in hdrs.items():
                conn.putheader(k, v)
            conn.endheaders()
            if body is not None and announce_length is None:
                try:
                    conn.send(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # answered before the body was read: the answer is still to be read

            resp = conn.getresponse()
            if resp.getheader("Content-Type", "").startswith("text/event-stream"):
                data = resp.read1(65536)  # the greeting; the stream itself never ends
            else:
                data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.dir.cleanup()


class Context:
    def __init__(self, args):
        self.args = args
        # One password check at a time and one waiting, so that logins at once exceed them; the
        # test client is the trusted proxy, so that logins can come from many client addresses.
        self.main = Server(args, ["--login-threads", "1", "--login-queue", "1", "--trusted-proxies", "127.0.0.1"])
        self.limited = Server(args, ["--rate-limit", "1"])
        self.full = Server(args, file_size_limit=8 << 20)
        self.scopeless = {}  # scope -> a token with every scope but it

    def token_without(self, scope):
        if scope not in self.scopeless:
            self.scopeless[scope] = self.main.make_token([s for s in ALL_SCOPES if s != scope])
        return self.scopeless[scope]

    def stop(self):
        for s in (self.main, self.limited, self.full):
            s.stop()
            s.secrets.cleanup()


def seed(server, pads=0):
    """What the exercises rely on: events with known ids, a campaign, a contact; and `pads`
    events for top_up() to delete."""
    events = [{"id": "del-1", "event": "page_view"}, {"id": "del-2", "event": "page_view"},
              {"id": "seed-1", "event": "opened", "contact_id": "ct-1", "campaign_id": "cmp-1",
               "email": "ada@example.com", "step_id": "step_1", "data": {"user_agent": "Mozilla/5.0"}}]
    events += [{"id": "pad-%d" % n, "event": "pad"} for n in range(pads)]
    status, _, body = server.call("POST", "/v1/events", json.dumps({"batch": events}).encode(), token=server.token)
    assert status == 201, body
    status, _, body = server.call("POST", "/v1/tokens", json.dumps({"scopes": ["events:read"]}).encode(),
                                  token=server.token)
    assert status == 201, body
    server.spare_token = json.loads(body)["token"]["id"]
    server.make_user()
    server.log_in()


def fill(server):
    """Writes until the data file reaches its size limit (the first 507)."""
    pad = "p" * 20000
    for _ in range(5000):
        body = json.dumps({"batch": [{"event": "pad", "data": {"pad": pad}} for _ in range(20)]}).encode()
        status, _, data = server.call("POST", "/v1/events", body, token=server.token)
        if status == 507:
            return
        assert status == 201, data
    raise AssertionError("the data file never filled")


class pinned_snapshot:
    """`eventctl dump` of the server's store, blocked on its unread output: a reader that holds
    one snapshot of the store for as long as it runs."""

    def __init__(self, server):
        self.server = server

    def __enter__(self):
        self.proc = subprocess.Popen([self.server.args.eventctl, "dump", "--data", self.server.dir.name],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        ready, _, _ = select.select([self.proc.stdout], [], [], 60)
        if not ready:
            raise AssertionError("eventctl dump wrote nothing")
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


def top_up(server):
    """Small writes of each kind (an event, a delete, a merge) until each is refused: whatever
    pages the store could still reuse are used."""
    writes = [("POST", "/v1/events", lambda n: {"event": "pad"}),
              ("DELETE", "/v1/events/batch", lambda n: {"event_ids": ["pad-%d" % server.next_pad()]}),
              ("POST", "/v1/contacts/merge", lambda n: {"from": "pad-%d" % n, "into": "pad"})]
    for method, target, body in writes:
        for n in range(1000):
            status, _, data = server.call(method, target, json.dumps(body(n)).encode(), token=server.token)
            if status == 507:
                break
            assert 200 <= status < 300, data
        else:
            raise AssertionError("a full store took 1000 more writes")


# ------------------------------------------------------------------------------ the document

def openapi_to_jsonschema(node):
    """OpenAPI 3.0 schema objects to JSON Schema: `nullable: true` becomes a null type."""
    if isinstance(node, list):
        return [openapi_to_jsonschema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: openapi_to_jsonschema(v) for k, v in node.items()}
    if out.pop("nullable", False):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = out["enum"] + [None]
    return out


class Document:
    def __init__(self, path):
        with open(path) as f:
            self.raw = yaml.safe_load(f)
        self.spec = openapi_to_jsonschema(copy.deepcopy(self.raw))
        self.ops = {}
        for path, item in self.spec["paths"].items():
            for method, op in item.items():
                if method in ("get", "put", "post", "delete", "patch", "head", "options"):
                    self.ops["%s %s" % (method.upper(), path)] = op

    def resolve(self, node):
        """`node` with every $ref replaced by what it names (the document has no cycles)."""
        if isinstance(node, list):
            return [self.resolve(n) for n in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            target = self.spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return self.resolve(target)
        return {k: self.resolve(v) for k, v in node.items()}

    def documented(self):
        return {(op, int(status)) for op, spec in self.ops.items() for status in spec["responses"]}

    def scope(self, op):
        return self.ops[op].get("x-scope")


FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time")
def is_date_time(value):
    return not isinstance(value, str) or re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value) is not None


@FORMATS.checks("date")
def is_date(value):
    return not isinstance(value, str) or re.fullmatch(r"\d{4}-\d\d-\d\d", value) is not None


# ------------------------------------------------------------------------------ checking

class Checker:
    def __init__(self, doc):
        self.doc = doc
        self.seen = set()
        self.failures = []

    def fail(self, what, message):
        self.failures.append("%s: %s" % (what, message))

    def check(self, x, label, status, headers, body):
        what = "%s [%s] -> %d" % (x.op, label, status)
        responses = self.doc.ops[x.op]["responses"]
        if str(status) not in responses:
            self.fail(what, "status not documented (documented: %s); body %r"
                      % (", ".join(sorted(responses)), body[:300]))
            return
        expected = x.status if label == "row" else AUTO_STATUS.get(label)
        if expected is not None and status != expected:
            self.fail(what, "expected %d; body %r" % (expected, body[:300]))
            return
        spec = self.doc.resolve(responses[str(status)])
        for name, header in spec.get("headers", {}).items():
            value = headers.get(name.lower())
            if value is None:
                if header.get("required"):
                    self.fail(what, "header %s missing" % name)
                continue
            schema = header.get("schema", {})
            typed = int(value) if schema.get("type") == "integer" and re.fullmatch(r"\d+", value) else value
            try:
                jsonschema.validate(typed, schema, format_checker=FORMATS)
            except jsonschema.ValidationError as e:
                self.fail(what, "header %s: %s" % (name, e.message))
        content = spec.get("content")
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if not content:
            if body:
                self.fail(what, "a body where the document has none")
        elif media not in content:
            self.fail(what, "media type %r, documented: %s" % (media, ", ".join(content)))
        else:
            schema = content[media].get("schema")
            if media == "application/json" or media.endswith("+json"):
                try:
                    value = json.loads(body)
                except ValueError:
                    self.fail(what, "body is not JSON: %r" % body[:300])
                    return
                if schema is not None:
                    errors = sorted(jsonschema.Draft7Validator(schema, format_checker=FORMATS).iter_errors(value),
                                    key=lambda e: list(e.path))
                    for e in errors[:3]:
                        self.fail(what, "body at %s: %s" % ("/".join(map(str, e.path)) or "(root)", e.message[:300]))
                    if errors:
                        return
                code = x.code if label == "row" else AUTO_CODES.get(label)
                if code and status >= 400:
                    got = value.get("error", {}).get("code") if isinstance(value, dict) else None
                    if got not in (code if isinstance(code, tuple) else (code,)):
                        self.fail(what, "error code %r, expected %r" % (got, code))
                        return
            elif schema is not None and schema.get("type") == "string":
                try:
                    body.decode("utf-8")
                except UnicodeDecodeError:
                    self.fail(what, "body is not UTF-8 text")
                    return
        self.seen.add((x.op, status))


AUTO_STATUS = {"no token": 401, "without scope": 403, "rate limited": 429, "header too large": 431,
               "body too large": 413, "unknown parameter": 400, "disk full": 507, "not modified": 304}
AUTO_CODES = {"no token": ("unauthorized", "invalid_key"), "without scope": "insufficient_permissions",
              "rate limited": "rate_limited", "header too large": "header_too_large",
              "body too large": "payload_too_large", "unknown parameter": "invalid_request",
              "disk full": "storage_full"}


def run(args):
    doc = Document(args.spec)
    checker = Checker(doc)
    ids = [op.get("operationId") for op in doc.ops.values()]
    for name, op in sorted(doc.ops.items()):
        if not op.get("operationId"):
            checker.fail(name, "no operationId")
        elif ids.count(op["operationId"]) > 1:
            checker.fail(name, "operationId %s is not unique" % op["operationId"])
        security = op.get("security", doc.raw.get("security"))
        if any("bearer" in requirement for requirement in security or []) and not op.get("x-scope"):
            checker.fail(name, "takes a token but names no x-scope")
    unknown = {x.op for x in EXERCISES} - set(doc.ops)
    if unknown:
        print("exercises of operations the document does not have: %s" % ", ".join(sorted(unknown)))
        return 1
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ctx = Context(args)
    try:
        seed(ctx.main)
        seed(ctx.full, pads=900)
        fill(ctx.full)
        bases = {}
        for x in EXERCISES:
            scope = doc.scope(x.op)
            if 200 <= x.status < 300 and x.op not in bases and not x.send:
                bases[x.op] = x
            if x.send:
                answer = x.send(ctx)
            else:
                token = ctx.main.token_for(scope) if scope and not (x.session or x.anonymous) else None
                answer = ctx.main.call(x.method, x.target(ctx.main), x.payload(ctx.main), x.header_fields(ctx.main),
                                       token)
            checker.check(x, "row", *answer)

        for op in sorted(doc.ops):
            x = bases.get(op)
            if x is None:
                checker.fail(op, "no exercise with a 2xx status: add one to EXERCISES")
                continue
            documented = doc.ops[op]["responses"]
            scope = doc.scope(op)
            main = ctx.main

            def call(server, token, extra_query=None, headers=None, body=True, **kw):
                fields = dict(x.header_fields(server), **(headers or {}))
                return server.call(x.method, x.target(server, extra_query), x.payload(server) if body else None,
                                   fields, token, **kw)

            token = main.token_for(scope) if scope and not x.session else None
            # An operation that may be called without a token ({} among its security
            # requirements) answers a call without one as its base call does.
            anonymous_allowed = {} in (doc.ops[op].get("security", doc.raw.get("security")) or [])
            if scope and "401" in documented and not anonymous_allowed:
                checker.check(x, "no token", *call(main, None))
            if scope and "403" in documented:
                checker.check(x, "without scope", *call(main, ctx.token_without(scope)))
            if "400" in documented:
                bad = {"min_position": "x"} if x.method == "GET" else {"no_such_parameter": "1"}
                checker.check(x, "unknown parameter", *call(main, token, bad))
            if "431" in documented:
                # No body: the header alone is refused.
                checker.check(x, "header too large", *call(main, token, headers={"X-Padding": "p" * 9000}, body=False))
            if "413" in documented:
                checker.check(x, "body too large", *call(main, token, body=False, announce_length=2 << 20))
            if "304" in documented:
                first = call(main, token)
                tag = first[1].get("etag")
                if first[0] != 200 or not tag:
                    checker.fail(op, "its base call has no ETag to ask If-None-Match with (status %d)" % first[0])
                else:
                    checker.check(x, "not modified", *call(main, token, headers={"If-None-Match": tag}))
            if scope and "429" in documented:
                for _ in range(20):
                    answer = call(ctx.limited, ctx.limited.token_for(scope))
                    checker.check(x, "rate limited" if answer[0] == 429 else "before the limit", *answer)
                    if answer[0] == 429:
                        break
        # 507: LMDB commits a write in a full file as long as pages freed by earlier commits can
        # be reused. A reader holding an old snapshot stops that reuse: `eventctl dump`, its output
        # left unread, holds one. Then small writes use up what is left, and any write fails.
        with pinned_snapshot(ctx.full):
            for op in sorted(doc.ops):
                x = bases.get(op)
                if x is None or "507" not in doc.ops[op]["responses"]:
                    continue
                for _ in range(5):
                    top_up(ctx.full)
                    answer = ctx.full.call(x.method, x.target(ctx.full), x.payload(ctx.full), x.header_fields(ctx.full),
                                           ctx.full.token_for(doc.scope(op)))
                    checker.check(x, "disk full" if answer[0] == 507 else "before the disk filled", *answer)
                    if answer[0] == 507:
                        break
    finally:
        ctx.stop()

    for op, status in sorted(doc.documented() - checker.seen):
        checker.fail(op, "documented status %d was never exercised" % status)
    for f in checker.failures:
        print("FAIL " + f)
    print("%d operations, %d documented answers, %d exercised, %d failures"
          % (len(doc.ops), len(doc.documented()), len(checker.seen & doc.documented()), len(checker.failures)))
    return 1 if checker.failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eventsd", required=True)
    parser.add_argument("--eventctl", required=True)
    parser.add_argument("--spec", required=True)
    started = time.monotonic()
    code = run(parser.parse_args())
    print("contract test: %.1f s" % (time.monotonic() - started))
    return code


if __name__ == "__main__":
    sys.exit(main())
