#!/usr/bin/env python3
"""A small HTTP/1.1 (or HTTPS) server for iamscribe's proxy tests: it reads every request body
(Content-Length or chunked) without keeping it, and answers with the byte count and the Host
header it saw, and the port its client connected from (which tells connections apart).
`/status/NNN` answers NNN with an AWS-style XML error; `/delay/MS/...` answers after MS ms;
`/stream/N/MS` answers as an event stream would, N chunks MS ms apart. With --cert and --key it
speaks TLS. It prints its port on standard output once it listens, then serves until killed."""
import argparse
import http.server
import json
import socketserver
import ssl
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def read_body(self):
        total = 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return total
                remaining = size
                while remaining:
                    chunk = self.rfile.read(min(remaining, 1 << 16))
                    if not chunk:
                        return total
                    remaining -= len(chunk)
                    total += len(chunk)
                self.rfile.readline()
        remaining = int(self.headers.get("Content-Length") or 0)
        while remaining:
            chunk = self.rfile.read(min(remaining, 1 << 16))
            if not chunk:
                break
            remaining -= len(chunk)
            total += len(chunk)
        return total

    def answer(self):
        received = self.read_body()
        if self.path.startswith("/stream/"):
            return self.stream(int(self.path.split("/")[2]), int(self.path.split("/")[3]))
        status = 200
        if self.path.startswith("/delay/"):
            time.sleep(int(self.path.split("/")[2]) / 1000)
        if self.path.startswith("/status/"):
            status = int(self.path.split("/")[2])
        if status >= 400:
            body = b"<Error><Code>AccessDenied</Code><Message>denied by the test server</Message></Error>"
            content_type = "application/xml"
        else:
            body = json.dumps({"received": received, "host": self.headers.get("Host"), "path": self.path,
                               "peer": self.client_address[1],
                               "contentLength": self.headers.get("Content-Length"),
                               "transferEncoding": self.headers.get("Transfer-Encoding")}).encode()
            content_type = "application/json"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def stream(self, count, milliseconds):
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.amazon.eventstream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for index in range(count):
            if index:
                time.sleep(milliseconds / 1000)
            chunk = f"event {index}\n".encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = answer


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert")
    parser.add_argument("--key")
    arguments = parser.parse_args()
    server = Server(("127.0.0.1", 0), Handler)
    if arguments.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(arguments.cert, arguments.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
