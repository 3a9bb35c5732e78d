#!/usr/bin/env python3
"""A raw HTTP/2 client for iamscribe's proxy tests, for what no real client sends: it opens a
CONNECT tunnel through the proxy, speaks TLS with ALPN h2 (trusting --cafile), and then either

  --mode stream-error   sends a request without :path on stream 1 (a stream error) and a good GET
                        of --path on stream 3, on the same connection, and reports what came back
                        for each stream;
  --mode garbage        sends bytes that are not the HTTP/2 preface, and reports whether the proxy
                        answered with GOAWAY and closed.

It prints one JSON object: the negotiated protocol, and per stream the frames it received
(RST_STREAM error codes, the :status and the body), or the GOAWAY error code. Frames are built by
hand (HPACK literals without Huffman coding), which is all these checks need."""
import argparse
import json
import socket
import ssl
import struct
import sys

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0, 1, 3, 4, 6, 7, 8
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def literal(name, value):
    """A literal header field without indexing, with a new name, no Huffman coding."""
    def string(text):
        data = text.encode()
        assert len(data) < 127
        return bytes([len(data)]) + data
    return b"\x00" + string(name) + string(value)


def read_exactly(connection, count):
    data = b""
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def read_frame(connection):
    header = read_exactly(connection, 9)
    length = int.from_bytes(header[:3], "big")
    kind, flags = header[3], header[4]
    stream = int.from_bytes(header[5:9], "big") & 0x7FFFFFFF
    return kind, flags, stream, read_exactly(connection, length)


def decode_status(block):
    """The :status of a response header block when it is 200 (HPACK's static entry 8, which
    iamscribe's encoder uses for it); otherwise the block's first bytes in hex."""
    return 200 if block[:1] == b"\x88" else block[:4].hex()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--proxy-port", type=int, required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--cafile", required=True)
    parser.add_argument("--path", default="/")
    parser.add_argument("--mode", choices=["stream-error", "garbage"], required=True)
    arguments = parser.parse_args()

    raw = socket.create_connection(("127.0.0.1", arguments.proxy_port), timeout=20)
    raw.sendall(f"CONNECT {arguments.host}:443 HTTP/1.1\r\nHost: {arguments.host}:443\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = raw.recv(1)
        if not chunk:
            break
        answer += chunk
    if b" 200 " not in answer.split(b"\r\n")[0]:
        print(json.dumps({"connect": answer.decode(errors="replace")}))
        return 1
    context = ssl.create_default_context(cafile=arguments.cafile)
    context.set_alpn_protocols(["h2"])
    connection = context.wrap_socket(raw, server_hostname=arguments.host)
    result = {"alpn": connection.selected_alpn_protocol(), "streams": {}}

    if arguments.mode == "garbage":
        connection.sendall(b"GET / HTTP/1.1\r\nthis is not the HTTP/2 preface\r\n\r\n" + bytes(range(256)))
        try:
            while True:
                kind, _, _, payload = read_frame(connection)
                if kind == GOAWAY:
                    result["goaway"] = int.from_bytes(payload[4:8], "big")
        except (EOFError, OSError, ssl.SSLError):
            result["closed"] = True
        print(json.dumps(result))
        return 0

    connection.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(SETTINGS, 0, 0))
    # Stream 1: no :path, which makes the request malformed (RFC 9113 8.3.1): a stream error.
    bad = b"\x82\x87" + literal(":authority", arguments.host)
    connection.sendall(frame(HEADERS, END_STREAM | END_HEADERS, 1, bad))
    good = b"\x82\x87" + literal(":authority", arguments.host) + literal(":path", arguments.path)
    connection.sendall(frame(HEADERS, END_STREAM | END_HEADERS, 3, good))
    streams = result["streams"]
    try:
        while not (streams.get("3", {}).get("ended") and "1" in streams):
            kind, flags, stream, payload = read_frame(connection)
            if kind == SETTINGS and not flags & ACK:
                connection.sendall(frame(SETTINGS, ACK, 0))
            elif kind == PING and not flags & ACK:
                connection.sendall(frame(PING, ACK, 0, payload))
            elif kind == GOAWAY:
                result["goaway"] = int.from_bytes(payload[4:8], "big")
                break
            elif kind == RST_STREAM:
                streams.setdefault(str(stream), {})["reset"] = int.from_bytes(payload, "big")
            elif kind == HEADERS:
                streams.setdefault(str(stream), {}).setdefault("status", decode_status(payload))
                if flags & END_STREAM:
                    streams[str(stream)]["ended"] = True
            elif kind == DATA:
                entry = streams.setdefault(str(stream), {})
                entry["body"] = entry.get("body", "") + payload.decode(errors="replace")
                if payload:
                    connection.sendall(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", len(payload)))
                                       + frame(WINDOW_UPDATE, 0, stream, struct.pack(">I", len(payload))))
                if flags & END_STREAM:
                    entry["ended"] = True
    except (EOFError, OSError, ssl.SSLError) as error:
        result["error"] = str(error)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
