#!/usr/bin/env python3
"""A CSM sink for recording fixtures: writes each datagram's events as JSON lines.

Usage: csm_sink.py PORT OUTFILE   (stops on SIGTERM). Session tokens are dropped and access
key ids replaced by AWS's documented example id, so fixtures hold no credentials.
"""
import json
import signal
import socket
import sys

port, path = int(sys.argv[1]), sys.argv[2]
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", port))
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
with open(path, "w", encoding="utf-8") as out:
    while True:
        data, _ = sock.recvfrom(65536)
        for line in data.decode("utf-8").splitlines():
            event = json.loads(line)
            event.pop("SessionToken", None)
            if "AccessKey" in event:
                event["AccessKey"] = "AKIAIOSFODNN7EXAMPLE"
            event["UserAgent"] = event.get("UserAgent", "").split(" ")[0]
            out.write(json.dumps(event, separators=(",", ":")) + "\n")
            out.flush()
