import Foundation
import Testing
import TestSupport

/// Resource-level policies from `run --mode proxy` with real clients against moto over TLS
/// (``TLSMoto``): each action on the exact ARNs its calls named, the account given by
/// `--account-id` (boto3) or decoded from the access key id (the AWS SDK for Go v2).
@Suite("HTTPS proxy: exact resource ARNs from real clients against moto over TLS", .serialized,
       .enabled(if: Workloads.available && TLSMoto.available, "needs moto_server, aws, python3, openssl and curl (Scripts/setup)"))
struct ClientProxyResourceTests {
    /// Where the tests' iamscribe keeps its CA (IAMSCRIBE_HOME): never the user's own.
    private static let home = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-proxy-arn-home-\(UUID())").path

    /// moto's account: the ARNs it returns (a role's, a queue URL's) name it.
    static let account = "123456789012"

    /// An access key id that encodes ``account`` (AWS's encoding: flag bit, 40-bit account,
    /// base32; `AccessKeyIDTests` checks the decoder against an encoder written apart).
    static let keyEncodingAccount = "AKIARZPUZDIKKUQRSTUV"

    /// Runs `command` under `run --mode proxy` with `options`, and checks that no secret leaked.
    private func proxied(_ options: [String], _ command: [String], endpoint: String?,
                         accessKeyID: String? = nil) throws -> Binary.Result {
        var environment = ClientWorkloads.environment(endpoint: endpoint)
        for key in ["NO_PROXY", "no_proxy", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"] {
            environment[key] = nil
        }
        environment["IAMSCRIBE_HOME"] = Self.home
        if let accessKeyID { environment["AWS_ACCESS_KEY_ID"] = accessKeyID }
        let result = try Binary.run(["run", "--mode", "proxy"] + options + ["--"] + command, environment: environment)
        #expect(!ClientWorkloads.leaksSecret(result.stdout + result.stderr))
        return result
    }

    @Test("boto3's sample workload by endpoint, --account-id: every action on the ARNs it named, PassRole on the role handed to Lambda")
    func boto3() throws {
        let moto = try TLSMoto()
        let result = try proxied(["--intercept", "localhost", "--upstream-ca", moto.certificates.authority,
                                  "--account-id", Self.account],
                                 ["python3", Workloads.sampleWorkload], endpoint: moto.localhostEndpoint)
        #expect(result.status == 0, "\(result.stderr)")
        var resources = try PcapCaptureTests.resourcesByAction(result.stdout)
        let region = "us-east-1:\(Self.account)"
        // KMS key ids are moto's random ones: checked by shape.
        let keys = resources["kms:Encrypt"] ?? []
        #expect(keys.count == 1 && keys[0].hasPrefix("arn:aws:kms:\(region):key/") && keys[0].count > 60, "\(result.stdout)")
        resources["kms:Encrypt"] = nil
        #expect(resources == [
            "s3:CreateBucket": ["arn:aws:s3:::iamscribe-demo"],
            "s3:ListBucket": ["arn:aws:s3:::iamscribe-demo"],
            "s3:PutObject": ["arn:aws:s3:::iamscribe-demo/hello.txt"],
            "s3:GetObject": ["arn:aws:s3:::iamscribe-demo/hello.txt"],
            "s3:DeleteObject": ["arn:aws:s3:::iamscribe-demo/hello.txt"],
            "dynamodb:CreateTable": ["arn:aws:dynamodb:\(region):table/demo"],
            "dynamodb:PutItem": ["arn:aws:dynamodb:\(region):table/demo"],
            "dynamodb:GetItem": ["arn:aws:dynamodb:\(region):table/demo"],
            "dynamodb:Query": ["arn:aws:dynamodb:\(region):table/demo"],
            "sqs:CreateQueue": ["arn:aws:sqs:\(region):demo"],
            "sqs:SendMessage": ["arn:aws:sqs:\(region):demo"],
            "sqs:ReceiveMessage": ["arn:aws:sqs:\(region):demo"],
            "sqs:DeleteMessage": ["arn:aws:sqs:\(region):demo"],
            "sns:CreateTopic": ["arn:aws:sns:\(region):demo"],
            "sns:Publish": ["arn:aws:sns:\(region):demo"],
            "iam:CreateRole": ["arn:aws:iam::\(Self.account):role/demo-function"],
            // Named without its path: under any path.
            "iam:GetRole": ["arn:aws:iam::\(Self.account):role/*demo-function"],
            // The role handed to Lambda's CreateFunction, by the ARN moto returned.
            "iam:PassRole": ["arn:aws:iam::\(Self.account):role/demo-function"],
            "lambda:CreateFunction": ["arn:aws:lambda:\(region):function:demo"],
            "lambda:ListFunctions": ["*"],
            "kms:CreateKey": ["*"],
            // Decrypt names no key (the key is inside the ciphertext): any key of the account.
            "kms:Decrypt": ["arn:aws:kms:\(region):key/*"],
        ], "\(result.stderr)")
        #expect(!result.stderr.contains("the account is unknown"), "\(result.stderr)")
    }

    @Test("The AWS SDK for Go v2 by AWS host names (--forward-to), the account from its access key id: the exact ARNs",
          .enabled(if: ClientWorkloads.goAvailable, "needs golang-go and golang-github-aws-aws-sdk-go-v2-dev (Scripts/setup)"))
    func goSDK() throws {
        let moto = try TLSMoto()
        let result = try proxied(["--forward-to", moto.endpoint, "--upstream-ca", moto.certificates.authority],
                                 try ClientWorkloads.goCommand(endpoint: nil, prefix: "goarn"), endpoint: nil,
                                 accessKeyID: Self.keyEncodingAccount)
        #expect(result.status == 0, "\(result.stderr)")
        let region = "us-east-1:\(Self.account)"
        #expect(try PcapCaptureTests.resourcesByAction(result.stdout) == [
            // Virtual-hosted style (goarn-bucket.s3.us-east-1.amazonaws.com), as the SDK addresses AWS.
            "s3:CreateBucket": ["arn:aws:s3:::goarn-bucket"],
            "s3:ListBucket": ["arn:aws:s3:::goarn-bucket"],
            "s3:PutObject": ["arn:aws:s3:::goarn-bucket/hello.txt"],
            "s3:GetObject": ["arn:aws:s3:::goarn-bucket/hello.txt"],
            "dynamodb:CreateTable": ["arn:aws:dynamodb:\(region):table/goarn-table"],
            "dynamodb:PutItem": ["arn:aws:dynamodb:\(region):table/goarn-table"],
            "dynamodb:GetItem": ["arn:aws:dynamodb:\(region):table/goarn-table"],
            // The query protocol (Debian's SDK): the queue by name, then by the URL moto returned.
            "sqs:CreateQueue": ["arn:aws:sqs:\(region):goarn-queue"],
            "sqs:SendMessage": ["arn:aws:sqs:\(region):goarn-queue"],
        ], "\(result.stderr)")
        #expect(result.stderr.contains("resources: account \(Self.account) from the access key id"), "\(result.stderr)")
    }
}
