// A Node client of AWS on Node's standard library alone: the HTTP, TLS and proxy paths that the
// AWS SDK for JavaScript v3 (and so the CDK) uses, without the SDK (npm is not reachable here).
//
// - The proxy: HTTPS_PROXY, through an https.Agent whose createConnection sends CONNECT to the
//   proxy and starts TLS on the tunnel, as the proxy agents handed to the SDK v3's
//   NodeHttpHandler do (hpagent's HttpsProxyAgent, proxy-agent). Keep-alive, as the SDK's agent.
// - Trust: Node's own roots plus NODE_EXTRA_CA_CERTS (read by Node at startup); nothing here.
// - SigV4 by hand with the crypto module, checked first against the AWS documentation's example.
// - Calls, to the real AWS host names of us-east-1: SQS CreateQueue in the query protocol and
//   SendMessage in the JSON protocol; DynamoDB CreateTable and PutItem (JSON 1.0); S3
//   CreateBucket and PutObject (REST, path style).
//
// Usage: node client.js PREFIX        Exits non-zero, saying why, on the first failed call.
"use strict";
const crypto = require("node:crypto");
const http = require("node:http");
const https = require("node:https");

const prefix = process.argv[2] || "node";
const region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || "us-east-1";
const credentials = {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID,
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
    sessionToken: process.env.AWS_SESSION_TOKEN,
};

// MARK: - SigV4

const sha256 = (data) => crypto.createHash("sha256").update(data).digest("hex");
const hmac = (key, data) => crypto.createHmac("sha256", key).update(data).digest();

// RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone).
const encode = (text) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());

// Signs a request: adds x-amz-date, x-amz-security-token (with a token) and authorization to
// `headers` (lower-case names, host included); returns the signature.
function sign({ method, path, query = "", headers, body, service, now = new Date(), accessKeyId = credentials.accessKeyId,
                secret = credentials.secretAccessKey, token = credentials.sessionToken, scopeRegion = region }) {
    const amzDate = now.toISOString().replace(/[:-]|\.\d{3}/g, "");
    const day = amzDate.slice(0, 8);
    headers["x-amz-date"] = amzDate;
    if (token) headers["x-amz-security-token"] = token;
    const names = Object.keys(headers).map((name) => name.toLowerCase()).sort();
    const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), String(value).trim()]));
    const canonical = [
        method, path, query,
        names.map((name) => `${name}:${lower[name]}\n`).join(""),
        names.join(";"),
        headers["x-amz-content-sha256"] || sha256(body),
    ].join("\n");
    const scope = `${day}/${scopeRegion}/${service}/aws4_request`;
    const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
    let key = hmac("AWS4" + secret, day);
    for (const part of [scopeRegion, service, "aws4_request"]) key = hmac(key, part);
    const signature = crypto.createHmac("sha256", key).update(toSign).digest("hex");
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
    return signature;
}

// The signer against the AWS documentation's example (IAM ListUsers, 2015-08-30): a wrong
// signature would pass moto unnoticed, so the client refuses to run with one.
function checkSigner() {
    const headers = { "content-type": "application/x-www-form-urlencoded; charset=utf-8", host: "iam.amazonaws.com" };
    const signature = sign({
        method: "GET", path: "/", query: "Action=ListUsers&Version=2010-05-08", headers, body: "", service: "iam",
        now: new Date("2015-08-30T12:36:00Z"), secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", accessKeyId: "AKIDEXAMPLE",
        token: null, scopeRegion: "us-east-1",
    });
    if (signature !== "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7") {
        throw new Error(`the SigV4 signer is wrong: ${signature} for the AWS documentation's example`);
    }
}

// MARK: - The proxy agent

// An https.Agent that reaches every host through an HTTP proxy's CONNECT, then runs TLS (Node's,
// with its roots and NODE_EXTRA_CA_CERTS) on the tunnel: what hpagent's HttpsProxyAgent does.
class ProxyAgent extends https.Agent {
    constructor(proxy) {
        super({ keepAlive: true });
        this.proxy = new URL(proxy);
    }

    createConnection(options, callback) {
        const request = http.request({
            host: this.proxy.hostname, port: this.proxy.port || 80, method: "CONNECT",
            path: `${options.host}:${options.port}`, headers: { host: `${options.host}:${options.port}` },
        });
        request.once("connect", (response, socket) => {
            if (response.statusCode !== 200) {
                socket.destroy();
                callback(new Error(`the proxy answered CONNECT with ${response.statusCode}`));
                return;
            }
            callback(null, super.createConnection({ ...options, socket }));
        });
        request.once("error", callback);
        request.end();
    }
}

const proxy = process.env.HTTPS_PROXY || process.env.https_proxy;
if (!proxy) {
    console.error("client.js: HTTPS_PROXY is not set");
    process.exit(2);
}
const agent = new ProxyAgent(proxy);

// MARK: - Calls

// Sends one signed request and resolves with its body; rejects on a status other than 2xx.
function call({ service, host, method = "POST", path = "/", headers = {}, body = "" }) {
    headers = { host, ...headers };
    if (service === "s3") headers["x-amz-content-sha256"] = sha256(body);
    sign({ method, path, headers, body, service });
    return new Promise((resolve, reject) => {
        const request = https.request({ host, port: 443, method, path, headers, agent }, (response) => {
            const chunks = [];
            response.on("data", (chunk) => chunks.push(chunk));
            response.on("end", () => {
                const text = Buffer.concat(chunks).toString("utf8");
                if (response.statusCode >= 200 && response.statusCode < 300) resolve(text);
                else reject(new Error(`${service} ${method} ${path}: HTTP ${response.statusCode}: ${text.slice(0, 300)}`));
            });
        });
        request.on("error", reject);
        request.end(body);
    });
}

const query = (service, parameters) => call({
    service, host: `${service}.${region}.amazonaws.com`,
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body: Object.entries(parameters).map(([name, value]) => `${encode(name)}=${encode(value)}`).join("&"),
});

const json = (service, target, version, parameters) => call({
    service, host: `${service}.${region}.amazonaws.com`,
    headers: { "content-type": `application/x-amz-json-${version}`, "x-amz-target": target },
    body: JSON.stringify(parameters),
});

async function main() {
    checkSigner();
    // SQS: CreateQueue in the query protocol (the queue's URL from its XML), SendMessage in JSON.
    const created = await query("sqs", { Action: "CreateQueue", QueueName: `${prefix}-queue`, Version: "2012-11-05" });
    const queueUrl = (created.match(/<QueueUrl>([^<]+)<\/QueueUrl>/) || [])[1];
    if (!queueUrl) throw new Error(`CreateQueue answered no QueueUrl: ${created.slice(0, 300)}`);
    await json("sqs", "AmazonSQS.SendMessage", "1.0", { QueueUrl: queueUrl, MessageBody: "job" });
    // DynamoDB (JSON 1.0).
    const table = `${prefix}-table`;
    await json("dynamodb", "DynamoDB_20120810.CreateTable", "1.0", {
        TableName: table, BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    });
    await json("dynamodb", "DynamoDB_20120810.PutItem", "1.0", { TableName: table, Item: { id: { S: "1" } } });
    // S3 (REST, path style on the regional host).
    const s3 = `s3.${region}.amazonaws.com`;
    const bucket = `${prefix}-bucket`;
    await call({ service: "s3", host: s3, method: "PUT", path: `/${bucket}` });
    await call({ service: "s3", host: s3, method: "PUT", path: `/${bucket}/dir/object.txt`, body: "hello", headers: { "content-type": "text/plain" } });
    agent.destroy();
    console.error("client.js: 6 calls done");
}

main().catch((error) => {
    agent.destroy();
    console.error(`client.js: ${error.code ? error.code + ": " : ""}${error.message}`);
    process.exit(1);
});
