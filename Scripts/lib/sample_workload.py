#!/usr/bin/env python3
"""A small AWS workload for demos and end-to-end tests: S3, DynamoDB, SQS, SNS, IAM, Lambda, KMS
and STS calls through boto3, against the endpoint in AWS_ENDPOINT_URL (a local moto server).

With --fail it also makes one call that fails (GetObject on a missing bucket)."""
import io
import json
import sys
import zipfile

import boto3
import botocore.exceptions

session = boto3.session.Session(region_name="us-east-1")
s3 = session.client("s3")
s3.create_bucket(Bucket="iamscribe-demo")
s3.put_object(Bucket="iamscribe-demo", Key="hello.txt", Body=b"hello")
s3.get_object(Bucket="iamscribe-demo", Key="hello.txt")["Body"].read()
s3.list_objects_v2(Bucket="iamscribe-demo")
s3.delete_object(Bucket="iamscribe-demo", Key="hello.txt")

dynamodb = session.client("dynamodb")
dynamodb.create_table(TableName="demo", BillingMode="PAY_PER_REQUEST",
                      AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                      KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
dynamodb.put_item(TableName="demo", Item={"id": {"S": "1"}})
dynamodb.get_item(TableName="demo", Key={"id": {"S": "1"}})
dynamodb.query(TableName="demo", KeyConditionExpression="id = :id", ExpressionAttributeValues={":id": {"S": "1"}})

sqs = session.client("sqs")
queue = sqs.create_queue(QueueName="demo")["QueueUrl"]
sqs.send_message(QueueUrl=queue, MessageBody="hi")
for message in sqs.receive_message(QueueUrl=queue).get("Messages", []):
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])

sns = session.client("sns")
topic = sns.create_topic(Name="demo")["TopicArn"]
sns.publish(TopicArn=topic, Message="hi")

iam = session.client("iam")
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
role = iam.create_role(RoleName="demo-function", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
iam.get_role(RoleName="demo-function")

code = io.BytesIO()
with zipfile.ZipFile(code, "w") as archive:
    archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
lam = session.client("lambda")
lam.create_function(FunctionName="demo", Runtime="python3.12", Role=role, Handler="handler.handler",
                    Code={"ZipFile": code.getvalue()})
lam.list_functions()

kms = session.client("kms")
key = kms.create_key()["KeyMetadata"]["KeyId"]
blob = kms.encrypt(KeyId=key, Plaintext=b"secret")["CiphertextBlob"]
kms.decrypt(CiphertextBlob=blob)

session.client("sts").get_caller_identity()

if "--fail" in sys.argv:
    try:
        s3.get_object(Bucket="no-such-bucket", Key="x")
    except botocore.exceptions.ClientError:
        pass
