#!/usr/bin/env python3
"""An HTTP/1.1 upstream for iamscribe's proxy tests that answers with exact, scripted bytes and
writes down exactly what it received.

It reads one request at a time on each connection (the head up to its empty line, then the body
by its chunked framing, else its Content-Length, else none), appends the raw bytes of that request
to the log, and answers with the first unused scripted answer whose `match` occurs in the
request's first line (or that has no `match`). An answer is a list of steps:

    {"send": BASE64, "piece": N, "pause": SECONDS}   the bytes, N at a time with a pause between
    {"sleep": SECONDS}
    {"close": true}                                   close the connection (TLS: close_notify first)

The script is a JSON file: {"answers": [{"match": "GET /a ", "steps": [...]}, ...]}.
The log holds one JSON object a line, written and flushed as it happens:

    {"connection": N, "event": "connect"}
    {"connection": N, "request": BASE64}               one whole request, as received
    {"connection": N, "stray": BASE64, "why": TEXT}    bytes that did not make a request
    {"connection": N, "event": "unscripted"}           a request no answer was left for (a 500 went back)

With --cert and --key it speaks TLS. It prints its port on standard output once it listens,
then serves until killed."""
import argparse
import base64
import json
import socket
import ssl
import sys
import threading
import time

MAXIMUM_HEAD = 1 << 20


class Log:
    def __init__(self, path):
        self.file = open(path, "a", encoding="ascii")
        self.lock = threading.Lock()

    def write(self, **entry):
        with self.lock:
            self.file.write(json.dumps(entry) + "\n")
            self.file.flush()


class Answers:
    def __init__(self, answers):
        self.answers = answers
        self.lock = threading.Lock()

    def take(self, first_line):
        with self.lock:
            for index, answer in enumerate(self.answers):
                match = answer.get("match")
                if match is None or match.encode("latin-1") in first_line:
                    return self.answers.pop(index)
        return None


class Connection:
    def __init__(self, sock, number, log):
        self.sock = sock
        self.number = number
        self.log = log
        self.buffer = b""
        self.eof = False

    def fill(self):
        try:
            data = self.sock.recv(65536)
        except (ConnectionError, ssl.SSLError, socket.timeout, OSError):
            data = b""
        if not data:
            self.eof = True
            return False
        self.buffer += data
        return True

    def line(self, start):
        """The end (after CRLF) of the line that starts at `start`, reading as needed."""
        while True:
            end = self.buffer.find(b"\r\n", start)
            if end >= 0:
                return end + 2
            if len(self.buffer) > MAXIMUM_HEAD or not self.fill():
                return None

    def need(self, count):
        while len(self.buffer) < count:
            if not self.fill():
                return False
        return True

    def request(self):
        """The raw bytes of the next request, or None (and the reason) when none came whole."""
        while b"\r\n\r\n" not in self.buffer:
            if len(self.buffer) > MAXIMUM_HEAD:
                return None, "head larger than the scripted upstream reads"
            if not self.fill():
                return None, "connection ended inside a request head" if self.buffer else None
        head_end = self.buffer.index(b"\r\n\r\n") + 4
        lines = self.buffer[:head_end].split(b"\r\n")
        chunked = False
        length = 0
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon:
                continue
            name = name.strip().lower()
            if name == b"transfer-encoding":
                chunked = value.strip().lower().endswith(b"chunked")
            elif name == b"content-length":
                try:
                    length = int(value.strip())
                except ValueError:
                    return None, "unreadable Content-Length"
        if chunked:
            position = head_end
            while True:
                end = self.line(position)
                if end is None:
                    return None, "connection ended inside a chunked body"
                try:
                    size = int(self.buffer[position:end - 2].split(b";")[0].strip(), 16)
                except ValueError:
                    return None, "unreadable chunk size"
                if size == 0:
                    position = end
                    while True:
                        end = self.line(position)
                        if end is None:
                            return None, "connection ended inside the trailers"
                        empty = end - position == 2
                        position = end
                        if empty:
                            break
                    break
                if not self.need(end + size + 2):
                    return None, "connection ended inside a chunk"
                position = end + size + 2
            total = position
        else:
            total = head_end + length
            if not self.need(total):
                return None, "connection ended inside a body"
        request, self.buffer = self.buffer[:total], self.buffer[total:]
        return request, None

    def send(self, data, piece, pause):
        piece = piece or len(data) or 1
        for start in range(0, len(data), piece):
            self.sock.sendall(data[start:start + piece])
            if pause and start + piece < len(data):
                time.sleep(pause)

    def close(self):
        if isinstance(self.sock, ssl.SSLSocket):
            try:
                self.sock.settimeout(2)
                raw = self.sock.unwrap()
                raw.shutdown(socket.SHUT_RDWR)
                raw.close()
                return
            except (ssl.SSLError, OSError, ValueError):
                pass
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def serve(sock, number, log, answers, tls):
    if tls is not None:
        try:
            sock = tls.wrap_socket(sock, server_side=True)
        except (ssl.SSLError, OSError) as error:
            log.write(connection=number, stray="", why=f"TLS handshake failed: {error}")
            sock.close()
            return
    sock.settimeout(30)
    connection = Connection(sock, number, log)
    while True:
        request, why = connection.request()
        if request is None:
            if connection.buffer or why:
                log.write(connection=number, stray=base64.b64encode(connection.buffer).decode(), why=why or "")
            connection.close()
            return
        log.write(connection=number, request=base64.b64encode(request).decode())
        answer = answers.take(request.split(b"\r\n", 1)[0])
        if answer is None:
            log.write(connection=number, event="unscripted")
            connection.send(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 29\r\n\r\nno scripted answer was left\r\n", None, 0)
            continue
        closed = False
        try:
            for step in answer["steps"]:
                if "send" in step:
                    connection.send(base64.b64decode(step["send"]), step.get("piece"), step.get("pause", 0))
                elif "sleep" in step:
                    time.sleep(step["sleep"])
                elif step.get("close"):
                    connection.close()
                    closed = True
                    break
        except OSError:
            closed = True
        if closed:
            return


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--script", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    arguments = parser.parse_args()
    with open(arguments.script, encoding="utf-8") as file:
        answers = Answers(json.load(file)["answers"])
    log = Log(arguments.log)
    tls = None
    if arguments.cert and arguments.key:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(arguments.cert, arguments.key)
        tls.set_alpn_protocols(["http/1.1"])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(listener.getsockname()[1], flush=True)
    number = 0
    while True:
        sock, _ = listener.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        number += 1
        log.write(connection=number, event="connect")
        threading.Thread(target=serve, args=(sock, number, log, answers, tls), daemon=True).start()


if __name__ == "__main__":
    main()
