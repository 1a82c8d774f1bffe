#!/usr/bin/env python3
"""Logins against the rest of the server: N clients send bad console logins (made-up e-mails,
each answered after an Argon2id check of the dummy hash) as fast as they are answered, ignoring
Retry-After, while a probe (a process of its own) asks GET /healthz every 20 ms. Prints the probe's latency (p50, p99, max) before and during
the logins, and how the logins were answered (401 checked, 429 slowed, 503 queue full).
--polite clients wait a second after a 429 or 503, as Retry-After asks; --control clients send
logins refused before any check, to tell the cost of the request flood from that of the checks.

If the server has --trusted-proxies, it is started with --trusted-proxies 127.0.0.1 and every
login carries an X-Forwarded-For of its own, so that no per-address limit spares the password
checks: the worst case, a botnet. (A build without the flag gets neither.)

usage: bench/login_stall.py [--eventsd build/eventsd/eventsd] [--clients 50] [--seconds 10]
       [--polite] [--control] [-- extra eventsd flags]
"""
import argparse
import asyncio
import collections
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Connection:
    """One keep-alive HTTP/1.1 connection; answers framed by Content-Length."""

    def __init__(self, port):
        self.port = port
        self.reader = self.writer = None

    async def request(self, method, target, headers=(), body=b""):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers)
        self.writer.write(head.encode() + b"\r\n" + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        length, close = 0, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        await self.reader.readexactly(length)
        if close:
            self.writer.close()
            self.writer = None
        return int(status_line.split()[1])


def percentiles(samples):
    s = sorted(samples)
    at = lambda q: s[min(len(s) - 1, int(len(s) * q))] * 1000
    return f"p50 {at(0.5):.1f} ms, p99 {at(0.99):.1f} ms, max {s[-1] * 1000:.1f} ms ({len(s)} probes)"


async def probe(port, until):
    c = Connection(port)
    out = []
    while time.monotonic() < until:
        start = time.monotonic()
        status = await c.request("GET", "/healthz")
        out.append(time.monotonic() - start)
        assert status == 200, status
        await asyncio.sleep(0.02)
    return out


async def bad_logins(port, client, until, forwarded, answers, polite, control):
    c = Connection(port)
    n = 0
    while time.monotonic() < until:
        n += 1
        body = json.dumps({"email": f"nobody-{client}-{n}@example.com", "password": "not the password"}).encode()
        if control:
            body = b"{}"  # refused (400) before any limit or check: the flood of requests alone
        headers = [("Content-Type", "application/json")]
        if forwarded:
            headers.append(("X-Forwarded-For", f"10.{client}.{n // 250 % 250}.{n % 250 + 1}"))
        status = await c.request("POST", "/api/auth/login", headers, body)
        answers[status] += 1
        if polite and status in (429, 503):
            await asyncio.sleep(1)


def probe_process(port, seconds, out):
    """The probe in a process of its own, so that the attackers' event loop never delays it."""
    out.put(asyncio.run(probe(port, time.monotonic() + seconds)))


def probed(port, seconds):
    queue = multiprocessing.Queue()
    p = multiprocessing.Process(target=probe_process, args=(port, seconds, queue))
    p.start()
    return p, queue


async def attack(port, clients, seconds, forwarded, polite, control):
    until = time.monotonic() + seconds
    answers = collections.Counter()
    await asyncio.gather(*(bad_logins(port, i, until, forwarded, answers, polite, control) for i in range(clients)))
    return answers


def run(port, clients, seconds, forwarded, polite, control):
    p, queue = probed(port, 3)
    before = queue.get()
    p.join()
    p, queue = probed(port, seconds)
    started = time.monotonic()
    answers = asyncio.run(attack(port, clients, seconds, forwarded, polite, control))
    elapsed = time.monotonic() - started
    during = queue.get()
    p.join()
    print(f"/healthz before: {percentiles(before)}")
    what = "malformed logins" if control else "bad logins, polite" if polite else "bad logins"
    print(f"/healthz during {clients} concurrent {what}: {percentiles(during)}")
    total = sum(answers.values())
    print(f"logins: {total} in {elapsed:.1f} s, by status {dict(sorted(answers.items()))}; "
          f"{answers[401] / elapsed:.1f} password checks/s")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eventsd", default=os.path.join(ROOT, "build", "eventsd", "eventsd"))
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--polite", action="store_true", help="clients wait 1 s after a 429 or 503")
    parser.add_argument("--control", action="store_true",
                        help="clients send malformed logins (400, no password check): the request flood alone")
    parser.add_argument("extra", nargs="*", help="more eventsd flags (after --)")
    args = parser.parse_args()
    forwarded = "--trusted-proxies" in subprocess.run([args.eventsd, "--help"], capture_output=True, text=True).stdout
    data = tempfile.mkdtemp(prefix="login-stall-")
    flags = ["--data", data, "--listen", "127.0.0.1:0"] + args.extra
    if forwarded:
        flags += ["--trusted-proxies", "127.0.0.1"]
    server = subprocess.Popen([args.eventsd] + flags, stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        port = int(line.split("http://127.0.0.1:")[1].split()[0])
        print(f"{args.eventsd} {' '.join(flags[4:])} ({os.cpu_count()} cores)")
        run(port, args.clients, args.seconds, forwarded, args.polite, args.control)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
