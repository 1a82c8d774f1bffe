#!/usr/bin/env python3
"""Limits under load: hostile or careless clients against a real eventsd, while a well-behaved
client keeps asking. For each scenario it prints the well-behaved client's latency (median and
99th percentile of GET /v1/events?limit=10, and whether every one was answered 200), the server's
resident memory before, at the peak and after, and its open connections and streams (/metrics).

Scenarios (one after the other, on one server with default flags but --max-streams-per-tenant
1000, since one tenant plays every client):
  idle       5,000 connections that connect and send nothing
  slowloris  1,000 connections sending a request header one line every 2 s, never finishing
  slow-export 50 clients that ask for an export of every event and read nothing
  slow-stream 50 stream clients that read nothing while events are ingested
  streams    200 stream subscribers reading everything while events are ingested

usage: bench/load_limits.py [--events 100000] [--hold 20]    (needs a Release build in build/)
"""
import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EVENTSD = os.path.join(ROOT, "build", "eventsd", "eventsd")
EVENTCTL = os.path.join(ROOT, "build", "tools", "eventctl")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


class Server:
    def __init__(self, data):
        self.data = data
        self.token = subprocess.check_output(
            [EVENTCTL, "token", "create", "--data", data, "--tenant", "load", "--scopes",
             "events:read,events:write", "--create"], text=True).strip()
        # One tenant plays every client here, so its share of stream slots is the global cap.
        self.proc = subprocess.Popen([EVENTSD, "--data", data, "--listen", "127.0.0.1:0",
                                      "--max-streams-per-tenant", "1000"],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        self.port = int(line.split("http://127.0.0.1:")[1].split()[0])

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


async def request(port, method, target, token=None, body=b"", read_body=True):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    if token:
        head += f"Authorization: Bearer {token}\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n"
    writer.write(head.encode() + body)
    await writer.drain()
    data = await reader.read() if read_body else await reader.readline()
    writer.close()
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0, data


async def metrics(port):
    _, data = await request(port, "GET", "/metrics")
    out = {}
    for line in data.decode(errors="replace").splitlines():
        for name in ("eventsd_open_connections", "eventsd_stream_subscribers"):
            if line.startswith(name + " "):
                out[name] = int(float(line.split()[1]))
    return out


class Probe:
    """The well-behaved client: one request at a time, each timed, on a fresh connection."""

    def __init__(self, server):
        self.server = server
        self.latencies = []
        self.failures = 0
        self.peak_rss = 0

    async def run(self, until):
        while time.monotonic() < until:
            start = time.monotonic()
            try:
                status, _ = await asyncio.wait_for(
                    request(self.server.port, "GET", "/v1/events?limit=10", self.server.token), 10)
            except (asyncio.TimeoutError, OSError):
                status = 0
            self.latencies.append(time.monotonic() - start)
            if status != 200:
                self.failures += 1
            self.peak_rss = max(self.peak_rss, rss_kib(self.server.proc.pid))
            await asyncio.sleep(0.05)

    def summary(self):
        lat = sorted(self.latencies)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        return (f"{len(lat)} probes, {self.failures} failed, p50 {statistics.median(lat) * 1000:.1f} ms, "
                f"p99 {p99 * 1000:.1f} ms")


async def ingest_loop(server, until, per_second=20):
    while time.monotonic() < until:
        body = json.dumps({"batch": [{"event": "live", "data": {"n": i}} for i in range(10)]}).encode()
        await request(server.port, "POST", "/v1/events", server.token, body)
        await asyncio.sleep(1 / per_second)


async def open_silent(port, n):
    conns = []
    for _ in range(n):
        try:
            conns.append(await asyncio.open_connection("127.0.0.1", port))
        except OSError:
            break
    return conns


async def scenario_idle(server, hold):
    conns = await open_silent(server.port, 5000)
    return conns, [], f"{len(conns)} idle connections"


async def scenario_slowloris(server, hold):
    conns = await open_silent(server.port, 1000)

    async def drip(writer):
        try:
            writer.write(b"GET /v1/events HTTP/1.1\r\nHost: x\r\n")
            for i in range(hold):
                await asyncio.sleep(2)
                writer.write(f"X-Drip-{i}: {'a' * 20}\r\n".encode())
                await writer.drain()
        except (ConnectionError, OSError):
            pass

    return conns, [asyncio.ensure_future(drip(w)) for _, w in conns], f"{len(conns)} slow-header connections"


def raw_nonreading(port, target, token, n):
    """Clients that send a request and never read: a small receive buffer fills at once."""
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", port))
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
        socks.append(s)
    return socks


async def scenario_slow_export(server, hold):
    socks = raw_nonreading(server.port, "/v1/events/export?format=jsonl", server.token, 50)
    return socks, [], "50 export clients that read nothing"


async def scenario_slow_stream(server, hold):
    socks = raw_nonreading(server.port, "/v1/events/stream", server.token, 50)
    until = time.monotonic() + hold
    return socks, [asyncio.ensure_future(ingest_loop(server, until))], "50 stream clients that read nothing, 200 events/s"


async def scenario_streams(server, hold):
    readers = []
    received = [0]

    async def subscriber():
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(f"GET /v1/events/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {server.token}\r\n\r\n".encode())
        await writer.drain()
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                received[0] += chunk.count(b"\nid: ") + chunk.startswith(b"id: ")
        except (ConnectionError, asyncio.CancelledError):
            pass
        writer.close()

    for _ in range(200):
        readers.append(asyncio.ensure_future(subscriber()))
    until = time.monotonic() + hold
    readers.append(asyncio.ensure_future(ingest_loop(server, until)))
    return [], readers, "200 stream subscribers, 200 events/s", received


async def run_scenario(server, name, make, hold):
    rss_before = rss_kib(server.proc.pid)
    made = await make(server, hold)
    held, tasks, what = made[0], made[1], made[2]
    await asyncio.sleep(1)
    during = await metrics(server.port)
    probe = Probe(server)
    await probe.run(time.monotonic() + hold)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for h in held:
        if isinstance(h, socket.socket):
            h.close()
        else:
            h[1].close()
    await asyncio.sleep(2)
    after = await metrics(server.port)
    extra = f", {made[3][0]} stream messages received" if len(made) > 3 else ""
    print(f"{name:12} {what}: {probe.summary()}; RSS {rss_before // 1024} MiB before, peak "
          f"{probe.peak_rss // 1024} MiB, {rss_kib(server.proc.pid) // 1024} MiB after; during: "
          f"{during.get('eventsd_open_connections')} connections, {during.get('eventsd_stream_subscribers')} streams; "
          f"after: {after.get('eventsd_open_connections')} connections{extra}", flush=True)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--hold", type=int, default=20, help="seconds each scenario lasts")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    data = tempfile.mkdtemp(prefix="eventsd-load-")
    server = Server(data)
    try:
        for b in range(args.events // 1000):
            body = json.dumps({"batch": [{"event": "seed", "url": f"https://example.com/p/{i}",
                                          "data": {"n": b * 1000 + i, "text": "x" * 100}} for i in range(1000)]})
            status, _ = await request(server.port, "POST", "/v1/events", server.token, body.encode())
            assert status == 201, status
        print(f"eventsd pid {server.proc.pid}, {args.events} events stored, RSS {rss_kib(server.proc.pid) // 1024} MiB")
        baseline = Probe(server)
        await baseline.run(time.monotonic() + 5)
        print(f"{'baseline':12} no other load: {baseline.summary()}", flush=True)
        for name, make in [("idle", scenario_idle), ("slowloris", scenario_slowloris),
                           ("slow-export", scenario_slow_export), ("slow-stream", scenario_slow_stream),
                           ("streams", scenario_streams)]:
            await run_scenario(server, name, make, args.hold)
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
