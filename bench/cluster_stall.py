#!/usr/bin/env python3
"""The write stall at a failover (run by bench/cluster.sh, which starts the cluster).

Paced single-event ingest, one thread per tenant, all through one eventsd node (--port): each
thread sends one event every 1/--rate seconds on a kept-alive connection (retrying at the same pace
after a refusal or an error; a request unanswered after --timeout seconds is given up, as a
client with a timeout would), and records when each write was acknowledged (201). After --before
seconds, the process --pid is sent --signal (KILL or TERM). Meanwhile the node's /healthz is polled
every 20 ms (with --operator-token: its shards are an operator's to read).

Prints, per shard, the longest gap between two successive acknowledged writes of its tenants from
one second before the signal to the end (and, as the baseline of the same run, the longest gap
before the signal), which shards the victim held (--victim: the node owning them, as
--owners-before lists owners per shard, or the nats-server leading their stream, as --leaders
lists them), and with --owner, how long until /healthz showed every shard owned by that node.
The run ends --settle seconds after every tenant's writes are acknowledged again (and every shard
owned, with --owner), or --max-after seconds after the signal.

  --summarize FILE: medians of the RESULT lines that earlier runs printed into FILE.
"""
import argparse
import collections
import http.client
import json
import os
import signal
import statistics
import sys
import threading
import time


def summarize(path):
    values = collections.defaultdict(lambda: collections.defaultdict(list))
    for line in open(path):
        if line.startswith("RESULT\t"):
            _, label, key, value = line.split("\t")
            values[label][key].append(float(value))
    for label, keys in values.items():
        parts = []
        for key, vs in keys.items():
            parts.append("%s %.0f (%s)" % (key, statistics.median(vs), " ".join("%.0f" % v for v in vs)))
        print("%-32s %s" % (label, "; ".join(parts)))


class Tenant(threading.Thread):
    def __init__(self, port, name, shard, token, period, timeout, stop):
        super().__init__(daemon=True)
        self.port, self.name, self.shard, self.token = port, name, shard, token
        self.period, self.timeout, self.stop = period, timeout, stop
        self.acks = []
        self.slowest = 0.0  # seconds, the longest request answered or abandoned
        self.refused = collections.Counter()

    def run(self):
        conn = None
        due = time.monotonic()
        n = 0
        while not self.stop.is_set():
            now = time.monotonic()
            if now < due:
                time.sleep(due - now)
            due = max(due + self.period, time.monotonic())
            n += 1
            body = json.dumps({"event": "page_view", "contact_id": "ct_%d" % (n % 1000),
                               "url": "https://site.example.com/p/%d" % (n % 50), "data": {"n": n}})
            sent = time.monotonic()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                conn.request("POST", "/v1/events", body, {"Authorization": "Bearer " + self.token,
                                                          "Content-Type": "application/json"})
                answer = conn.getresponse()
                answer.read()
                if answer.status == 201:
                    self.acks.append(time.monotonic())
                else:
                    self.refused[str(answer.status)] += 1
            except (OSError, http.client.HTTPException) as e:
                self.refused["timeout" if isinstance(e, TimeoutError) else type(e).__name__] += 1
                conn = None
            self.slowest = max(self.slowest, time.monotonic() - sent)


def owners(port, operator_token):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", "/healthz", headers={"Authorization": "Bearer " + operator_token} if operator_token else {})
        health = json.loads(conn.getresponse().read())
        return [s.get("owner") or "-" for s in health["shards"]]
    except (OSError, ValueError, KeyError, http.client.HTTPException):
        return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--summarize")
    p.add_argument("--port", type=int)
    p.add_argument("--tenant", action="append", default=[], help="NAME:SHARD:TOKEN")
    p.add_argument("--rate", type=float, default=50, help="requests/s per tenant")
    p.add_argument("--timeout", type=float, default=5,
                   help="seconds a client waits for an answer before it gives up and sends the next")
    p.add_argument("--pid", type=int)
    p.add_argument("--signal", choices=["KILL", "TERM"], default="KILL")
    p.add_argument("--owner", help="wait until every shard is owned by this node")
    p.add_argument("--operator-token", default="", help="reads /healthz's shards (eventctl token create --operator)")
    p.add_argument("--owners-before", default="")
    p.add_argument("--leaders", default="", help="EVENTSD_S<n>=<server> ...")
    p.add_argument("--victim", default="")
    p.add_argument("--label", default="stall")
    p.add_argument("--before", type=float, default=4)
    p.add_argument("--settle", type=float, default=3)
    p.add_argument("--max-after", type=float, default=120)
    args = p.parse_args()
    if args.summarize:
        summarize(args.summarize)
        return

    stop = threading.Event()
    tenants = []
    for spec in args.tenant:
        name, shard, token = spec.split(":", 2)
        tenants.append(Tenant(args.port, name, int(shard), token, 1 / args.rate, args.timeout, stop))
    for t in tenants:
        t.start()

    start = time.monotonic()
    signalled = None
    owned = None
    recovered_at = None
    while True:
        now = time.monotonic()
        if signalled is None and now - start >= args.before:
            signalled = time.monotonic()
            os.kill(args.pid, getattr(signal, "SIG" + args.signal))
        if signalled is not None:
            if args.owner and owned is None:
                o = owners(args.port, args.operator_token)
                if o and all(x == args.owner for x in o):
                    owned = time.monotonic()
            since = owned if args.owner else signalled + 1
            recovered = (not args.owner or owned is not None) and all(
                t.acks and t.acks[-1] > since and t.acks[-1] > now - 0.5 for t in tenants)
            if not recovered:
                recovered_at = None
            elif recovered_at is None:
                recovered_at = now
            elif now - recovered_at >= args.settle:
                break
            if now - signalled > args.max_after:
                print("not recovered %.0f s after the signal" % args.max_after)
                break
        time.sleep(0.02)
    stop.set()
    for t in tenants:
        t.join(timeout=130)
    end = time.monotonic()

    owners_before = args.owners_before.split()
    leaders = dict(kv.split("=", 1) for kv in args.leaders.split())
    victim_shards = set()
    for s in {t.shard for t in tenants}:
        if s < len(owners_before) and owners_before[s] == args.victim:
            victim_shards.add(s)
        if leaders.get("EVENTSD_S%d" % s) == args.victim:
            victim_shards.add(s)

    def max_gap(acks, lo, hi):
        acks = [a for a in acks if lo <= a <= hi]
        best, at = 0.0, None
        for x, y in zip(acks, acks[1:]):
            if y - x > best:
                best, at = y - x, x
        return best * 1000, at

    print("signal %s to pid %d at t=%.1f s; run ended %.1f s after it" %
          (args.signal, args.pid, signalled - start, end - signalled))
    if args.owner:
        print("every shard owned by %s %s" % (
            args.owner, "%.0f ms after the signal" % ((owned - signalled) * 1000) if owned else "never"))
        print("RESULT\t%s\towned_ms\t%.0f" % (args.label, (owned - signalled) * 1000 if owned else -1))
    worst = {"victim": 0.0, "others": 0.0, "baseline": 0.0}
    for s in sorted({t.shard for t in tenants}):
        group = [t for t in tenants if t.shard == s]
        gap, at, base = 0.0, None, 0.0
        refused = collections.Counter()
        for t in group:
            g, a = max_gap(t.acks, signalled - 1, end)
            if g > gap:
                gap, at = g, a
            base = max(base, max_gap(t.acks, start + 1, signalled)[0])
            refused.update(t.refused)
        kind = "victim" if s in victim_shards else "others"
        worst[kind] = max(worst[kind], gap)
        worst["baseline"] = max(worst["baseline"], base)
        print("shard %d (%s%s): longest gap %6.0f ms%s; before the signal %4.0f ms; acks %d; slowest request %.0f ms; not acknowledged %s" % (
            s, "owner " + owners_before[s] if s < len(owners_before) else "",
            ", victim's" if kind == "victim" else "", gap,
            " from t%+.2f s" % (at - signalled) if at is not None else "", base,
            sum(len(t.acks) for t in group), max(t.slowest for t in group) * 1000, dict(refused) or "none"))
    kinds = {"victim" if t.shard in victim_shards else "others" for t in tenants} | {"baseline"}
    for kind, gap in worst.items():
        if kind in kinds:
            print("RESULT\t%s\tgap_%s_ms\t%.0f" % (args.label, kind, gap))


if __name__ == "__main__":
    sys.exit(main())
