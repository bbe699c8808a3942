#!/usr/bin/env python3
"""patch-rate.py BASE_URL [COUNT] [KIB]: the fixed cost of one PATCH, without process start-up.

One keep-alive connection: POST an upload, then COUNT PATCHes of KIB KiB each (Content-Range),
then PUT ?digest=. Small chunks make the per-request cost (opening the upload, hand-offs between
threads, the answer) dominate what registry-bench.sh's chunked figure hides behind a curl process
per chunk. Prints: RESULT patch_rate <PATCHes per second> <median ms> <p90 ms>.
"""
import hashlib
import http.client
import os
import statistics
import sys
import time
from urllib.parse import urlparse

base = urlparse(sys.argv[1])
count = int(sys.argv[2]) if len(sys.argv) > 2 else 500
size = (int(sys.argv[3]) if len(sys.argv) > 3 else 64) * 1024
conn = http.client.HTTPConnection(base.hostname, base.port)
repo = f"patch-rate/r{os.getpid()}-{int(time.time())}"


def call(method, path, body=b"", headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    r.read()
    return r


start = call("POST", f"/v2/{repo}/blobs/uploads/", headers={"Content-Length": "0"})
assert start.status == 202, start.status
loc = start.getheader("Location")
loc = urlparse(loc).path + ("?" + urlparse(loc).query if urlparse(loc).query else "")
data = os.urandom(size)
sha = hashlib.sha256()
times = []
t0 = time.perf_counter()
for i in range(count):
    t = time.perf_counter()
    r = call("PATCH", loc, data, {"Content-Type": "application/octet-stream",
                                  "Content-Range": f"{i * size}-{(i + 1) * size - 1}"})
    times.append(time.perf_counter() - t)
    assert r.status == 202, r.status
    sha.update(data)
    loc = r.getheader("Location")
wall = time.perf_counter() - t0
sep = "&" if "?" in loc else "?"
r = call("PUT", f"{loc}{sep}digest=sha256:{sha.hexdigest()}", headers={"Content-Length": "0"})
assert r.status == 201, r.status
times.sort()
print(f"RESULT patch_rate {count / wall:.0f} PATCH/s median_ms={statistics.median(times) * 1000:.2f} "
      f"p90_ms={times[int(len(times) * 0.9)] * 1000:.2f} ({count} x {size // 1024} KiB on one connection)")
