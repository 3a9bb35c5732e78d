#!/usr/bin/env python3
"""Writes the seed corpora in Fuzz/Corpus/TARGET/ from the test fixtures (the CSM events and the
capture recorded from the AWS CLI and boto3 against moto, the policies) and a few hand-written
inputs. Run it again after the fixtures change; the fuzzers' own finds are not kept here.

  Fuzz/make-corpus.py

Each file is small (a few KB at most): libFuzzer mutates from these, so they only need to reach
each stage with real-looking input."""
import json
import os
import shutil
import struct

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
FIXTURES = os.path.join(ROOT, "Tests", "TestSupport", "Fixtures")
CORPUS = os.path.join(FUZZ, "Corpus")

# Link types as FuzzPacketPipeline numbers them (the control byte, modulo 6).
ETHERNET, LINUX_COOKED, LINUX_COOKED_V2, NULL, LOOP, RAW = range(6)


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def read_pcap(path):
    """The records of a little-endian microsecond pcap file: (seconds, microseconds, packet)."""
    with open(path, "rb") as f:
        data = f.read()
    magic, _, _, _, _, snaplen, link = struct.unpack("<IHHiIII", data[:24])
    assert magic == 0xA1B2C3D4 and link == 1, "expected a little-endian Ethernet pcap"
    records, offset = [], 24
    while offset + 16 <= len(data):
        seconds, micros, captured, _ = struct.unpack("<IIII", data[offset:offset + 16])
        records.append((seconds, micros, data[offset + 16:offset + 16 + captured]))
        offset += 16 + captured
    return records


def flow(packet):
    """(protocol, client port, server port, payload) of an Ethernet IPv4 TCP or UDP packet."""
    ip = packet[14:]
    header = (ip[0] & 15) * 4
    protocol = ip[9]
    ports = struct.unpack(">HH", ip[header:header + 4])
    if protocol == 6:
        offset = header + (ip[header + 12] >> 4) * 4
    else:
        offset = header + 8
    total = struct.unpack(">H", ip[2:4])[0]
    return protocol, ports[0], ports[1], ip[offset:total]


def connection(records, port):
    """The packets of the TCP connection or UDP flow from client port `port`."""
    return [r for r in records if port in flow(r[2])[1:3]]


def pcap_file(records, big_endian=False, nanoseconds=False):
    order = ">" if big_endian else "<"
    magic = 0xA1B23C4D if nanoseconds else 0xA1B2C3D4
    out = struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 262144, 1)
    for seconds, micros, packet in records:
        fraction = micros * 1000 if nanoseconds else micros
        out += struct.pack(order + "IIII", seconds, fraction, len(packet), len(packet)) + packet
    return out


def pcapng_file(records):
    def block(kind, body):
        body += b"\0" * (-len(body) % 4)
        length = 12 + len(body)
        return struct.pack("<II", kind, length) + body + struct.pack("<I", length)
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", 1, 0, 262144))
    for seconds, micros, packet in records:
        stamp = seconds * 1_000_000 + micros
        out += block(6, struct.pack("<IIIII", 0, stamp >> 32, stamp & 0xFFFFFFFF, len(packet), len(packet)) + packet)
    return out


def relink(packet, link):
    """An Ethernet frame's IP packet behind another link-layer header."""
    ip = packet[14:]
    if link == ETHERNET:
        return packet
    if link == LINUX_COOKED:
        return struct.pack(">HHH8sH", 0, 772, 6, b"\0" * 8, 0x0800) + ip
    if link == LINUX_COOKED_V2:
        return struct.pack(">HHIHBB8s", 0x0800, 0, 1, 772, 0, 6, b"\0" * 8) + ip
    if link == NULL:
        return struct.pack("<I", 2) + ip
    if link == LOOP:
        return struct.pack(">I", 2) + ip
    return ip


def pipeline_input(records, link, truncate=()):
    """FuzzPacketPipeline's input: the link type, then (time, length, packet) records."""
    out = bytes([link])
    previous = records[0][0] + records[0][1] / 1e6
    for index, (seconds, micros, packet) in enumerate(records):
        now = seconds + micros / 1e6
        tenths = min(127, int(round((now - previous) * 10)))
        previous = now
        packet = relink(packet, link)
        flags = tenths | (0x80 if index in truncate else 0)
        out += struct.pack(">BH", flags, len(packet)) + packet
    return out


def stream(records, client_port, from_client=True):
    """The payload one side of a TCP connection sent, in capture order (the fixture has no reordering)."""
    out = b""
    for _, _, packet in records:
        protocol, source, _, payload = flow(packet)
        if protocol == 6 and (source == client_port) == from_client:
            out += payload
    return out


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)
    records = read_pcap(os.path.join(FIXTURES, "aws-moto.pcap"))

    # Connections of each protocol: S3 path style, S3 with 100-continue, S3 virtual-hosted,
    # DynamoDB (json), SQS (json, query mode), IAM (query form), Lambda (rest-json, a 404), KMS;
    # the UDP CSM datagrams.
    connections = {
        "s3-create-bucket": 60554, "s3-put-object-continue": 60564, "s3-virtual-host": 60574,
        "dynamodb-create-table": 60596, "sqs-send-message": 60658, "query-form": 60684,
        "lambda-404": 60702, "kms-create-key": 60718,
    }
    csm = [r for r in records if flow(r[2])[0] == 17]

    write("CaptureFile", "s3-create-bucket.pcap", pcap_file(connection(records, 60554)))
    write("CaptureFile", "dynamodb-big-endian-nanoseconds.pcap",
          pcap_file(connection(records, 60596), big_endian=True, nanoseconds=True))
    write("CaptureFile", "lambda-404.pcapng", pcapng_file(connection(records, 60702)))
    write("CaptureFile", "csm-datagrams.pcap", pcap_file(csm[:2]))
    write("CaptureFile", "truncated.pcap", pcap_file(connection(records, 60684))[:-40])

    for name, port in connections.items():
        packets = connection(records, port)
        if name not in ("s3-virtual-host", "sqs-send-message", "kms-create-key"):  # a few KB is enough
            write("PacketPipeline", name, pipeline_input(packets, ETHERNET))
        write("HTTPStream", name + "-request", bytes([0, 0]) + stream(packets, port))
        write("AWSRequest", name, bytes([0]) + stream(packets, port))
    # Older SDKs' query forms to services whose own protocol is JSON (SQS) or CBOR (CloudWatch).
    signed = ("Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261130/us-east-1/{}/aws4_request, "
              "SignedHeaders=host;x-amz-date, Signature=00\r\nContent-Type: application/x-www-form-urlencoded\r\n")
    for name, service, body in [("sqs-query-form", "sqs", "Action=CreateQueue&QueueName=q&Attribute.1.Name=KmsMasterKeyId"),
                                ("cloudwatch-query-form", "monitoring", "Action=ListMetrics&Namespace=App")]:
        write("AWSRequest", name, bytes([0]) + (f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n{signed.format(service)}"
                                                f"Content-Length: {len(body)}\r\n\r\n{body}").encode())
    write("PacketPipeline", "csm-datagrams", pipeline_input(csm[:2], ETHERNET))
    # One packet, the rest of the input (the control byte's bit 7).
    write("PacketPipeline", "one-packet", bytes([0x80 | ETHERNET]) + csm[0][2])
    for link, name in [(LINUX_COOKED_V2, "cooked-v2"), (NULL, "null"), (RAW, "raw")]:
        write("PacketPipeline", f"kms-{name}", pipeline_input(connection(records, 60718), link, truncate=(3,)))
    lambda_404 = connection(records, 60702)
    write("HTTPStream", "lambda-404-response", bytes([1, 0]) + stream(lambda_404, 60702, from_client=False))
    write("AWSRequest", "lambda-404-response", bytes([1]) + stream(lambda_404, 60702, from_client=False))
    write("HTTPStream", "chunked-pieces", bytes([3 << 3 | 2 << 1, 0]) + (
        b"PUT /b/k HTTP/1.1\r\nHost: b.s3.amazonaws.com\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n0\r\nTrailer: t\r\n\r\nGET /b?x=1 HTTP/1.1\r\n\r\n"))
    write("HTTPStream", "gaps", bytes([8 << 3, 3 << 3 | 2]) + stream(connection(records, 60564), 60564))

    lines = open(os.path.join(FIXTURES, "awscli-moto.csm.jsonl"), "rb").read().splitlines()
    for index in (0, 1, 12, 13):
        event = json.loads(lines[index])
        write("CSMEvent", f"{event['Type']}-{event['Service']}-{event['Api']}".lower(), lines[index])
    write("CSMEvent", "escapes-and-exception", json.dumps({
        "Version": 1, "ClientId": "c\u00e9\n", "Type": "ApiCall", "Service": "API Gateway", "Api": "Get\\Rest\"Apis",
        "Timestamp": -1, "FinalHttpStatusCode": 403, "FinalAwsException": "AccessDenied", "Region": "eu-west-1",
        "Nested": {"a": [1, 2.5e3, True, None]}}).encode())
    write("CSMAssembler", "fixture", bytes([4]) + b"\n".join(lines[:12]))
    write("CSMAssembler", "orphans-and-expiry", bytes([1]) + b"\n".join(
        [lines[0], lines[2], b"@150 " + lines[4], lines[5], b"@3 " + lines[6], lines[7]]))

    policies = ["awscli-moto.policy.json", "policy-get-policy-version.json", "policy-get-role-policy.json",
                "policy-get-user-policy.json", "policy-raw-encoded.txt"]
    conditions = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Home", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": ["arn:aws:s3:::photos/home/${aws:username}/*", "arn:aws:s3:::photos"],
         "Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*", ""]},
                       "IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
                       "Bool": {"aws:MultiFactorAuthPresent": "true"},
                       "NumericLessThanEquals": {"s3:max-keys": "1000"},
                       "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
                       "ForAnyValue:StringEquals": {"aws:PrincipalTag/team": ["blue"]}}},
        {"Effect": "Deny", "NotAction": "iam:*", "NotResource": "arn:aws:iam::*:role/service/*",
         "Condition": {"StringNotEqualsIfExists": {"iam:PassedToService": "lambda.amazonaws.com"},
                       "Null": {"aws:RequestTag/env": "true"}, "ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:topic"}}},
        {"Effect": "Allow", "Action": ["ec2:Run*", "sqs:Send?essage"], "Resource": "*"}]}, indent=1)
    trail = os.path.join(FIXTURES, "cloudtrail")
    write("CloudTrail", "lake-export.jsonl", open(os.path.join(trail, "lake-export.jsonl"), "rb").read())
    write("CloudTrail", "event-history-cut.json", open(os.path.join(trail, "event-history.json"), "rb").read()[:3000])
    delivered = os.path.join(trail, "AWSLogs", "111122223333", "CloudTrail")
    for root, _, names in sorted(os.walk(delivered)):
        for name in sorted(names):
            if "us-west-2" in root or name.endswith(".json"):
                write("CloudTrail", "delivered" + name[name.index("."):], open(os.path.join(root, name), "rb").read())
    write("CloudTrail", "athena.csv", '"principal","identitytype","identityaccount","account","eventsource","eventname",'
          '"errorcode","region","resources","requestparameters","invokedby","eventcategory","calls","first_seen","last_seen"\n'
          '"arn:aws:iam::111122223333:role/app","AssumedRole","111122223333","111122223333","s3.amazonaws.com","GetObject",'
          '"","eu-west-1","arn:aws:s3:::b/k arn:aws:s3:::b","{""bucketName"":""b"",""key"":""k""}","","Data","2",'
          '"2024-05-01T09:00:01Z","2024-05-02T09:00:01Z"\n')

    for target in ("IAMPolicy", "PolicyEvaluator"):
        for name in policies:
            write(target, name, open(os.path.join(FIXTURES, name), "rb").read())
        write(target, "conditions.json", conditions)
        write(target, "allow-all.json", '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}')


if __name__ == "__main__":
    main()
