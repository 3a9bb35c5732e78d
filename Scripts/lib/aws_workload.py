#!/usr/bin/env python3
"""Drives a local moto server with the AWS CLI v1 and boto3 over plain HTTP, for capture tests.

Usage: aws_workload.py PORT [--cli] [--boto3] [--resources] [--csm-port PORT]

Every call goes to 127.0.0.1:PORT. S3 is used in path style (the default with an endpoint URL)
and in virtual-hosted style, by sending the requests through moto as an HTTP proxy: the request
then carries `Host: BUCKET.s3.amazonaws.com`, as it would against AWS. The expected actions are
asserted by the tests (Tests/EndToEndTests/PcapCaptureTests.swift); change both together.
--resources runs calls whose resources the tests check ARN by ARN (ResourceCaptureTests.swift).
"""
import io
import os
import subprocess
import sys
import zipfile

import boto3
import botocore.config

KEY_ID = "AKIAIOSFODNN7EXAMPLE"


def clients(port):
    endpoint = f"http://127.0.0.1:{port}"
    session = boto3.session.Session(aws_access_key_id=KEY_ID, aws_secret_access_key="example",
                                     region_name="us-east-1")
    plain = botocore.config.Config(retries={"max_attempts": 1})

    def client(name):
        return session.client(name, endpoint_url=endpoint, config=plain)

    virtual = session.client("s3", use_ssl=False, config=botocore.config.Config(
        s3={"addressing_style": "virtual"}, proxies={"http": endpoint}, retries={"max_attempts": 1}))
    return client, virtual


def boto3_workload(port):
    client, virtual = clients(port)
    s3 = client("s3")
    s3.create_bucket(Bucket="pcap-path-bucket")
    s3.put_object(Bucket="pcap-path-bucket", Key="dir/one.txt", Body=b"one")
    s3.list_objects_v2(Bucket="pcap-path-bucket")
    s3.delete_object(Bucket="pcap-path-bucket", Key="dir/one.txt")

    virtual.create_bucket(Bucket="pcap-virtual-bucket")
    virtual.put_object(Bucket="pcap-virtual-bucket", Key="a/b c.txt", Body=b"x" * 2000, Tagging="k=v")
    virtual.get_bucket_acl(Bucket="pcap-virtual-bucket")

    ddb = client("dynamodb")
    ddb.create_table(TableName="pcap", AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName="pcap", Item={"id": {"S": "1"}})
    ddb.get_item(TableName="pcap", Key={"id": {"S": "1"}})
    try:
        ddb.describe_table(TableName="no-such-table")
    except ddb.exceptions.ResourceNotFoundException:
        pass

    sqs = client("sqs")
    url = sqs.create_queue(QueueName="pcap-queue")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)

    sns = client("sns")
    topic = sns.create_topic(Name="pcap-topic")["TopicArn"]
    sns.publish(TopicArn=topic, Message="hello")

    iam = client("iam")
    role = iam.create_role(RoleName="pcap-role", AssumeRolePolicyDocument="{}",
                           Tags=[{"Key": "team", "Value": "pcap"}])["Role"]["Arn"]

    lam = client("lambda")
    lam.list_functions()
    try:
        lam.get_function(FunctionName="no-such-function")
    except lam.exceptions.ResourceNotFoundException:
        pass

    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.encrypt(KeyId=key, Plaintext=b"secret")

    sts = client("sts")
    sts.get_caller_identity()
    sts.assume_role(RoleArn=role, RoleSessionName="pcap")

    ec2 = client("ec2")
    ec2.describe_instances()
    ec2.create_vpc(CidrBlock="10.0.0.0/16",
                   TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "k", "Value": "v"}]}])


def resources_workload(port):
    """Calls that name resources in every way the resource mappings handle."""
    client, virtual = clients(port)
    s3 = client("s3")
    s3.create_bucket(Bucket="res-source")
    s3.put_object(Bucket="res-source", Key="in/photo 1.jpg", Body=b"p")
    virtual.create_bucket(Bucket="res-target")
    virtual.copy_object(Bucket="res-target", Key="out/photo.jpg",
                        CopySource={"Bucket": "res-source", "Key": "in/photo 1.jpg"})
    virtual.get_object(Bucket="res-target", Key="out/photo.jpg")

    ddb = client("dynamodb")
    ddb.create_table(TableName="res-users",
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"},
                                           {"AttributeName": "email", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
                     GlobalSecondaryIndexes=[{"IndexName": "by-email",
                                              "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                                              "Projection": {"ProjectionType": "ALL"}}])
    ddb.query(TableName="res-users", IndexName="by-email", KeyConditionExpression="email = :e",
              ExpressionAttributeValues={":e": {"S": "a@example.com"}})

    sqs = client("sqs")
    url = sqs.create_queue(QueueName="res-queue")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")

    sns = client("sns")
    topic = sns.create_topic(Name="res-topic")["TopicArn"]
    sns.publish(TopicArn=topic, Message="hello")

    iam = client("iam")
    role = iam.create_role(RoleName="res-exec", Path="/service/", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    iam.get_role(RoleName="res-exec")

    lam = client("lambda")
    lam.create_function(FunctionName="res-fn", Runtime="python3.12", Role=role, Handler="index.handler",
                        Code={"ZipFile": zip_of_one_file()})
    lam.get_function(FunctionName="res-fn", Qualifier="$LATEST")

    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/res-key", TargetKeyId=key)
    kms.encrypt(KeyId="alias/res-key", Plaintext=b"secret")
    kms.describe_key(KeyId=key)

    secrets = client("secretsmanager")
    secrets.create_secret(Name="res/db", SecretString="example-secret-value-never-written")
    secrets.get_secret_value(SecretId="res/db")

    ssm = client("ssm")
    ssm.put_parameter(Name="/res/url", Value="http://example.com", Type="String")
    ssm.get_parameter(Name="/res/url")


def zip_of_one_file():
    """A zip archive of one empty file, index.py: what moto needs to create a function."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "")
    return buffer.getvalue()


def cli_workload(port, csm_port):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY="example",
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null")
    if csm_port:
        env.update(AWS_CSM_ENABLED="true", AWS_CSM_PORT=str(csm_port), AWS_CSM_CLIENT_ID="pcap")
    endpoint = ["--endpoint-url", f"http://127.0.0.1:{port}"]
    for command in (["s3api", "get-object", "--bucket", "pcap-path-bucket", "--key", "missing", "/dev/null"],
                    ["sqs", "list-queues"],
                    ["cloudwatch", "list-metrics"]):
        subprocess.run(["aws", *endpoint, *command], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)


def main():
    port = int(sys.argv[1])
    args = sys.argv[2:]
    csm_port = int(args[args.index("--csm-port") + 1]) if "--csm-port" in args else None
    if "--boto3" in args or not ("--cli" in args or "--resources" in args):
        boto3_workload(port)
    if "--resources" in args:
        resources_workload(port)
    if "--cli" in args:
        cli_workload(port, csm_port)


if __name__ == "__main__":
    main()
