#!/usr/bin/env python3
"""Makes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/seed-*) from the tests
of the repository: the bodies, query strings and requests their HTTP calls send (string literals
of c.get/post/put/del(...) and raw_exchange(...) in tests/*.cpp, the bad bodies of
tests/support/bad_inputs.h), and - from a real eventsd fed those requests - cursors it issues,
the records of its log (mdb_dump) and the lines of `eventctl dump`.

    tests/fuzz/make_corpus.py [--build build]

Needs the binaries of a build (eventsd, eventctl) and mdb_dump (lmdb-utils). Replaces the seed-*
files and leaves every other file alone: the regression-* inputs of findings, and the forms-*
inputs written by hand (the instants of docs/api.md "Time formats" in every form a client may
send, refused ones included). Python 3 standard library only.
"""
import argparse
import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import urllib.error

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
MAX_SEEDS = 80           # per target: the corpus stays small
MAX_BYTES = 16 * 1024    # per seed

STRING = r'(?:R"\((?:.|\n)*?\)"|"(?:[^"\\\n]|\\.)*")'
CALL = re.compile(r'\b\w+\.(get|post|put|del)\(\s*(' + STRING + r')\s*(?:,\s*(' + STRING + r')\s*)?\)')
RAW = re.compile(r'\b(?:raw_exchange|server_hangs_up)\(\s*[^,]+,\s*(' + STRING + r')\s*[,)]')
RAW_JSON = re.compile(r'R"\(((?:.|\n)*?)\)"')


def literal(text):
    """The value of one C++ string literal (raw or with escapes)."""
    if text.startswith('R"('):
        return text[3:-2]
    # C++ escapes are a subset of Python's for what the tests use (\r \n \" \\ \xNN).
    return ast.literal_eval(text)


def test_sources():
    tests = os.path.join(ROOT, "tests")
    for name in sorted(os.listdir(tests)):
        if name.endswith(".cpp"):
            yield open(os.path.join(tests, name), encoding="utf-8").read()


def http_calls():
    """(method, target, body) of every call of the tests whose arguments are literals."""
    calls = []
    for src in test_sources():
        for m in CALL.finditer(src):
            method = {"get": "GET", "post": "POST", "put": "PUT", "del": "DELETE"}[m.group(1)]
            # The tests' tenant is "acme"; the fuzz targets' is "fuzz".
            target = literal(m.group(2)).replace("/workspaces/acme/", "/workspaces/fuzz/")
            calls.append((method, target, literal(m.group(3)) if m.group(3) else ""))
    return calls


def raw_requests():
    out = []
    for src in test_sources():
        for m in RAW.finditer(src):
            out.append(literal(m.group(1)))
    return out


def json_literals(path):
    """Raw string literals of a file that are JSON values."""
    out = []
    for m in RAW_JSON.finditer(open(path, encoding="utf-8").read()):
        try:
            json.loads(m.group(1))
        except ValueError:
            continue
        out.append(m.group(1))
    return out


def request_bytes(method, target, body, token="$ALL"):
    head = f"{method} {target} HTTP/1.1\r\nHost: eventsd\r\nAuthorization: Bearer {token}\r\n"
    if body or method in ("POST", "PUT", "DELETE"):
        head += f"Content-Type: application/json\r\nContent-Length: {len(body.encode())}\r\n"
    return (head + "\r\n" + body).encode()


class Seeds:
    def __init__(self):
        self.by_target = {}

    def add(self, target, data):
        if isinstance(data, str):
            data = data.encode()
        if len(data) > MAX_BYTES:
            return
        seeds = self.by_target.setdefault(target, {})
        if len(seeds) < MAX_SEEDS:
            seeds.setdefault(hashlib.sha1(data).hexdigest()[:16], data)

    def write(self):
        for target, seeds in sorted(self.by_target.items()):
            d = os.path.join(CORPUS, target)
            os.makedirs(d, exist_ok=True)
            for name in os.listdir(d):
                if name.startswith("seed-"):
                    os.remove(os.path.join(d, name))
            for digest, data in seeds.items():
                with open(os.path.join(d, "seed-" + digest), "wb") as f:
                    f.write(data)
            print(f"{target}: {len(seeds)} seeds")


class Server:
    """A real eventsd on an ephemeral port with a temporary data directory."""

    def __init__(self, build, data):
        self.build, self.data = build, data
        self.proc = subprocess.Popen(
            [os.path.join(build, "eventsd", "eventsd"), "--data", data, "--listen", "127.0.0.1:0",
             "--campaign-retention-days", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        self.base = re.search(r"http://[^ ]+", line).group(0)
        self.token = subprocess.run(
            [os.path.join(build, "tools", "eventctl"), "token", "create", "--data", data, "--tenant", "fuzz",
             "--scopes", "events:read,events:write,campaigns:read,admin"],
            check=True, capture_output=True, text=True).stdout.strip()

    def call(self, method, target, body=""):
        req = urllib.request.Request(self.base + target, data=body.encode() if body else None, method=method,
                                     headers={"Authorization": "Bearer " + self.token})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)


def mdb_records(data):
    """(key, value) bytes of the log database (DATA/log/, docs/log-format.md), read with mdb_dump."""
    out = subprocess.run(["mdb_dump", "-s", "log", os.path.join(data, "log")], check=True, capture_output=True,
                         text=True).stdout
    lines = out.split("HEADER=END\n", 1)[1].split("\n")
    values = [bytes.fromhex(line.strip()) for line in lines if line.startswith(" ")]
    return list(zip(values[0::2], values[1::2]))


def provider_samples():
    """The providers' documented sample payloads of tests/support/provider_samples.h, by name."""
    with open(os.path.join(ROOT, "tests", "support", "provider_samples.h")) as f:
        text = f.read()
    return {name: body.encode() for name, body in re.findall(r'const char\* (k\w+) = R"json\((.*?)\)json";', text, re.S)}


def add_provider_seeds(seeds):
    """sendgrid_events, mailgun_events, postmark_events: each provider's samples, with a signature or
    Authorization line first where the target reads one (the right one for Postmark's fixed user)."""
    samples = provider_samples()
    sendgrid = samples["kSendgridSample"]
    seeds.add("sendgrid_events", b"MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RNwIgJTz2C+8a8xonZGi6BpSzoQsbVqmKzdz/rQUqlVxN4nM=\n" + sendgrid)
    seeds.add("sendgrid_events", b"\n" + sendgrid)
    seeds.add("sendgrid_events", b"x\n[]")
    seeds.add("sendgrid_events", b'sig\n[{"email":"Bob@Example.com","timestamp":1513299569,"event":"open","sg_event_id":"abc-1","contact_id":"ct_bob"}]')
    seeds.add("mailgun_events", samples["kMailgunSample"])
    seeds.add("mailgun_events", b'{"signature":{"timestamp":"1","token":"t","signature":"s"},"event-data":{"event":"failed","severity":"permanent","id":"x","recipient":"a@b.c"}}')
    seeds.add("mailgun_events", b'{"signature":{"timestamp":1529006854,"token":"t","signature":"s"},"event-data":{"event":"clicked","url":"https://example.com/a","id":"x","recipient":"a@b.c","user-variables":{"contact_id":"c"}}}')
    auth = b"Basic cG9zdG1hcms6Y29ycmVjdCBob3JzZSBiYXR0ZXJ5IHN0YXBsZQ==\n"
    for name in ["kPostmarkOpen", "kPostmarkClick", "kPostmarkDelivery", "kPostmarkBounce"]:
        seeds.add("postmark_events", auth + samples[name])
    seeds.add("postmark_events", b'Basic d3Jvbmc6d3Jvbmc=\n{"RecordType":"SubscriptionChange","MessageID":"m","Recipient":"a@b.c",'
                                 b'"ChangedAt":"2020-01-01T00:00:00Z","SuppressSending":true}')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"), help="build directory (default: build)")
    args = ap.parse_args()
    seeds = Seeds()
    calls = http_calls()

    bodies = [b for m, t, b in calls if m in ("POST", "DELETE") and b]
    bodies += json_literals(os.path.join(ROOT, "tests", "support", "bad_inputs.h"))
    bodies += [j for j in json_literals(os.path.join(ROOT, "tests", "commands_test.cpp")) if '"rules"' not in j]
    for b in bodies:
        seeds.add("ingest_body", b)
    for m, t, b in calls:
        if "?" in t:
            seeds.add("query", t.split("?", 1)[1])
        if m == "PUT" or t.startswith("/v1/contacts/merge"):
            seeds.add("rules", b)
    for j in json_literals(os.path.join(ROOT, "tests", "suppression_test.cpp")):
        if '"rules"' in j:
            seeds.add("rules", j)
    for m, t, b in calls:
        seeds.add("http_request", request_bytes(m, t, b))
    for m, t, b in calls[:12]:
        seeds.add("http_request", request_bytes(m, t, b, "$READ"))
        seeds.add("http_request", request_bytes(m, t.replace("/workspaces/fuzz/", "/workspaces/other/"), b, "$OTHER"))
    for raw in raw_requests():
        seeds.add("http_request", raw.replace("Host: x\r\n", "Host: x\r\nAuthorization: Bearer $ALL\r\n"))
    add_provider_seeds(seeds)
    for v in ["0", "1", "3", "12", "007", " 5", "5 ", "-1", "+1", "1e3", "0x10", "", "abc",
              "18446744073709551615", "18446744073709551616", "999999"]:
        seeds.add("last_event_id", v)
    for b in bodies:
        try:
            v = json.loads(b)
        except ValueError:
            continue
        if isinstance(v, dict) and "batch" not in v:
            seeds.add("import_line", json.dumps(v, separators=(",", ":")))

    # From a real server fed the tests' writes: cursors, log records, dump lines.
    build = os.path.abspath(args.build)
    data = tempfile.mkdtemp(prefix="eventsd-corpus-")
    try:
        server = Server(build, data)
        try:
            for m, t, b in calls:
                if m != "GET":
                    server.call(m, t, b)
            for f, flt in enumerate(["", "&event_type=view", "&contact_id=ct_1", "&suppressed=exclude"]):
                for s, sort in enumerate(["timestamp", "event", "createdAt"]):
                    for d, direction in enumerate(["desc", "asc"]):
                        status, body = server.call("GET", f"/v1/events?limit=1&sort_by={sort}&sort_dir={direction}{flt}")
                        cursor = json.loads(body).get("pagination", {}).get("next_cursor") if status == 200 else None
                        if cursor:
                            seeds.add("cursor", bytes([s + 3 * d + 6 * f]) + cursor.encode())
        finally:
            server.stop()
        records = mdb_records(data)
        for _, value in records[:40]:
            seeds.add("log_record", b"\x00\x00" + value)
        if records:
            n = len(records)
            seeds.add("log_record", b"\x01\x00" + records[-1][1])
            seeds.add("log_record", b"\x02\x00" + b"\x00" * 8 + b"\x01")
            seeds.add("log_record", b"\x02\x01" + b"\x00" * 40 + b"\x80")
            seeds.add("log_record", bytes([3, 0]) + records[-1][1])
            seeds.add("log_record", bytes([4, n - 1]))
        dump = subprocess.run([os.path.join(build, "tools", "eventctl"), "dump", "--data", data],
                              check=True, capture_output=True, text=True).stdout
        for line in dump.splitlines()[:40]:
            seeds.add("import_line", line)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    seeds.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
