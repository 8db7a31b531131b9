#!/usr/bin/python3
"""HTTP mirror for the tests of flowtop -u (GeoIP update).

  geo_http_server.py ADDR PORT DIR

Serves, on a test address only (127.0.0.1 in a test namespace):
  /good.mmdb        DIR/good.mmdb as it is
  /good.mmdb.gz     DIR/good.mmdb gzip-compressed (a .gz file)
  /transport.mmdb   DIR/good.mmdb with Content-Encoding: gzip
  /wrongtype.mmdb   DIR/other.mmdb (a valid database of another type)
  /corrupt.mmdb     random bytes
  /truncated.mmdb   the first half of good.mmdb (complete HTTP response)
  /short.mmdb       announces the full length, sends half, closes
  /badgzip.mmdb.gz  a gzip stream cut in the middle
  /stall.mmdb       headers, a few bytes, then nothing (until killed)
  anything else     404
Prints "ready" once listening and "GET PATH" per request.
"""
import gzip
import http.server
import os
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send_body(self, body, ctype="application/octet-stream", extra=()):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        print("GET", self.path, flush=True)
        d = self.server.dir
        good = open(os.path.join(d, "good.mmdb"), "rb").read()
        p = self.path
        if p == "/good.mmdb":
            self.send_body(good)
        elif p == "/good.mmdb.gz":
            self.send_body(gzip.compress(good), "application/gzip")
        elif p == "/transport.mmdb":
            self.send_body(gzip.compress(good), extra=[("Content-Encoding", "gzip")])
        elif p == "/wrongtype.mmdb":
            self.send_body(open(os.path.join(d, "other.mmdb"), "rb").read())
        elif p == "/corrupt.mmdb":
            self.send_body(os.urandom(len(good)))
        elif p == "/truncated.mmdb":
            self.send_body(good[:len(good) // 2])
        elif p == "/badgzip.mmdb.gz":
            z = gzip.compress(good)
            self.send_body(z[:len(z) // 2], "application/gzip")
        elif p == "/short.mmdb":
            self.send_response(200)
            self.send_header("Content-Length", str(len(good)))
            self.end_headers()
            self.wfile.write(good[:len(good) // 2])
            self.wfile.flush()
            self.close_connection = True
        elif p == "/stall.mmdb":
            self.send_response(200)
            self.send_header("Content-Length", str(len(good)))
            self.end_headers()
            self.wfile.write(good[:16])
            self.wfile.flush()
            time.sleep(3600)
        else:
            body = b"not here\n"
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


def main():
    addr, port, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    srv = http.server.ThreadingHTTPServer((addr, port), Handler)
    srv.daemon_threads = True
    srv.dir = d
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
