#!/usr/bin/env python3
"""A counting proxy in front of Prometheus, for scripts/compare-grafatui.sh.

Forwards every request to the upstream unchanged (compression included) and counts, per API
path: requests, response bytes as sent on the wire, and the samples and series in the answers
(a matrix's points, a vector's elements). GET /__stats answers the counts as JSON.

    countproxy.py LISTEN_PORT UPSTREAM_URL
"""
import gzip
import http.client
import json
import sys
import threading
import urllib.parse
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATS = {}  # path -> {"requests", "bytes", "samples", "series"}
UPSTREAM = urllib.parse.urlsplit(sys.argv[2])
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade", "host"}


def count(body, encoding):
    try:
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        data = json.loads(body).get("data", {})
    except Exception:
        return 0, 0
    result = data.get("result") if isinstance(data, dict) else None
    if not isinstance(result, list):
        return 0, 0
    if data.get("resultType") == "matrix":
        samples = sum(len(s.get("values", [])) + len(s.get("histograms", [])) for s in result)
        return samples, len(result)
    if data.get("resultType") == "vector":
        return len(result), len(result)
    return 0, 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        if self.path == "/__stats":
            with LOCK:
                out = json.dumps(STATS).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        conn = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=60)
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except Exception as e:  # upstream down: a 502, counted as a request
            resp, data = None, str(e).encode()
        finally:
            conn.close()
        path = urllib.parse.urlsplit(self.path).path
        encoding = resp.getheader("Content-Encoding", "") if resp else ""
        samples, series = count(data, encoding) if resp else (0, 0)
        with LOCK:
            s = STATS.setdefault(path, {"requests": 0, "bytes": 0, "samples": 0, "series": 0})
            s["requests"] += 1
            s["bytes"] += len(data)
            s["samples"] += samples
            s["series"] += series
        self.send_response(resp.status if resp else 502)
        if resp:
            for k, v in resp.getheaders():
                if k.lower() not in HOP and k.lower() != "content-length":
                    self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = forward
    do_POST = forward


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
