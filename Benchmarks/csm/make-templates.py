#!/usr/bin/env python3
"""Writes realistic CSM datagrams for the listener benchmark, one a line: an ApiCallAttempt and
an ApiCall for each of N operations spread over the action table's services, with the fields
and sizes botocore sends. Usage: make-templates.py TABLE.swift OUT [N]"""
import json
import sys

table, out = sys.argv[1], sys.argv[2]
wanted = int(sys.argv[3]) if len(sys.argv) > 3 else 300
operations = []
service = None
with open(table, encoding="utf-8") as f:
    for line in f:
        fields = line.rstrip("\n").split("\t")
        if fields[0] == "S":
            service = fields[2]
        elif fields[0] == "O" and service:
            operations.append((service, fields[1]))
step = max(1, len(operations) // wanted)
chosen = operations[::step][:wanted]
agent = "Boto3/1.43.11 md/Botocore#1.43.11 ua/2.1 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython m/b,Z cfg/retry-mode#legacy Botocore/1.43.11"
with open(out, "w", encoding="utf-8") as f:
    for index, (service, api) in enumerate(chosen):
        timestamp = 1795910227858 + index
        attempt = {"Version": 1, "ClientId": "", "Type": "ApiCallAttempt", "Service": service, "Api": api,
                   "Timestamp": timestamp, "AttemptLatency": 19, "Fqdn": "%s.us-east-1.amazonaws.com" % service.lower().replace(" ", ""),
                   "UserAgent": agent, "AccessKey": "AKIAIOSFODNN7EXAMPLE", "Region": "us-east-1",
                   "SessionToken": "IQoJb3JpZ2luX2VjEXAMPLETOKEN" * 4, "HttpStatusCode": 200,
                   "XAmznRequestId": "IzUjEXAMPLE0REQUEST0ID0123456789ABCDEFGHIJ"}
        call = {"Version": 1, "ClientId": "", "Type": "ApiCall", "Service": service, "Api": api, "Timestamp": timestamp,
                "AttemptCount": 1, "Region": "us-east-1", "UserAgent": agent, "FinalHttpStatusCode": 200,
                "Latency": 21, "MaxRetriesExceeded": 0}
        f.write(json.dumps(attempt, separators=(",", ":")) + "\n")
        f.write(json.dumps(call, separators=(",", ":")) + "\n")
print(f"{2 * len(chosen)} datagrams over {len(chosen)} operations", file=sys.stderr)
