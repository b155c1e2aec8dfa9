#!/usr/bin/env python3
"""A small HTTP/1.1 file server for the tests, with injected faults.

Usage: httpd.py ROOT PORTFILE [LOGFILE] [--tls CERT KEY]

Serves the files of ROOT on 127.0.0.1 (a free port, written to PORTFILE once
listening) with Range and If-Range support, a strong ETag and Last-Modified.
Every request is appended to LOGFILE as "PATH range=... if-range=...".
Exits by itself after MAX_LIFETIME seconds, so a test that dies cannot leave
it behind.

Faults, chosen by a path prefix in front of the file's name:
  /redirect/F             302 to /F
  /goto/SCHEME/PORT/F     302 to SCHEME://127.0.0.1:PORT/F (another server)
  /status/CODE/F          answer CODE
  /cut/N/F                the first request for this path gets N bytes of the
                          body, then the connection is closed; later requests
                          are served normally (so a resume works)
  /cut/NxK/F              the first K requests are cut, each after N bytes
  /reset/N/F              like /cut, but the connection is reset (RST)
  /cut-norange/N/F        cut, then every Range is ignored (200, whole file)
  /cut-416/N/F            cut, then every Range is refused (416)
  /cut-changed/N/F        cut, then the file has a new ETag (as if replaced)
"""
import email.utils
import os
import socket
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler

# testserver.py, found beside this file whatever the cwd, and no
# __pycache__ left in the source tree.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
import testserver  # noqa: E402

MAX_LIFETIME = 300

cuts_done = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def log_request_line(self):
        if self.server.logfile:
            with lock, open(self.server.logfile, "a") as f:
                f.write("%s range=%s if-range=%s\n" % (
                    self.path, self.headers.get("Range"), self.headers.get("If-Range")))

    def answer(self, code, headers=(), body=b""):
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.log_request_line()
        parts = self.path.split("?")[0].lstrip("/").split("/")
        mode = parts[0]
        if mode == "redirect":
            return self.answer(302, [("Location", "/" + "/".join(parts[1:]))])
        if mode == "goto":
            return self.answer(302, [("Location", "%s://127.0.0.1:%s/%s" % (
                parts[1], parts[2], "/".join(parts[3:])))])
        if mode == "status":
            return self.answer(int(parts[1]), body=b"injected status\n")
        cut = None
        if mode in ("cut", "reset", "cut-norange", "cut-416", "cut-changed"):
            n, _, times = parts[1].partition("x")
            with lock:
                done = cuts_done.get(self.path, 0)
                cuts_done[self.path] = done + 1
            if done < int(times or 1):
                cut = int(n)
            after_cut = done > 0
            parts = parts[2:]
        else:
            mode, after_cut = None, False
        self.serve(os.path.join(self.server.root, *parts), mode, cut, after_cut)

    def serve(self, path, mode, cut, after_cut):
        try:
            with open(path, "rb") as f:
                data = f.read()
            st = os.stat(path)
        except OSError:
            return self.answer(404, body=b"not found\n")
        etag = '"%x-%x%s"' % (st.st_size, st.st_mtime_ns,
                               "-new" if mode == "cut-changed" and after_cut else "")
        headers = [("ETag", etag), ("Accept-Ranges", "bytes"),
                   ("Last-Modified", email.utils.formatdate(st.st_mtime, usegmt=True))]
        code, start, body = 200, 0, data
        wanted = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        if wanted and mode != "cut-norange" and (if_range is None or if_range == etag):
            if mode == "cut-416":
                return self.answer(416, [("Content-Range", "bytes */%d" % len(data))])
            first, _, last = wanted.removeprefix("bytes=").partition("-")
            start = int(first)
            end = int(last) + 1 if last else len(data)
            if start >= len(data) or end <= start:
                return self.answer(416, [("Content-Range", "bytes */%d" % len(data))])
            code, body = 206, data[start:end]
            headers.append(("Content-Range", "bytes %d-%d/%d" % (start, end - 1, len(data))))
        if cut is None:
            return self.answer(code, headers, body)
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:cut])
        self.wfile.flush()
        if mode == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        else:
            self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True


def main():
    args = sys.argv[1:]
    tls = testserver.pop_tls(args)
    root, portfile = args[0], args[1]
    server = testserver.Server(("127.0.0.1", 0), Handler)
    server.root = root
    server.logfile = args[2] if len(args) > 2 else None
    testserver.serve(server, portfile, MAX_LIFETIME, tls)


if __name__ == "__main__":
    main()
