import Foundation

/// Records what the real AWS CLI v1 calls against a local moto server, with `iamscribe run
/// --session`, into a session journal: the input `diff` reads in the field.
enum MotoWorkload {
    /// Whether moto_server, aws and python3 are installed (Scripts/setup installs them).
    static var available: Bool { Workloads.available }

    /// One recording, made the first time it is asked for and shared by the tests.
    static let recording: Result<URL, any Error> = Result { try record() }

    struct RecordingError: Error, CustomStringConvertible {
        let description: String
    }

    private static func record() throws -> URL {
        let moto = try Moto()
        let session = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-e2e-\(UUID()).session.jsonl")
        let aws = "aws --endpoint-url \(moto.endpoint) --output json"
        let script = """
        set -e
        echo hello > "$TMPDIR_BODY"
        \(aws) s3api create-bucket --bucket e2e-bucket >/dev/null
        \(aws) s3api put-object --bucket e2e-bucket --key hello.txt --body "$TMPDIR_BODY" >/dev/null
        \(aws) s3api get-object --bucket e2e-bucket --key hello.txt "$TMPDIR_BODY.out" >/dev/null
        \(aws) s3api list-objects-v2 --bucket e2e-bucket >/dev/null
        queue=$(\(aws) sqs create-queue --queue-name e2e-jobs --query QueueUrl --output text)
        \(aws) sqs send-message --queue-url "$queue" --message-body job >/dev/null
        \(aws) dynamodb create-table --table-name e2e --attribute-definitions AttributeName=id,AttributeType=S \
            --key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST >/dev/null
        \(aws) dynamodb put-item --table-name e2e --item '{"id":{"S":"1"}}' >/dev/null
        """
        var environment = Workloads.clientEnvironment(moto: moto)
        environment["TMPDIR_BODY"] = session.path + ".body"
        let result = try Binary.run(["run", "--session", session.path, "--", "sh", "-c", script], environment: environment)
        guard result.status == 0 else {
            throw RecordingError(description: "the recorded workload failed (\(result.status)): \(result.stderr)")
        }
        return session
    }
}
