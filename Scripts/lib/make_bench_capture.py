#!/usr/bin/env python3
"""Writes a pcap of realistic AWS request traffic for Scripts/bench-pcap.

Usage: make_bench_capture.py OUT.pcap SIZE_MB

The traffic is what SDKs send over plain HTTP, on Ethernet with a 1500-byte MTU: keep-alive
connections carrying SigV4-signed requests with botocore's headers (a session token included) and
their responses: DynamoDB, SQS and KMS JSON calls, STS, SNS and EC2 query calls, Lambda REST calls,
S3 object reads and writes of 1 KiB to 256 KiB in path and virtual-hosted style, errors among them,
and CSM datagrams. One block of connections is built, then replayed with new client ports and
times until the file reaches SIZE_MB. Deterministic: the same arguments give the same file.
"""
import random
import struct
import sys

MSS = 1448
KEY = "AKIAIOSFODNN7EXAMPLE"
TOKEN = "IQoJb3JpZ2luX2VjEJr" + "A" * 760
AGENT = "Boto3/1.43.11 md/Botocore#1.43.11 ua/2.1 os/linux#6.1 md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.43.11"


def signed(method, target, service, host, headers=(), body=b""):
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", "Accept-Encoding: identity", f"User-Agent: {AGENT}",
             "X-Amz-Date: 20250101T120000Z", "X-Amz-Content-SHA256: UNSIGNED-PAYLOAD",
             f"Authorization: AWS4-HMAC-SHA256 Credential={KEY}/20250101/us-east-1/{service}/aws4_request, "
             "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=" + "ab" * 32,
             f"X-Amz-Security-Token: {TOKEN}", "amz-sdk-invocation-id: 6f1c8f53-3c1e-4a9a-8e2d-6b0f2d1d7a11",
             "amz-sdk-request: attempt=1; max=3"]
    lines += list(headers)
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def response(status, body=b"", headers=()):
    reason = {200: "OK", 204: "No Content", 400: "Bad Request", 404: "Not Found"}.get(status, "X")
    lines = [f"HTTP/1.1 {status} {reason}", "Server: AmazonS3", "Date: Wed, 01 Jan 2025 12:00:00 GMT",
             "x-amzn-RequestId: 3QJ6F9GKS3H4JKL6BQ3G8A7TRFVV4KQNSO5AEMVJF66Q9ASUAAJG"] + list(headers)
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def exchanges(rng):
    """The request/response pairs of one keep-alive connection."""
    kind = rng.random()
    pairs = []
    if kind < 0.35:  # S3 objects, path and virtual-hosted style
        virtual = rng.random() < 0.5
        bucket = f"app-data-{rng.randrange(20)}"
        host = f"{bucket}.s3.us-east-1.amazonaws.com" if virtual else "s3.us-east-1.amazonaws.com"
        prefix = "" if virtual else f"/{bucket}"
        for _ in range(rng.randrange(1, 6)):
            key = f"{prefix}/logs/2025/01/01/part-{rng.randrange(10**6):06d}.json.gz"
            size = rng.choice([1024, 4096, 16384, 65536, 262144])
            if rng.random() < 0.5:
                pairs.append((signed("GET", key, "s3", host), response(200, bytes(size), ["Content-Type: application/octet-stream", "ETag: \"abc\""])))
            else:
                pairs.append((signed("PUT", key, "s3", host, ["Content-Type: application/octet-stream", "x-amz-tagging: env=prod"], bytes(size)),
                              response(200, b"", ["ETag: \"abc\""])))
        pairs.append((signed("GET", f"{prefix}/?list-type=2&prefix=logs%2F", "s3", host),
                      response(200, b"<ListBucketResult>" + b"<Contents><Key>k</Key></Contents>" * 40 + b"</ListBucketResult>")))
    elif kind < 0.65:  # DynamoDB
        host = "dynamodb.us-east-1.amazonaws.com"
        for _ in range(rng.randrange(5, 30)):
            op = rng.choice(["GetItem", "PutItem", "Query", "UpdateItem"])
            body = ('{"TableName":"orders-%d","Key":{"pk":{"S":"customer#%d"},"sk":{"S":"order#%d"}},"ReturnConsumedCapacity":"TOTAL"}'
                    % (rng.randrange(5), rng.randrange(10**6), rng.randrange(10**6))).encode()
            pairs.append((signed("POST", "/", "dynamodb", host, ["Content-Type: application/x-amz-json-1.0",
                                                                 f"X-Amz-Target: DynamoDB_20120810.{op}"], body),
                          response(200, b'{"Item":{"pk":{"S":"x"},"total":{"N":"42"}},"ConsumedCapacity":{"CapacityUnits":0.5}}' * 3)))
        if rng.random() < 0.3:
            pairs.append((signed("POST", "/", "dynamodb", host, ["Content-Type: application/x-amz-json-1.0",
                                                                 "X-Amz-Target: DynamoDB_20120810.DescribeTable"], b'{"TableName":"gone"}'),
                          response(400, b'{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"}')))
    elif kind < 0.8:  # SQS, KMS (JSON)
        for _ in range(rng.randrange(5, 20)):
            if rng.random() < 0.5:
                body = b'{"QueueUrl":"https://sqs.us-east-1.amazonaws.com/123456789012/jobs","MessageBody":"' + b"m" * rng.randrange(100, 4000) + b'"}'
                pairs.append((signed("POST", "/", "sqs", "sqs.us-east-1.amazonaws.com",
                                     ["Content-Type: application/x-amz-json-1.0", "X-Amz-Target: AmazonSQS.SendMessage"], body),
                              response(200, b'{"MD5OfMessageBody":"0cc175b9c0f1b6a831c399e269772661","MessageId":"a"}')))
            else:
                body = b'{"KeyId":"alias/app","Plaintext":"' + b"QUJD" * rng.randrange(10, 500) + b'"}'
                pairs.append((signed("POST", "/", "kms", "kms.us-east-1.amazonaws.com",
                                     ["Content-Type: application/x-amz-json-1.1", "X-Amz-Target: TrentService.Encrypt"], body),
                              response(200, b'{"CiphertextBlob":"' + b"Q" * 300 + b'","KeyId":"arn:aws:kms:us-east-1:1:key/k"}')))
    elif kind < 0.92:  # query protocols
        for _ in range(rng.randrange(2, 10)):
            service, host, body = rng.choice([
                ("sts", "sts.us-east-1.amazonaws.com", b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fapp&RoleSessionName=s"),
                ("sns", "sns.us-east-1.amazonaws.com", b"Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A1%3At&Message=" + b"x" * 500),
                ("ec2", "ec2.us-east-1.amazonaws.com", b"Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3Aenv&Filter.1.Value.1=prod"),
            ])
            pairs.append((signed("POST", "/", service, host, ["Content-Type: application/x-www-form-urlencoded; charset=utf-8"], body),
                          response(200, b"<Response><Result>" + b"<item>x</item>" * 60 + b"</Result></Response>")))
    else:  # Lambda REST-JSON
        for _ in range(rng.randrange(2, 10)):
            name = f"worker-{rng.randrange(8)}"
            pairs.append((signed("POST", f"/2015-03-31/functions/{name}/invocations", "lambda", "lambda.us-east-1.amazonaws.com",
                                 ["Content-Type: application/json"], b'{"job":' + str(rng.randrange(10**6)).encode() + b'}'),
                          response(200, b'{"ok":true}')))
    return pairs


def ethernet_tcp(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64, 6, 0, src, dst)
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip + tcp + payload


def connection(rng, client_port):
    """The frames of one connection, as (frame, client port offset or None)."""
    client, server = bytes([10, 0, rng.randrange(256), rng.randrange(1, 255)]), bytes([52, 216, 0, rng.randrange(1, 255)])
    frames = []
    cseq, sseq = rng.randrange(2**32), rng.randrange(2**32)
    frames.append(ethernet_tcp(client, server, client_port, 80, cseq, 0, 0x02, b""))
    frames.append(ethernet_tcp(server, client, 80, client_port, sseq, cseq + 1, 0x12, b""))
    cseq += 1
    sseq += 1
    frames.append(ethernet_tcp(client, server, client_port, 80, cseq, sseq, 0x10, b""))
    for request, answer in exchanges(rng):
        for data, from_client in ((request, True), (answer, False)):
            for offset in range(0, len(data), MSS):
                piece = data[offset:offset + MSS]
                if from_client:
                    frames.append(ethernet_tcp(client, server, client_port, 80, cseq, sseq, 0x18, piece))
                    cseq += len(piece)
                else:
                    frames.append(ethernet_tcp(server, client, 80, client_port, sseq, cseq, 0x18, piece))
                    sseq += len(piece)
                # An ACK every other segment, as receivers do.
                if offset // MSS % 2 == 1:
                    if from_client:
                        frames.append(ethernet_tcp(server, client, 80, client_port, sseq, cseq, 0x10, b""))
                    else:
                        frames.append(ethernet_tcp(client, server, client_port, 80, cseq, sseq, 0x10, b""))
    frames.append(ethernet_tcp(client, server, client_port, 80, cseq, sseq, 0x11, b""))
    frames.append(ethernet_tcp(server, client, 80, client_port, sseq, cseq + 1, 0x11, b""))
    frames.append(ethernet_tcp(client, server, client_port, 80, cseq + 1, sseq + 1, 0x10, b""))
    return frames


def csm_frame(rng):
    event = ('{"Version":1,"ClientId":"","Type":"ApiCall","Service":"DynamoDB","Api":"GetItem","Timestamp":1735732800000,'
             '"AttemptCount":1,"Region":"us-east-1","UserAgent":"%s","FinalHttpStatusCode":200,"Latency":%d,"MaxRetriesExceeded":0}'
             % (AGENT, rng.randrange(100))).encode()
    udp = struct.pack("!HHHH", 40000, 31000, 8 + len(event), 0) + event
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
    return b"\x00" * 12 + b"\x08\x00" + ip + udp


def main():
    out, size_mb = sys.argv[1], int(sys.argv[2])
    rng = random.Random(20250101)
    # One block of interleaved connections: frames of several connections alternate, as on a busy host.
    connections = [connection(rng, 10000 + index) for index in range(400)]
    block = []
    cursors = [0] * len(connections)
    live = list(range(len(connections)))
    while live:
        index = rng.choice(live[:16])
        frames = connections[index]
        block.append(frames[cursors[index]])
        cursors[index] += 1
        if cursors[index] == len(frames):
            live.remove(index)
        if rng.random() < 0.01:
            block.append(csm_frame(rng))
    block_bytes = sum(len(frame) + 16 for frame in block)
    target = size_mb * 1024 * 1024
    with open(out, "wb") as handle:
        handle.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        written, replay, seconds = 24, 0, 1735732800
        while written < target:
            # New client ports for each replay, so every connection is new.
            shift = (replay * 400) % 50000
            usec = 0
            chunk = bytearray()
            for frame in block:
                frame = bytearray(frame)
                if frame[23] == 6:  # TCP: the client port is the source or the destination
                    sport, dport = struct.unpack_from("!HH", frame, 34)
                    if dport == 80:
                        struct.pack_into("!H", frame, 34, 10000 + (sport - 10000 + shift) % 50000)
                    else:
                        struct.pack_into("!H", frame, 36, 10000 + (dport - 10000 + shift) % 50000)
                usec += 7
                if usec >= 1_000_000:
                    seconds, usec = seconds + 1, usec - 1_000_000
                chunk += struct.pack("<IIII", seconds, usec, len(frame), len(frame)) + frame
            handle.write(chunk)
            written += len(chunk)
            replay += 1
            seconds += 1
    print(f"{out}: {written / 1e6:.0f} MB, {replay} replays of {len(block)} packets ({block_bytes / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
