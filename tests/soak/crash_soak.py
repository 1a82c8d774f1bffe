#!/usr/bin/env python3
"""Crash soak: eventsd killed with SIGKILL under load, again and again (docs/reliability.md,
"Crashes"). Python 3 standard library only; talks to eventsd over HTTP and runs eventctl's
documented commands (token create, verify, rebuild, import), nothing else.

Scenarios (--scenario):

  server  (default) Each cycle starts eventsd on an ephemeral port, drives mixed concurrent load
          (single and batch ingests with client ids, ingests without ids, refused batches,
          idempotent retries, deletes, merges, suppression and scoring rule changes, contact
          upserts), kills it with SIGKILL at a random moment (sometimes during start-up), runs
          `eventctl verify` on the directory as the crash left it, restarts eventsd and checks:
          every acknowledged write is there with its content; nothing refused is; acknowledged
          deletes are deleted; a write in flight at the kill is there whole or not at all (a batch
          never in part); the rules and profiles in force are the last acknowledged (or the one in
          flight); merged contacts' events moved; the count equals the export. A fresh data
          directory every --cycles-per-store cycles.
  rebuild A store with --rebuild-events events; each cycle kills a rebuild of the read models at
          a random moment - `eventctl rebuild` with the server stopped, `eventctl rebuild` beside
          a serving eventsd (then eventsd too), or eventsd during POST /v1/admin/rebuild - records
          what the directory holds and what `eventctl verify` says of it, starts eventsd (killing
          it once during its start-up), and checks that it serves at once either what it served
          before or 503, never other answers, then the same answers, and that verify passes.
          ("replay" is the same scenario.)
  import  Each cycle kills `eventctl import` of a file of --import-events events (with ids) at a
          random moment, starts eventsd, checks that what it serves is whole commands of a prefix
          of the file, then runs the import again to completion and checks that the store holds
          the file exactly once. Reports that the first start served the partial import.

Usage:
  tests/soak/crash_soak.py [--scenario server|rebuild|import] [--cycles N] [--seed S]
                           [--eventsd PATH] [--eventctl PATH] [--data DIR] [--threads N]
                           [--max-load-ms MS] [--cycles-per-store N] [--quiet]

Exit status 0 when every check held, 1 on the first broken promise (the data directory is kept
and named), 2 on bad usage. The last line printed is a JSON summary.
"""
import argparse
import http.client
import json
import os
import random
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ACKED, UNKNOWN, ABSENT = "acked", "unknown", "absent"


class Failure(Exception):
    """A broken promise."""


class ServerGone(Exception):
    """A request failed in transport: the server was killed; its outcome is unknown."""


# --------------------------------------------------------------------------- processes

class Server:
    """eventsd on an ephemeral port; stderr appended to DATA.log."""

    def __init__(self, args, data, wait=True):
        self.args, self.data = args, data
        self.log = open(data.rstrip("/") + ".log", "ab")
        self.proc = subprocess.Popen(
            [args.eventsd, "--data", data, "--listen", "127.0.0.1:0", "--campaign-retention-days", "0",
             "--threads", "2"], stdout=subprocess.PIPE, stderr=self.log)
        self.port = None
        if wait:
            self.wait_listening()

    def wait_listening(self, timeout=120):
        deadline = time.monotonic() + timeout
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                raise Failure(f"eventsd did not start listening within {timeout} s (see {self.log.name})")
            chunk = os.read(self.proc.stdout.fileno(), 1)
            if not chunk:
                raise Failure(f"eventsd exited at start (status {self.proc.wait()}, see {self.log.name})")
            line += chunk
        m = re.search(rb"http://[^:]+:(\d+)", line)
        if not m:
            raise Failure(f"unexpected first line from eventsd: {line!r}")
        self.port = int(m.group(1))

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc.stdout.close()
        self.log.close()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        status = self.proc.wait(timeout=120)
        self.proc.stdout.close()
        self.log.close()
        if status != 0:
            raise Failure(f"eventsd exited {status} on SIGTERM")


def eventctl(args, *argv, check=True):
    r = subprocess.run([args.eventctl, *argv], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise Failure(f"eventctl {' '.join(argv)} exited {r.returncode}: {r.stderr.strip()}")
    return r


def make_token(args, data, tenant="soak"):
    return eventctl(args, "token", "create", "--data", data, "--tenant", tenant, "--scopes",
                    "events:read,events:write,campaigns:read,admin").stdout.strip()


OPERATOR_TOKENS = {}  # data directory -> an operator's token made in it


def operator_token(args, data):
    """An operator's token of the data directory (rebuilds, /healthz's positions), made once."""
    if data not in OPERATOR_TOKENS:
        OPERATOR_TOKENS[data] = eventctl(args, "token", "create", "--data", data, "--operator").stdout.strip()
    return OPERATOR_TOKENS[data]


def verify(args, data):
    r = eventctl(args, "verify", "--data", data, check=False)
    return r.returncode, r.stderr.strip()


def expect_verified(args, data, summary, after):
    """eventctl verify of the data directory must pass; a failure is counted and raised, as
    "<after> exited <status>: <message>"."""
    code, message = verify(args, data)
    if code != 0:
        summary["verify_failures"] += 1
        raise Failure(f"{after} exited {code}: {message}")


class Client:
    """One keep-alive HTTP/1.1 connection; any transport error is raised (outcome unknown)."""

    def __init__(self, port, token):
        self.port, self.token, self.conn = port, token, None

    def call(self, method, path, body=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        headers = {"Authorization": "Bearer " + self.token}
        if data is not None:
            headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=headers)
            r = self.conn.getresponse()
            raw = r.read()
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise ServerGone(str(e)) from e
        return r.status, raw

    def json(self, method, path, body=None):
        status, raw = self.call(method, path, body)
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            raise Failure(f"{method} {path}: {status} with a body that is not JSON: {raw[:200]!r}")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def log_position(server):
    """The log's head, from /healthz (an operator's token shows it)."""
    c = Client(server.port, operator_token(server.args, server.data))
    try:
        status, answer = c.json("GET", "/healthz")
    finally:
        c.close()
    if status != 200:
        raise Failure(f"/healthz answered {status}")
    return answer["log_position"]


def read(port, token, path, at=None, wait_seconds=300):
    """A GET on a connection of its own (a check takes its time between requests: a kept
    connection would meet the server's idle timeout) that sees at least log position `at`
    (min_position), retrying while the server answers 503 (read models being rebuilt, or behind)."""
    if at is not None:
        path += ("&" if "?" in path else "?") + f"min_position={at}"
    deadline = time.monotonic() + wait_seconds
    while True:
        c = Client(port, token)
        try:
            status, raw = c.call("GET", path)
        finally:
            c.close()
        if status != 503:
            return status, raw
        if time.monotonic() > deadline:
            raise Failure(f"GET {path} still answers 503 after {wait_seconds} s: {raw[:200]!r}")
        time.sleep(0.2)  # the server said: not yet (Retry-After); ask again


def read_json(port, token, path, at=None):
    status, raw = read(port, token, path, at)
    return status, json.loads(raw) if raw else None


def export_events(port, token, at=None):
    status, raw = read(port, token, "/v1/events/export?format=jsonl&sort_dir=asc", at)
    if status != 200:
        raise Failure(f"export answered {status}")
    out = {}
    for line in raw.decode().splitlines():
        if line:
            e = json.loads(line)
            if e["_id"] in out:
                raise Failure(f"event {e['_id']} is exported twice")
            out[e["_id"]] = e
    return out


# --------------------------------------------------------------------------- the server scenario

SUPPRESSION_VARIANTS = [
    {"rules": []},
    {"rules": [{"kind": "velocity", "max_events": 50, "window_seconds": 60}]},
    {"rules": [{"kind": "velocity", "max_events": 5, "window_seconds": 10, "event": "click", "keep_first": True}]},
    {"rules": [{"kind": "metadata", "key": "bot", "equals": True}]},
    {"rules": [{"kind": "metadata", "key": "ua", "contains": "crawler"},
               {"kind": "velocity", "max_events": 20, "window_seconds": 3600}]},
]
SCORING_VARIANTS = [
    {"rules": []},
    {"rules": [{"event": "view", "points": 1}]},
    {"rules": [{"event": "view", "points": 2}, {"event": "click", "points": -1}]},
]
HUBS = [f"hub_{i}" for i in range(4)]  # contacts merged into, never away
MERGEABLE = 1000                         # mc_0... are merged into a hub at most once per store


class Setting:
    """A value replaced by one writer at a time (rules, a profile): the last acknowledged one, and
    the one in flight at a kill, if any."""

    def __init__(self, acked=None):
        self.acked, self.pending = acked, None


class Model:
    """What the clients were told, shared by the load threads (under `lock`)."""

    def __init__(self, rng):
        self.lock = threading.Lock()
        self.rng = rng
        self.events = {}       # id -> {"body", "state", "deleted", "batch", "busy"}
        self.batches = {}      # batch key -> [ids] of batches whose outcome is unknown
        self.nonces = {}       # nonce -> body of an ingest without id whose outcome is unknown
        self.lost = []         # ids of writes in flight at a kill that did not land
        self.recent = []       # acknowledged ids, oldest first (deletes and retries choose here)
        self.merges = {}       # mc -> {"into", "state"}
        self.suppression = Setting()
        self.scoring = Setting()
        self.profiles = {}     # pc -> Setting
        self.stats = {"acked_requests": 0, "acked_events": 0, "acked_deletes": 0, "acked_merges": 0,
                      "acked_rule_changes": 0, "acked_upserts": 0, "refused_requests": 0,
                      "unknown_requests": 0, "unknown_events_landed": 0, "unknown_events_lost": 0, "retries": 0}

    def count(self, key, n=1):
        with self.lock:
            self.stats[key] += n


def iso_ms(ms):
    t = time.gmtime(ms // 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{ms % 1000:03d}Z"


def event_body(rng, eid, with_id=True):
    now = int(time.time() * 1000)
    e = {"event": rng.choice(["view", "click", "signup", "opened"]),
         "timestamp": iso_ms(now - rng.randrange(30 * 86_400_000))}
    if with_id:
        e["id"] = eid
    r = rng.random()
    if r < 0.45:
        e["contact_id"] = f"ct_{rng.randrange(30)}"
    elif r < 0.75:
        e["contact_id"] = f"mc_{rng.randrange(MERGEABLE)}"
    if rng.random() < 0.7:
        e["url"] = f"https://d{rng.randrange(5)}.example/p/{rng.randrange(100)}"
    if rng.random() < 0.3:
        e["session_id"] = f"s-{rng.randrange(1000)}"
    data = {"n": rng.randrange(-10**12, 10**12), "s": rng.choice(["", "ä€😀", "a,\"b\"\nc", "x" * 50])}
    if rng.random() < 0.1:
        data["bot"] = True
    if rng.random() < 0.1:
        data["ua"] = "Some-Crawler/2"
    e["data"] = data
    return e


class ClientThread(threading.Thread):
    """A client of the server on its own connection, sending requests (work()) until told to stop
    or the server is killed; a broken promise is kept in self.error."""

    def __init__(self, model, port, token, seed, stop):
        super().__init__(daemon=True)
        self.model, self.client = model, Client(port, token)
        self.rng, self.stop, self.error = random.Random(seed), stop, None

    def run(self):
        try:
            self.work()
        except ServerGone:
            pass  # the kill: this thread's last request is recorded as unknown
        except Failure as f:
            self.error = f
        finally:
            self.client.close()


class Loader(ClientThread):
    """Writes with ids until told to stop; records every outcome in the model."""

    def __init__(self, model, port, token, prefix, seed, stop, retry=()):
        super().__init__(model, port, token, seed, stop)
        self.prefix, self.n = prefix, 0
        self.retry = list(retry)

    def next_id(self):
        self.n += 1
        return f"{self.prefix}-{self.n}"

    def work(self):
        for eid in self.retry:  # writes lost at the last kill, sent again as a client would
            if self.stop.is_set():
                return
            self.ingest([self.model.events[eid]["body"]], retry=True)
        while not self.stop.is_set():
            op = self.rng.random()
            if op < 0.35:
                self.ingest([event_body(self.rng, self.next_id())])
            elif op < 0.60:
                self.ingest([event_body(self.rng, self.next_id()) for _ in range(self.rng.randint(2, 40))])
            elif op < 0.65:
                self.ingest_without_id()
            elif op < 0.70:
                self.refused_batch()
            elif op < 0.77:
                self.idempotent_retry()
            else:
                self.delete()

    def ingest(self, bodies, retry=False):
        m = self.model
        ids = [b["id"] for b in bodies]
        with m.lock:
            for b in bodies:
                m.events.setdefault(b["id"], {"body": b, "deleted": None, "busy": False, "batch": None})
                m.events[b["id"]]["state"] = UNKNOWN
                m.events[b["id"]]["batch"] = ids[0] if len(ids) > 1 else None
        body = bodies[0] if len(bodies) == 1 and self.rng.random() < 0.5 else {"batch": bodies}
        try:
            status, answer = self.client.json("POST", "/v1/events", body)
        except ServerGone:
            with m.lock:
                m.stats["unknown_requests"] += 1
                if len(ids) > 1:
                    m.batches[ids[0]] = ids
            raise
        if status == 503:  # overloaded: refused, nothing recorded
            with m.lock:
                m.stats["refused_requests"] += 1
                for i in ids:
                    m.events[i]["state"] = ABSENT
            return
        if status != 201 or answer.get("ids") != ids:
            raise Failure(f"a valid ingest of {ids[:3]}... was answered {status} {answer}")
        with m.lock:
            m.stats["acked_requests"] += 1
            m.stats["acked_events"] += len(ids)
            m.stats["retries"] += retry
            for i in ids:
                m.events[i]["state"] = ACKED
            m.recent.extend(ids)

    def ingest_without_id(self):
        nonce = f"{self.prefix}-nonce-{self.n}"
        self.n += 1
        body = event_body(self.rng, None, with_id=False)
        body["data"]["nonce"] = nonce
        try:
            status, answer = self.client.json("POST", "/v1/events", body)
        except ServerGone:
            self.model.count("unknown_requests")
            with self.model.lock:
                self.model.nonces[nonce] = body
            raise
        if status == 503:
            self.model.count("refused_requests")
            return
        if status != 201:
            raise Failure(f"a valid ingest without id was refused: {status} {answer}")
        eid = answer["ids"][0]
        with self.model.lock:
            self.model.events[eid] = {"body": dict(body, id=eid), "state": ACKED, "deleted": None,
                                      "busy": False, "batch": None}
            self.model.stats["acked_requests"] += 1
            self.model.stats["acked_events"] += 1
            self.model.recent.append(eid)

    def refused_batch(self):
        bodies = [event_body(self.rng, self.next_id()) for _ in range(self.rng.randint(2, 10))]
        bad = self.rng.randrange(len(bodies))
        bodies[bad]["data"] = "not an object"
        ids = [b["id"] for b in bodies]
        with self.model.lock:
            for b in bodies:
                self.model.events[b["id"]] = {"body": b, "state": UNKNOWN, "deleted": None, "busy": False,
                                              "batch": ids[0]}
        try:
            status, _ = self.client.json("POST", "/v1/events", {"batch": bodies})
        except ServerGone:
            self.model.count("unknown_requests")
            with self.model.lock:
                self.model.batches[ids[0]] = ids
            raise
        if status not in (400, 503):
            raise Failure(f"a batch with an invalid event was answered {status}")
        with self.model.lock:
            self.model.stats["refused_requests"] += 1
            for i in ids:
                self.model.events[i]["state"] = ABSENT

    def pick(self, n):
        m = self.model
        with m.lock:
            keys = m.recent[-2000:]  # the newest acknowledged ids are enough to choose from
            out = []
            for i in self.rng.sample(keys, min(len(keys), 4 * n)):
                e = m.events[i]
                if e["state"] == ACKED and e["deleted"] is None and not e["busy"]:
                    e["busy"] = True
                    out.append(i)
                    if len(out) == n:
                        break
            return out

    def idempotent_retry(self):
        ids = self.pick(1)
        if not ids:
            return
        m = self.model
        try:
            status, answer = self.client.json("POST", "/v1/events", m.events[ids[0]]["body"])
        except ServerGone:
            self.model.count("unknown_requests")
            raise
        finally:
            with m.lock:
                m.events[ids[0]]["busy"] = False
        if status == 503:
            return
        if status != 201 or answer.get("ids") != ids:
            raise Failure(f"the retry of acknowledged event {ids[0]} was answered {status} {answer}")
        self.model.count("retries")

    def delete(self):
        ids = self.pick(self.rng.randint(1, 5))
        if not ids:
            return
        m = self.model
        with m.lock:
            for i in ids:
                m.events[i]["deleted"] = UNKNOWN
        try:
            status, answer = self.client.json("DELETE", "/v1/events/batch", {"event_ids": ids})
        except ServerGone:
            self.model.count("unknown_requests")
            raise
        finally:
            with m.lock:
                for i in ids:
                    m.events[i]["busy"] = False
        with m.lock:
            if status == 503:
                m.stats["refused_requests"] += 1
                for i in ids:
                    m.events[i]["deleted"] = None
                return
            if status != 200 or answer.get("deleted") != len(ids):
                raise Failure(f"delete of acknowledged {ids} was answered {status} {answer}")
            m.stats["acked_requests"] += 1
            m.stats["acked_deletes"] += len(ids)
            for i in ids:
                m.events[i]["deleted"] = ACKED


class Admin(ClientThread):
    """Rules, profiles and merges, one at a time (so the last acknowledged one is in force)."""

    def __init__(self, model, port, token, canonical, seed, stop):
        super().__init__(model, port, token, seed, stop)
        self.canonical = canonical

    def work(self):
        while not self.stop.is_set():
            op = self.rng.random()
            if op < 0.2:
                self.setting(self.model.suppression, "/v1/suppression/rules", "suppression",
                             self.rng.randrange(len(SUPPRESSION_VARIANTS)))
            elif op < 0.35:
                self.setting(self.model.scoring, "/v1/scoring/rules", "scoring",
                             self.rng.randrange(len(SCORING_VARIANTS)))
            elif op < 0.75:
                self.upsert()
            elif op < 0.95:
                self.merge()
            else:
                self.refused()

    def send(self, method, path, body):
        try:
            return self.client.json(method, path, body)
        except ServerGone:
            self.model.count("unknown_requests")
            raise

    def setting(self, setting, path, kind, variant):
        body = (SUPPRESSION_VARIANTS if kind == "suppression" else SCORING_VARIANTS)[variant]
        setting.pending = variant
        status, answer = self.send("PUT", path, body)
        if status == 503:
            setting.pending = None
            self.model.count("refused_requests")
            return
        if status != 200 or answer.get("rules") != self.canonical[kind][variant]:
            raise Failure(f"PUT {path} variant {variant} answered {status} {answer}")
        setting.acked, setting.pending = variant, None
        self.model.count("acked_requests")
        self.model.count("acked_rule_changes")

    def upsert(self):
        pc = f"pc_{self.rng.randrange(20)}"
        profile = {"firstname": self.rng.choice(["Ada", "Grace", "Émile", "李"]),
                   "lastname": f"L{self.rng.randrange(10**6)}", "email": f"{pc}@soak.example"}
        with self.model.lock:
            setting = self.model.profiles.setdefault(pc, Setting())
        setting.pending = profile
        status, answer = self.send("PUT", f"/v1/contacts/{pc}", profile)
        if status == 503:
            setting.pending = None
            self.model.count("refused_requests")
            return
        if status != 200:
            raise Failure(f"PUT /v1/contacts/{pc} answered {status} {answer}")
        setting.acked, setting.pending = profile, None
        self.model.count("acked_requests")
        self.model.count("acked_upserts")

    def merge(self):
        m = self.model
        with m.lock:
            free = [f"mc_{i}" for i in range(MERGEABLE) if f"mc_{i}" not in m.merges]
        if not free:
            return
        mc, hub = self.rng.choice(free), self.rng.choice(HUBS)
        with m.lock:
            m.merges[mc] = {"into": hub, "state": UNKNOWN}
        status, answer = self.send("POST", "/v1/contacts/merge", {"from": mc, "into": hub})
        with m.lock:
            if status == 200:
                m.merges[mc]["state"] = ACKED
                m.stats["acked_requests"] += 1
                m.stats["acked_merges"] += 1
            else:
                m.merges[mc]["state"] = ABSENT
                m.stats["refused_requests"] += 1

    def refused(self):
        for method, path, body in [("POST", "/v1/contacts/merge", {"from": "hub_0", "into": "hub_0"}),
                                   ("PUT", "/v1/suppression/rules", {"rules": [{"kind": "nope"}]}),
                                   ("PUT", "/v1/scoring/rules", {"rules": [{"event": "x", "points": 10**9}]})]:
            status, answer = self.send(method, path, body)
            if status not in (400, 503):
                raise Failure(f"{method} {path} {body} was answered {status} {answer}")
            self.model.count("refused_requests")


def same_content(sent, got):
    """An exported event equals what its client sent (the contact as the client named it)."""
    for key in ("event", "timestamp", "url", "session_id"):
        if sent.get(key) != got.get(key):
            return f"{key}: sent {sent.get(key)!r}, stored {got.get(key)!r}"
    if sent.get("data") != got.get("data"):
        return f"data: sent {sent.get('data')!r}, stored {got.get('data')!r}"
    named = got.get("original_contact_id") or got.get("internal_contact_id")
    if sent.get("contact_id") != named:
        return f"contact: sent {sent.get('contact_id')!r}, stored {named!r}"
    return None


def check_store(args, model, server, token, canonical):
    """After a restart: the model's promises against what the server serves. Resolves the
    outcomes that were unknown."""
    port = server.port
    at = log_position(server)  # every check reads the whole log as the restarted server has it
    events = export_events(port, token, at)
    status, answer = read_json(port, token, "/v1/events?count_only=true", at)
    if status != 200 or answer["count"] != len(events):
        raise Failure(f"count_only says {answer} but the export holds {len(events)} events")
    tracked = set()
    for eid, e in model.events.items():
        present = eid in events
        tracked.add(eid)
        if e["deleted"] == ACKED or (e["deleted"] == UNKNOWN and not present):
            if present:
                raise Failure(f"event {eid}: its delete was acknowledged, yet it is there")
            e["deleted"] = ACKED
            continue
        if e["deleted"] == UNKNOWN:
            e["deleted"] = None
        if e["state"] == ACKED and not present:
            raise Failure(f"LOSS: acknowledged event {eid} is missing after the crash")
        if e["state"] == ABSENT and present:
            raise Failure(f"event {eid} was refused (or lost at an earlier crash), yet it is there")
        if present:
            problem = same_content(e["body"], events[eid])
            if problem:
                raise Failure(f"event {eid} changed: {problem}")
        if e["state"] == UNKNOWN:
            e["state"] = ACKED if present else ABSENT
            model.stats["unknown_events_landed" if present else "unknown_events_lost"] += 1
            if not present and e["batch"] is None:
                model.lost.append(eid)
    for key, ids in model.batches.items():
        present = [i for i in ids if i in events]
        if present and len(present) != len(ids):
            raise Failure(f"batch {key}: {len(present)} of its {len(ids)} events are there (a batch is all or nothing)")
    model.batches.clear()
    # Events without client ids: the ones that landed are recognised by their nonce.
    by_nonce = {e["data"].get("nonce"): e for i, e in events.items() if i not in tracked and isinstance(e["data"], dict)}
    for nonce, body in model.nonces.items():
        got = by_nonce.pop(nonce, None)
        model.stats["unknown_events_landed" if got else "unknown_events_lost"] += 1
        if got:
            problem = same_content(body, got)
            if problem:
                raise Failure(f"event {got['_id']} (sent without id) changed: {problem}")
            model.events[got["_id"]] = {"body": dict(body, id=got["_id"]), "state": ACKED, "deleted": None,
                                        "busy": False, "batch": None}
    model.nonces.clear()
    strays = [i for i in events if i not in model.events]
    if strays:
        raise Failure(f"{len(strays)} events nobody sent are there, e.g. {strays[:3]}")
    # Merges: events named for a merged contact are on the contact it was merged into.
    named = {}
    for e in events.values():
        named.setdefault(e.get("original_contact_id") or e.get("internal_contact_id"), []).append(e)
    for mc, merge in model.merges.items():
        mine = named.get(mc, [])
        moved = {e["internal_contact_id"] == merge["into"] for e in mine}
        if merge["state"] == ACKED and False in moved:
            raise Failure(f"merge {mc} -> {merge['into']} was acknowledged, yet an event of {mc} stayed")
        if merge["state"] == ABSENT and True in moved:
            raise Failure(f"merge {mc} -> {merge['into']} was refused, yet events of {mc} moved")
        if merge["state"] == UNKNOWN:
            if len(moved) > 1:
                raise Failure(f"merge {mc} -> {merge['into']} in flight at the kill moved some of its events only")
            if moved:
                merge["state"] = ACKED if True in moved else ABSENT
    # Settings: the last acknowledged, or the one in flight.
    for setting, path, kind in [(model.suppression, "/v1/suppression/rules", "suppression"),
                                (model.scoring, "/v1/scoring/rules", "scoring")]:
        status, answer = read_json(port, token, path, at)
        allowed = {v: canonical[kind][v] for v in (setting.acked, setting.pending) if v is not None}
        found = [v for v, rules in allowed.items() if rules == answer.get("rules")]
        if status != 200 or not found:
            raise Failure(f"GET {path}: {answer}; expected variant {setting.acked} (or {setting.pending} in flight)")
        setting.acked, setting.pending = found[-1], None
    for pc, setting in model.profiles.items():
        status, answer = read_json(port, token, f"/v1/contacts/{pc}", at)
        got = None
        if status == 200:
            contact = answer["contact"]
            got = {k: contact.get(k) for k in ("firstname", "lastname", "email")}
        if got not in (setting.acked, setting.pending) or (got is None and setting.acked is not None):
            raise Failure(f"contact {pc}: {got}; expected {setting.acked} (or {setting.pending} in flight)")
        setting.acked, setting.pending = got, None
    return len(events)


def learn_canonical(port, token):
    """The rules as the server shows them, for every variant the admin thread sends."""
    c = Client(port, token)
    canonical = {"suppression": [], "scoring": []}
    for kind, path, variants in [("suppression", "/v1/suppression/rules", SUPPRESSION_VARIANTS),
                                 ("scoring", "/v1/scoring/rules", SCORING_VARIANTS)]:
        for body in variants:
            status, answer = c.json("PUT", path, body)
            if status != 200:
                raise Failure(f"PUT {path} {body}: {status} {answer}")
            canonical[kind].append(answer["rules"])
    c.close()
    return canonical


def scenario_server(args, rng, base, summary):
    model = canonical = token = data = None
    store_no = 0
    for cycle in range(args.cycles):
        if cycle % args.cycles_per_store == 0:
            if data and not args.keep:
                shutil.rmtree(data, ignore_errors=True)
                os.remove(data + ".log") if os.path.exists(data + ".log") else None
            store_no += 1
            data = os.path.join(base, f"store-{store_no}")
            os.makedirs(data)
            server = Server(args, data)
            token = make_token(args, data)
            canonical = learn_canonical(server.port, token)
            model = Model(rng)
            model.suppression.acked = len(SUPPRESSION_VARIANTS) - 1
            model.scoring.acked = len(SCORING_VARIANTS) - 1
            summary["stores"] += 1
        else:
            if rng.random() < 0.05:
                # Killed during start-up (catch-up, the first retention, the listen).
                early = Server(args, data, wait=False)
                time.sleep(rng.random() * 0.05)
                early.kill9()
                summary["startup_kills"] += 1
            server = Server(args, data)
        summary["current_data"] = data
        stop = threading.Event()
        lost, model.lost = model.lost[:50], model.lost[50:]
        threads = [Loader(model, server.port, token, f"s{store_no}c{cycle}t{t}", rng.random(), stop,
                          lost if t == 0 else ()) for t in range(args.threads)]
        threads.append(Admin(model, server.port, token, canonical, rng.random(), stop))
        for t in threads:
            t.start()
        time.sleep(rng.random() * args.max_load_ms / 1000)  # the random moment of the crash
        server.kill9()
        stop.set()
        for t in threads:
            t.join(timeout=120)
            if t.is_alive():
                raise Failure("a load thread did not stop after the kill")
            if t.error:
                raise t.error
        expect_verified(args, data, summary, "eventctl verify after the kill")
        server = Server(args, data)
        n = check_store(args, model, server, token, canonical)
        server.kill9() if rng.random() < 0.5 else server.stop()
        summary["cycles"] += 1
        for k, v in model.stats.items():
            summary[k] = summary.get(k, 0) + v
            model.stats[k] = 0
        if not args.quiet:
            print(f"cycle {cycle + 1}/{args.cycles}: store {store_no}, {n} events, "
                  f"{summary['acked_requests']} acknowledged writes so far", flush=True)
    if data and not args.keep:
        shutil.rmtree(data, ignore_errors=True)


# --------------------------------------------------------------------------- rebuild and import

VIEW = ["/v1/events?limit=100&sort_dir=asc", "/v1/events?count_only=true", "/v1/events/types",
        "/v1/contacts/mc_1", "/v1/contacts/hub_0", "/v1/suppression/stats",
        "/v1/events?event_type=view&limit=7&page=3", "/events?limit=100&lead_id=ct_3"]


def served_view(port, token, at):
    """What clients see, having waited for the read models to reach log position `at`."""
    return [(path,) + read(port, token, path, at) for path in VIEW]


def first_answers(port, token):
    """What clients see at once after a start, without waiting: an answer, or 503."""
    out = []
    for path in VIEW:
        c = Client(port, token)
        try:
            out.append((path,) + c.call("GET", path))
        finally:
            c.close()
    return out


def bulk_load(port, token, rng, events):
    c = Client(port, token)
    for start in range(0, events, 1000):
        batch = [event_body(rng, f"r-{i}") for i in range(start, min(events, start + 1000))]
        status, _ = c.call("POST", "/v1/events", {"batch": batch})
        if status != 201:
            raise Failure(f"bulk load answered {status}")
        if start % 20_000 == 0:
            c.call("POST", "/v1/contacts/merge", {"from": f"mc_{start // 20_000}", "into": "hub_0"})
            c.call("DELETE", "/v1/events/batch", {"event_ids": [f"r-{start + 1}", f"r-{start + 2}"]})
    c.close()


def kill_at_random(argv, rng, max_seconds):
    """Runs argv and kills it with SIGKILL after a random time; returns its exit status (negative
    when killed)."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return proc.wait(timeout=rng.random() * max_seconds)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        return proc.wait()


def read_dir_state(data):
    """The read-model generations present and the one named current, for the record."""
    read_dir = os.path.join(data, "read")
    names = sorted(n for n in os.listdir(read_dir) if n.startswith("gen-") and "." not in n) if os.path.isdir(read_dir) else []
    current = open(os.path.join(read_dir, "CURRENT")).read().strip() if os.path.exists(os.path.join(read_dir, "CURRENT")) else None
    offer = os.path.exists(os.path.join(read_dir, "OFFER"))
    return f"{len(names)} generation(s), CURRENT {'set' if current else 'missing'}{', OFFER left' if offer else ''}"


def scenario_rebuild(args, rng, base, summary):
    """Kills a rebuild of the read models: `eventctl rebuild` (alias `replay`) with the server
    stopped, `eventctl rebuild` beside a serving eventsd (both killed), or eventsd during the
    rebuild it was asked for (POST /v1/admin/rebuild)."""
    data = os.path.join(base, "rebuild")
    os.makedirs(data)
    server = Server(args, data)
    token = make_token(args, data)
    bulk_load(server.port, token, rng, args.rebuild_events)
    head = log_position(server)
    before = served_view(server.port, token, head)
    server.stop()
    rebuild = [args.eventctl, "rebuild", "--data", data]
    started = time.monotonic()
    subprocess.run(rebuild, check=True, capture_output=True)
    full = time.monotonic() - started
    summary["rebuild_seconds"] = round(full, 2)
    summary["after_killed_rebuild"] = {}
    for cycle in range(args.cycles):
        mode = ["eventctl, server stopped", "eventctl beside the server", "the server's own rebuild"][cycle % 3]
        if cycle % 3 == 0:
            mode += ", killed" if kill_at_random(rebuild, rng, full * 1.2) else ", finished"
        elif cycle % 3 == 1:
            server = Server(args, data)
            mode += ", killed" if kill_at_random(rebuild, rng, full * 1.2) else ", finished"
            time.sleep(rng.random() * 0.2)
            server.kill9()
        else:
            server = Server(args, data)
            c = Client(server.port, operator_token(args, data))
            status, answer = c.json("POST", "/v1/admin/rebuild")
            c.close()
            if status not in (200, 202):
                raise Failure(f"POST /v1/admin/rebuild answered {status} {answer}")
            time.sleep(rng.random() * full * 1.2)  # the random moment of the crash
            server.kill9()
        code, _ = verify(args, data)
        key = f"{mode}: {read_dir_state(data)}, verify exit {code}"
        summary["after_killed_rebuild"][key] = summary["after_killed_rebuild"].get(key, 0) + 1
        # The next start, killed once during its start-up, then started again.
        early = Server(args, data, wait=False)
        time.sleep(rng.random() * 0.3)
        early.kill9()
        server = Server(args, data)
        for (path, status, body), (_, want_status, want) in zip(first_answers(server.port, token), before):
            if status != 503 and (status, body) != (want_status, want):
                raise Failure(f"after a killed rebuild ({mode}) the server at once served {path} as {status} "
                              f"{body[:300]!r}, not what it served before")
        after = served_view(server.port, token, head)
        server.stop()
        if after != before:
            path, status, body = next(a for a, b in zip(after, before) if a != b)
            raise Failure(f"after a killed rebuild ({mode}) the server serves {path} as {status} {body[:300]!r}")
        expect_verified(args, data, summary, "verify after the restart")
        summary["cycles"] += 1
        if not args.quiet:
            print(f"rebuild cycle {cycle + 1}/{args.cycles}: {key}", flush=True)
    if not args.keep:
        shutil.rmtree(data, ignore_errors=True)


def scenario_import(args, rng, base, summary):
    n = args.import_events
    source = os.path.join(base, "import.jsonl")
    with open(source, "w") as f:
        for i in range(n):
            body = event_body(rng, f"imp-{i}")
            body["data"]["line"] = i
            f.write(json.dumps(body, separators=(",", ":")) + "\n")
    summary["partial_imports_served"] = 0

    def new_store(name):
        """A data directory with a store and a token, as an operator would have it."""
        data = os.path.join(base, name)
        os.makedirs(data)
        server = Server(args, data)
        token = make_token(args, data)
        server.stop()
        return data, token

    def import_argv(data):
        return [args.eventctl, "import", "--data", data, "--tenant", "soak", source]

    data, _ = new_store("import-timing")
    started = time.monotonic()
    subprocess.run(import_argv(data), check=True, capture_output=True)
    full = time.monotonic() - started
    summary["import_seconds"] = round(full, 2)
    shutil.rmtree(data)
    for cycle in range(args.cycles):
        data, token = new_store(f"import-{cycle}")
        argv = import_argv(data)
        status = kill_at_random(argv, rng, full * 1.2)
        expect_verified(args, data, summary, "verify after a killed import")
        server = Server(args, data)
        lines = sorted(e["data"]["line"] for e in export_events(server.port, token, log_position(server)).values())
        server.stop()
        if lines != list(range(len(lines))):
            raise Failure(f"a killed import left events that are not a prefix of the file ({len(lines)} events)")
        if len(lines) % 1000 and len(lines) != n:
            raise Failure(f"a killed import left part of a command: {len(lines)} events")
        if status != 0 and 0 < len(lines) < n:
            summary["partial_imports_served"] += 1
        subprocess.run(argv, check=True, capture_output=True)
        server = Server(args, data)
        events = export_events(server.port, token, log_position(server))
        server.stop()
        if sorted(e["data"]["line"] for e in events.values()) != list(range(n)):
            raise Failure(f"the import run again after a kill holds {len(events)} events, not the file's {n}")
        expect_verified(args, data, summary, "verify after the import was run again")
        summary["cycles"] += 1
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)
            os.remove(data + ".log") if os.path.exists(data + ".log") else None
        if not args.quiet:
            print(f"import cycle {cycle + 1}/{args.cycles}: {'killed' if status else 'finished'}, "
                  f"{len(lines)} of {n} events served after it", flush=True)


# --------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--scenario", choices=["server", "rebuild", "replay", "import"], default="server")
    ap.add_argument("--cycles", type=int, default=20, help="kills to survive (default 20)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: time); printed")
    ap.add_argument("--eventsd", default=os.path.join(ROOT, "build", "eventsd", "eventsd"))
    ap.add_argument("--eventctl", default=os.path.join(ROOT, "build", "tools", "eventctl"))
    ap.add_argument("--data", help="directory for the data directories (default: a new temporary one, "
                                    "removed when every check held)")
    ap.add_argument("--threads", type=int, default=4, help="load threads besides the admin thread (default 4)")
    ap.add_argument("--max-load-ms", type=int, default=1500,
                    help="the kill comes at a random moment within this much load (default 1500)")
    ap.add_argument("--cycles-per-store", type=int, default=50, help="cycles before a fresh data directory (default 50)")
    ap.add_argument("--rebuild-events", "--replay-events", type=int, default=150_000,
                    help="rebuild scenario: events in the store (default 150000)")
    ap.add_argument("--import-events", type=int, default=30_000, help="import scenario: events in the file (default 30000)")
    ap.add_argument("--keep", action="store_true", help="keep the data directories")
    ap.add_argument("--quiet", action="store_true", help="print the summary only")
    args = ap.parse_args()
    for path in (args.eventsd, args.eventctl):
        if not os.access(path, os.X_OK):
            ap.error(f"{path} is not an executable (build first, or give --eventsd/--eventctl)")
    if args.cycles < 1 or args.threads < 1 or args.cycles_per_store < 1:
        ap.error("--cycles, --threads and --cycles-per-store must be at least 1")
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    base = args.data or tempfile.mkdtemp(prefix="eventsd-soak-")
    os.makedirs(base, exist_ok=True)
    summary = {"scenario": args.scenario, "seed": seed, "cycles": 0, "stores": 0, "startup_kills": 0,
               "verify_failures": 0, "losses": 0}
    started = time.monotonic()
    ok = False
    try:
        {"server": scenario_server, "rebuild": scenario_rebuild, "replay": scenario_rebuild,
         "import": scenario_import}[args.scenario](
            args, rng, base, summary)
        ok = True
    except Failure as f:
        if str(f).startswith("LOSS"):
            summary["losses"] += 1
        print(f"FAILED: {f}\n(seed {seed}; data kept in {base})", file=sys.stderr)
    finally:
        summary.pop("current_data", None)
        summary["seconds"] = round(time.monotonic() - started, 1)
        summary["ok"] = ok
        if ok and not args.data and not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        print(json.dumps(summary, sort_keys=True))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
