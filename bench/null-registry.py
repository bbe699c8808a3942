#!/usr/bin/env python3
"""null-registry.py PORT: the upload endpoints of a registry that keeps nothing.

Answers just enough of the OCI distribution API for registry-bench.sh's push sections
(-o blobpush,chunked): GET /v2/ 200, POST .../blobs/uploads/ 202, PATCH 202, PUT 201. Bodies are
read and thrown away, nothing is hashed or written. Run beside a real registry in the same
benchmark, it shows what the clients alone cost: the fastest any registry could be measured here.
"""
import http.server
import sys
import uuid


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def discard_body(self):
        left = int(self.headers.get("Content-Length") or 0)
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 20))
            if not chunk:
                break
            left -= len(chunk)
        return int(self.headers.get("Content-Length") or 0)

    def answer(self, code, headers=()):
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        self.answer(200 if self.path.rstrip("/") == "/v2" else 404)

    def do_POST(self):
        self.discard_body()
        name = self.path.split("/blobs/uploads")[0]
        self.answer(202, [("Location", f"{name}/blobs/uploads/{uuid.uuid4()}"), ("Range", "0-0")])

    def do_PATCH(self):
        self.discard_body()
        self.answer(202, [("Location", self.path.split("?")[0])])

    def do_PUT(self):
        self.discard_body()
        self.answer(201, [("Location", self.path.split("?")[0])])


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
