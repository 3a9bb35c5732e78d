#!/usr/bin/env python3
"""A TLS client for iamscribe's proxy tests that speaks raw bytes through a CONNECT tunnel.

    tunnel_client.py PROXY_PORT HOST CA_BUNDLE STEPS_FILE

It sends `CONNECT HOST:443`, reads the proxy's answer, starts TLS for HOST (trusting CA_BUNDLE,
offering ALPN http/1.1), then follows the steps (a JSON list):

    {"send": BASE64}                          all at once
    {"send": BASE64, "piece": N, "pause": S}  N bytes at a time, S seconds apart (TCP_NODELAY)
    {"until": BASE64, "timeout": S}           read until these bytes have come (after the last
                                              ones waited for); gives up after S seconds
    {"sleep": S}
    {"close": true}                           close the connection and stop

Unless it closed itself, it then reads until the proxy closes (or 10 seconds pass). It prints one
JSON object: {"received": BASE64, "closed": true when the proxy closed the connection,
"timeouts": [the indexes of the `until` steps that gave up]}."""
import base64
import json
import socket
import ssl
import sys
import time


def main():
    port, host, bundle, steps_file = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    with open(steps_file, encoding="utf-8") as file:
        steps = json.load(file)
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    raw.sendall(f"CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        byte = raw.recv(1)
        if not byte:
            break
        answer += byte
    if not answer.startswith(b"HTTP/1.1 200"):
        print(json.dumps({"received": "", "closed": True, "timeouts": [], "connect": answer.decode("latin-1")}))
        return
    context = ssl.create_default_context(cafile=bundle)
    context.set_alpn_protocols(["http/1.1"])
    tls = context.wrap_socket(raw, server_hostname=host)
    received = b""
    cursor = 0
    closed = False
    timeouts = []

    def read(timeout):
        nonlocal received, closed
        tls.settimeout(timeout)
        try:
            data = tls.recv(65536)
        except socket.timeout:
            return False
        except (ssl.SSLError, ConnectionResetError, OSError):
            data = b""
        if not data:
            closed = True
            return False
        received += data
        return True

    for index, step in enumerate(steps):
        if "send" in step:
            data = base64.b64decode(step["send"])
            piece = step.get("piece") or len(data) or 1
            for start in range(0, len(data), piece):
                tls.sendall(data[start:start + piece])
                if step.get("pause") and start + piece < len(data):
                    time.sleep(step["pause"])
        elif "until" in step:
            marker = base64.b64decode(step["until"])
            deadline = time.monotonic() + step.get("timeout", 10)
            while received.find(marker, cursor) < 0:
                remaining = deadline - time.monotonic()
                if closed or remaining <= 0 or not read(remaining):
                    if not closed and time.monotonic() >= deadline:
                        timeouts.append(index)
                    break
            found = received.find(marker, cursor)
            if found >= 0:
                cursor = found + len(marker)
            elif index not in timeouts:
                timeouts.append(index)
        elif "sleep" in step:
            time.sleep(step["sleep"])
        elif step.get("close"):
            tls.close()
            print(json.dumps({"received": base64.b64encode(received).decode(), "closed": closed, "timeouts": timeouts}))
            return
    deadline = time.monotonic() + 10
    while not closed and time.monotonic() < deadline:
        read(deadline - time.monotonic())
    print(json.dumps({"received": base64.b64encode(received).decode(), "closed": closed, "timeouts": timeouts}))


if __name__ == "__main__":
    main()
