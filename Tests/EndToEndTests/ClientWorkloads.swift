import Foundation
import TestSupport

/// Real clients besides boto3 and the AWS CLI v1 (``Workloads``), each as a workload that runs
/// against an endpoint: Debian's AWS SDK for Go v2 (which sends no CSM, and SQS calls in the query
/// protocol), Debian's AWS CLI v2, and `curl --aws-sigv4`. Each gives the command to run (for
/// `iamscribe run -- COMMAND`) and the exact actions it needs. With `endpoint` nil a client uses
/// the real AWS host names (for a proxy's `--forward-to`).
enum ClientWorkloads {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    // MARK: - The AWS SDK for Go v2

    /// The Go test client's build script (Tests/Clients/go).
    static let goBuildScript = Workloads.root.appendingPathComponent("Tests/Clients/go/build.sh").path

    /// Whether Go and the packaged SDK are installed (Scripts/setup installs them).
    static let goAvailable: Bool = FileManager.default.isExecutableFile(atPath: "/usr/bin/go")
        && FileManager.default.fileExists(atPath: "/usr/share/gocode/src/github.com/aws/aws-sdk-go-v2/service/sqs")

    /// The Go test client, built once (cached under .build across runs: the build script rebuilds
    /// only when the source changed).
    static let goClient: Result<String, any Error> = Result {
        let output = Workloads.root.appendingPathComponent(".build/iamscribe-clients/iamscribe-go-client").path
        let built = try Binary.run(["bash", goBuildScript, output], executable: "/usr/bin/env")
        guard built.status == 0 else {
            throw Failure(description: "building the Go client failed (\(built.status)): \(built.stderr)")
        }
        return output
    }

    /// The Go client's command: S3 CreateBucket, PutObject, GetObject, ListObjectsV2; DynamoDB
    /// CreateTable, PutItem, GetItem; SQS CreateQueue, SendMessage; STS GetCallerIdentity.
    static func goCommand(endpoint: String?, prefix: String = "go") throws -> [String] {
        let client = try goClient.get()
        // An empty -endpoint overrides AWS_ENDPOINT_URL: the SDK's own AWS host names.
        return [client, "-endpoint", endpoint ?? "", "-prefix", prefix]
    }

    /// The actions the Go client needs (GetCallerIdentity needs none).
    static let goActions = [
        "dynamodb:CreateTable", "dynamodb:GetItem", "dynamodb:PutItem",
        "s3:CreateBucket", "s3:GetObject", "s3:ListBucket", "s3:PutObject",
        "sqs:CreateQueue", "sqs:SendMessage",
    ]

    // MARK: - The AWS CLI v2 (Debian's awscli)

    /// Debian's AWS CLI v2, by its own path: the `aws` first on PATH is pip's v1.
    static let cliV2Path = "/usr/bin/aws"

    /// Whether it is installed and is v2.
    static let cliV2Available: Bool = {
        guard FileManager.default.isExecutableFile(atPath: cliV2Path),
              let version = try? Binary.run(["--version"], executable: cliV2Path) else { return false }
        return version.status == 0 && version.stdout.hasPrefix("aws-cli/2.")
    }()

    /// An AWS CLI v2 workload as a shell script (a call takes seconds: kept short). The packaged
    /// CLI v2 (2.9) sends SQS and CloudWatch calls in the query protocol and knows no
    /// AWS_ENDPOINT_URL, so the endpoint is given on each call.
    ///
    /// - Parameters:
    ///   - endpoint: The endpoint, or nil for the AWS host names.
    ///   - caBundle: A CA bundle to trust, besides AWS_CA_BUNDLE.
    static func cliV2Script(endpoint: String?, caBundle: String? = nil, prefix: String = "cli2") -> String {
        var aws = "\(cliV2Path) --output json"
        if let endpoint { aws += " --endpoint-url \(endpoint)" }
        if let caBundle { aws += " --ca-bundle \(caBundle)" }
        return """
        set -e
        \(aws) s3api create-bucket --bucket \(prefix)-bucket >/dev/null
        queue=$(\(aws) sqs create-queue --queue-name \(prefix)-queue --query QueueUrl --output text)
        \(aws) sqs send-message --queue-url "$queue" --message-body job >/dev/null
        \(aws) cloudwatch list-metrics --namespace App >/dev/null
        \(aws) sts get-caller-identity >/dev/null
        """
    }

    /// The actions the AWS CLI v2 workload needs.
    static let cliV2Actions = ["cloudwatch:ListMetrics", "s3:CreateBucket", "sqs:CreateQueue", "sqs:SendMessage"]

    // MARK: - curl --aws-sigv4

    /// Whether curl signs requests (7.75 and later).
    static let curlAvailable: Bool = (try? Binary.run(["-c", "curl --help all | grep -q -- --aws-sigv4"],
                                                      executable: "/bin/sh").status) == 0

    /// A curl workload as a shell script: S3 CreateBucket (REST), SQS ListQueues (a query form),
    /// DynamoDB ListTables (JSON with X-Amz-Target), each signed with SigV4 by curl itself.
    ///
    /// - Parameters:
    ///   - endpoint: The endpoint, or nil for the AWS host names (curl then reads the service and
    ///     region from the host).
    ///   - caBundle: A CA file to trust.
    static func curlScript(endpoint: String?, caBundle: String? = nil, prefix: String = "curl") -> String {
        var curl = #"curl -sS --fail --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -o /dev/null"#
        if let caBundle { curl += " --cacert \(caBundle)" }
        func url(_ service: String) -> String { endpoint ?? "https://\(service).us-east-1.amazonaws.com" }
        return """
        set -e
        \(curl) --aws-sigv4 aws:amz:us-east-1:s3 -X PUT \(url("s3"))/\(prefix)-bucket
        \(curl) --aws-sigv4 aws:amz:us-east-1:sqs -d 'Action=ListQueues&Version=2012-11-05' \(url("sqs"))/
        \(curl) --aws-sigv4 aws:amz:us-east-1:dynamodb -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \\
            -H 'Content-Type: application/x-amz-json-1.0' -d '{}' \(url("dynamodb"))/
        """
    }

    /// The actions the curl workload needs.
    static let curlActions = ["dynamodb:ListTables", "s3:CreateBucket", "sqs:ListQueues"]

    // MARK: - Environments

    /// The environment of a client with fake credentials, no CSM, no pager, and `endpoint` (when
    /// given) in AWS_ENDPOINT_URL.
    static func environment(endpoint: String?, caBundle: String? = nil) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_ACCESS_KEY_ID"] = "AKIAIOSFODNN7EXAMPLE"
        environment["AWS_SECRET_ACCESS_KEY"] = "example-secret-never-written"
        environment["AWS_SESSION_TOKEN"] = "example-token-never-written"
        environment["AWS_DEFAULT_REGION"] = "us-east-1"
        environment["AWS_REGION"] = "us-east-1"
        environment["AWS_ENDPOINT_URL"] = endpoint
        environment["AWS_CONFIG_FILE"] = "/dev/null"
        environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        environment["AWS_PAGER"] = ""
        environment["AWS_CA_BUNDLE"] = caBundle
        for key in ["AWS_CSM_ENABLED", "AWS_CSM_PORT", "AWS_CSM_HOST", "AWS_CSM_CLIENT_ID",
                    "HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] {
            environment[key] = nil
        }
        return environment
    }

    /// Whether some text holds a secret the environment above gives the clients.
    static func leaksSecret(_ text: String) -> Bool {
        text.contains("example-secret-never-written") || text.contains("example-token-never-written")
    }
}
