#!/usr/bin/env python3
"""Online rebuild under ingest: eventsd serves a data directory that already holds a large log
while a paced client ingests at a fixed rate; after a quiet phase, POST /v1/admin/rebuild folds a
new read-model generation beside the live one. Prints the ingest latency (median, 99th
percentile, worst) of the quiet phase and of the rebuild phase, the rebuild's duration and speed,
and whether every request was answered 201.

The rate is met by pacing: each of --clients threads sends a batch of --batch events every
clients*batch/rate seconds, so the server is asked for the same events per second whatever its
latency (latency is measured from the time a request was due, so a late answer counts as late).

usage: bench/online_rebuild.py --data DIR [--rate 10000] [--batch 100] [--clients 4]
                               [--quiet-seconds 20]
       DIR is a data directory eventsd has served (e.g. the one bench/replay_bench builds,
       /tmp/eventsd-bench-replay); it is used in place (the rebuild leaves a new generation).
       Needs a Release build in build/.
"""
import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EVENTSD = os.path.join(ROOT, "build", "eventsd", "eventsd")
EVENTCTL = os.path.join(ROOT, "build", "tools", "eventctl")


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1)]


class Load:
    """Paced batch ingests; latencies (ms) recorded per phase."""

    def __init__(self, port, token, rate, batch, clients):
        self.port, self.token, self.batch, self.clients = port, token, batch, clients
        self.period = clients * batch / rate
        self.phase = "warm"
        self.latencies = {}
        self.failures = {}
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(clients)]

    def body(self, n):
        events = []
        for i in range(self.batch):
            k = n * self.batch + i
            contact = None if (k // 10) % 10 < 4 else "ct_%d" % (k // 10 % 100000)
            e = {"event": ("page_view", "email_open", "form_submit")[k % 3],
                 "url": "https://site%d.example.com/p/%d" % (k % 20, k % 500), "data": {"n": k}}
            if contact:
                e["contact_id"] = contact
            events.append(e)
        return json.dumps({"batch": events})

    def run(self, index):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        due = time.monotonic() + index * self.period / self.clients
        n = index
        while not self.stop.is_set():
            now = time.monotonic()
            if now < due:
                time.sleep(due - now)
            body = self.body(n)
            conn.request("POST", "/v1/events", body, {"Authorization": "Bearer " + self.token,
                                                      "Content-Type": "application/json"})
            answer = conn.getresponse()
            answer.read()
            latency = (time.monotonic() - due) * 1000
            with self.lock:
                self.latencies.setdefault(self.phase, []).append(latency)
                if answer.status != 201:
                    self.failures[self.phase] = self.failures.get(self.phase, 0) + 1
            due += self.period
            n += self.clients


def get_json(port, path, token, method="GET"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(method, path, headers={"Authorization": "Bearer " + token})
    answer = conn.getresponse()
    return answer.status, json.loads(answer.read() or b"{}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--rate", type=int, default=10000, help="events per second (default 10000)")
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--quiet-seconds", type=float, default=20)
    args = ap.parse_args()

    token = subprocess.run([EVENTCTL, "token", "create", "--data", args.data, "--tenant", "bench",
                            "--scopes", "events:write,events:read"],
                           check=True, capture_output=True, text=True).stdout.strip().split()[-1]
    # Rebuilds and /healthz's positions span every tenant: an operator's token.
    operator = subprocess.run([EVENTCTL, "token", "create", "--data", args.data, "--operator"],
                              check=True, capture_output=True, text=True).stdout.strip().split()[-1]
    out = tempfile.TemporaryFile(mode="w+")
    server = subprocess.Popen([EVENTSD, "--data", args.data, "--listen", "127.0.0.1:0"], stdout=out,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        port = None
        for _ in range(600):
            out.seek(0)
            text = out.read()
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", text)
            if found:
                port = int(found.group(1))
                break
            time.sleep(0.1)
        if port is None:
            sys.exit("eventsd did not start")
        _, health = get_json(port, "/healthz", operator)
        print("log position %s, read position %s" % (health.get("log_position"), health.get("read_position")))
        load = Load(port, token, args.rate, args.batch, args.clients)
        for t in load.threads:
            t.start()
        time.sleep(2)
        load.phase = "quiet"
        time.sleep(args.quiet_seconds)
        load.phase = "rebuild"
        started = time.monotonic()
        status, _ = get_json(port, "/v1/admin/rebuild", operator, "POST")
        if status != 202:
            sys.exit("POST /v1/admin/rebuild answered %d" % status)
        rebuild = {}
        while True:
            time.sleep(0.5)
            _, rebuild = get_json(port, "/v1/admin/rebuild", operator)
            if not rebuild.get("rebuild", {}).get("running"):
                break
        took = time.monotonic() - started
        load.phase = "after"
        time.sleep(2)
        load.stop.set()
        for t in load.threads:
            t.join()
        print("rebuild: %.1f s, %s" % (took, json.dumps(rebuild)))
        print("%-8s %9s %9s %9s %9s %9s" % ("phase", "requests", "p50 ms", "p99 ms", "max ms", "non-201"))
        for phase in ("quiet", "rebuild"):
            lat = load.latencies.get(phase, [])
            print("%-8s %9d %9.1f %9.1f %9.1f %9d" % (phase, len(lat), statistics.median(lat) if lat else float("nan"),
                                                      percentile(lat, 99), max(lat) if lat else float("nan"),
                                                      load.failures.get(phase, 0)))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
