import Foundation
import Testing

/// Actions services take with the caller's permissions: `lookup`, `lookup --explain`, the report's
/// grouping, and a captured workload whose trigger is present.
@Suite("Actions taken on the caller's behalf, through the binary")
struct OnBehalfTests {
    @Test("lookup --json: the new entries and their triggers, exactly", arguments: [
        ("Secrets Manager", "GetSecretValue", #"{"service":"Secrets Manager","module":"secretsmanager","iamPrefix":"secretsmanager","operation":"GetSecretValue","known":true,"permissionless":false,"unmapped":false,"actions":["secretsmanager:GetSecretValue"],"mayAlsoNeed":["kms:Decrypt"],"conditions":[{"action":"kms:Decrypt","kind":"encrypted","when":[],"unless":[]}],"resources":[{"action":"secretsmanager:GetSecretValue","resourceType":"Secret","arn":"arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}","required":true}]}"#),
        ("SNS", "Publish", #"{"service":"SNS","module":"sns","iamPrefix":"sns","operation":"Publish","known":true,"permissionless":false,"unmapped":false,"actions":["sns:Publish"],"mayAlsoNeed":["kms:GenerateDataKey","kms:Decrypt"],"conditions":[{"action":"kms:GenerateDataKey","kind":"encrypted","when":[],"unless":[]},{"action":"kms:Decrypt","kind":"encrypted","when":[],"unless":[]}],"resources":[{"action":"sns:Publish","resourceType":"topic","arn":"arn:${Partition}:sns:${Region}:${Account}:${TopicName}","required":true}]}"#),
        ("Redshift Data", "ExecuteStatement", #"{"service":"Redshift Data","module":"redshift-data","iamPrefix":"redshift-data","operation":"ExecuteStatement","known":true,"permissionless":false,"unmapped":false,"actions":["redshift-data:ExecuteStatement"],"mayAlsoNeed":["redshift:GetClusterCredentials","redshift:GetClusterCredentialsWithIAM","redshift-serverless:GetCredentials","secretsmanager:GetSecretValue"],"conditions":[{"action":"redshift:GetClusterCredentials","kind":"parameter","when":["DbUser"],"unless":[]},{"action":"redshift:GetClusterCredentialsWithIAM","kind":"parameter","when":["ClusterIdentifier"],"unless":["DbUser","SecretArn"]},{"action":"redshift-serverless:GetCredentials","kind":"parameter","when":["WorkgroupName"],"unless":["SecretArn"]},{"action":"secretsmanager:GetSecretValue","kind":"parameter","when":["SecretArn"],"unless":[]}],"resources":[{"action":"redshift-data:ExecuteStatement","resourceType":"cluster","arn":"arn:${Partition}:redshift:${Region}:${Account}:cluster:${ClusterName}","required":false},{"action":"redshift-data:ExecuteStatement","resourceType":"workgroup","arn":"arn:${Partition}:redshift-serverless:${Region}:${Account}:workgroup/${WorkgroupId}","required":false}]}"#),
        ("SQS", "SendMessage", #"{"service":"SQS","module":"sqs","iamPrefix":"sqs","operation":"SendMessage","known":true,"permissionless":false,"unmapped":false,"actions":["sqs:SendMessage"],"mayAlsoNeed":["kms:GenerateDataKey","kms:Decrypt"],"conditions":[{"action":"kms:GenerateDataKey","kind":"encrypted","when":[],"unless":[]},{"action":"kms:Decrypt","kind":"encrypted","when":[],"unless":[]}],"resources":[{"action":"sqs:SendMessage","resourceType":"queue","arn":"arn:${Partition}:sqs:${Region}:${Account}:${QueueName}","required":true}]}"#),
        ("Athena", "StartQueryExecution", #"{"service":"Athena","module":"athena","iamPrefix":"athena","operation":"StartQueryExecution","known":true,"permissionless":false,"unmapped":false,"actions":["athena:StartQueryExecution"],"mayAlsoNeed":["s3:GetBucketLocation","s3:GetObject","s3:ListBucket","s3:PutObject","s3:ListBucketMultipartUploads","s3:ListMultipartUploadParts","s3:AbortMultipartUpload","glue:GetDatabase","glue:GetTable","glue:GetPartitions","lakeformation:GetDataAccess","kms:GenerateDataKey","kms:Decrypt"],"conditions":[{"action":"s3:GetBucketLocation","kind":"service","when":[],"unless":[]},{"action":"s3:GetObject","kind":"service","when":[],"unless":[]},{"action":"s3:ListBucket","kind":"service","when":[],"unless":[]},{"action":"s3:PutObject","kind":"service","when":[],"unless":[]},{"action":"s3:ListBucketMultipartUploads","kind":"service","when":[],"unless":[]},{"action":"s3:ListMultipartUploadParts","kind":"service","when":[],"unless":[]},{"action":"s3:AbortMultipartUpload","kind":"service","when":[],"unless":[]},{"action":"glue:GetDatabase","kind":"service","when":[],"unless":[]},{"action":"glue:GetTable","kind":"service","when":[],"unless":[]},{"action":"glue:GetPartitions","kind":"service","when":[],"unless":[]},{"action":"lakeformation:GetDataAccess","kind":"service","when":[],"unless":[]},{"action":"kms:GenerateDataKey","kind":"encrypted","when":[],"unless":[]},{"action":"kms:Decrypt","kind":"encrypted","when":[],"unless":[]}],"resources":[{"action":"athena:StartQueryExecution","resourceType":"workgroup","arn":"arn:${Partition}:athena:${Region}:${Account}:workgroup/${WorkGroupName}","required":true}]}"#),
    ])
    func lookupJSON(service: String, operation: String, expected: String) throws {
        let result = try Binary.run(["lookup", "--json", service, operation])
        #expect(result.status == 0)
        #expect(result.stdout == expected + "\n")
    }

    /// The overrides file, by line.
    private static let overrides: [String] = {
        let path = Workloads.root.appendingPathComponent("Scripts/action-overrides.txt").path
        return ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").components(separatedBy: "\n")
    }()

    @Test("lookup --explain: the rule, the override line (which is the operation's line), the trigger and the source")
    func explain() throws {
        let text = try Binary.run(["lookup", "--explain", "Redshift Data", "ExecuteStatement"])
        #expect(text.status == 0)
        let lines = text.stdout.components(separatedBy: "\n")
        #expect(lines.first == "Redshift Data ExecuteStatement (module redshift-data, IAM prefix redshift-data)")
        #expect(lines.dropFirst().first == "redshift-data:ExecuteStatement")
        #expect(lines.dropFirst(2).first == "  needed: always")
        #expect(lines.dropFirst(3).first == "  rule: the operation's name is an action in the IAM data")
        let withIAM = try #require(lines.firstIndex(of: "redshift:GetClusterCredentialsWithIAM"))
        #expect(lines[withIAM + 1] == "  needed: when ClusterIdentifier is given without DbUser or SecretArn (parameter given)")
        let rule = lines[withIAM + 2]
        #expect(rule.hasPrefix("  rule: hand-written override, Scripts/action-overrides.txt:"))
        let line = try #require(Int(rule.split(separator: ":").last ?? ""))
        #expect(Self.overrides[line - 1].hasPrefix("op redshift-data ExecuteStatement "))
        #expect(Self.overrides[line - 2].hasPrefix("# source: Amazon Redshift Management Guide"))
        #expect(lines[withIAM + 3] == "  source: " + Self.overrides[line - 2].dropFirst("# source: ".count))

        let json = try Binary.run(["lookup", "--explain", "--json", "SQS", "SendMessage"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let actions = try #require(object["actions"] as? [[String: Any]])
        #expect(actions.map { $0["action"] as? String } == ["sqs:SendMessage", "kms:GenerateDataKey", "kms:Decrypt"])
        #expect(actions.map { $0["rule"] as? String } == ["name", "override", "override"])
        #expect(actions[1]["kind"] as? String == "encrypted")
        #expect(actions[1]["needed"] as? String == "conditional")
        #expect((actions[1]["source"] as? String)?.hasPrefix("Amazon SQS Developer Guide") == true)
        let place = try #require(actions[1]["override"] as? String)
        let number = try #require(Int(place.split(separator: ":").last ?? ""))
        #expect(Self.overrides[number - 1].hasPrefix("op sqs SendMessage "))
        #expect(actions[0]["source"] == nil)

        let usage = try Binary.run(["lookup", "--explain", "--action", "s3:GetObject"])
        #expect(usage.status == 64)
    }

    @Test("generate and diff group what calls may also need by why")
    func grouping() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("onbehalf-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let events = directory.appendingPathComponent("calls.jsonl")
        let calls = [("SQS", "SendMessage"), ("Redshift Data", "ExecuteStatement"), ("Athena", "StartQueryExecution")]
        try calls.map { #"{"Version":1,"ClientId":"c","Type":"ApiCall","Service":"\#($0.0)","Api":"\#($0.1)","Timestamp":1795911864409,"FinalHttpStatusCode":200}"# }
            .joined(separator: "\n").appending("\n").write(to: events, atomically: true, encoding: .utf8)
        let generated = try Binary.run(["generate", events.path])
        #expect(generated.status == 0, "\(generated.stderr)")
        let lines = generated.stderr.components(separatedBy: "\n")
        let head = try #require(lines.firstIndex(of: "may also need (not granted; see `iamscribe lookup --explain SERVICE OPERATION`):"))
        let parameter = try #require(lines.firstIndex(of: "  when a parameter the calls did not show is given:"))
        let encrypted = try #require(lines.firstIndex(of: "  when the resource uses a customer managed KMS key:"))
        let service = try #require(lines.firstIndex(of: "  depending on the service's behaviour, which the parameters do not show:"))
        #expect(head < parameter && parameter < encrypted && encrypted < service)
        #expect(lines[(parameter + 1)..<encrypted].contains("    redshift:GetClusterCredentials  (for Redshift Data ExecuteStatement)"))
        #expect(lines[(encrypted + 1)..<service].contains("    kms:GenerateDataKey  (for Athena StartQueryExecution, SQS SendMessage)"))
        #expect(lines[(service + 1)...].contains("    glue:GetTable  (for Athena StartQueryExecution)"))

        let policy = directory.appendingPathComponent("policy.json")
        try Data(generated.stdout.utf8).write(to: policy)
        let diff = try Binary.run(["diff", "--policy", policy.path, events.path])
        #expect(diff.stdout.contains("may also need kms:Decrypt (for Athena StartQueryExecution, SQS SendMessage, "
                                     + "when the resource uses a customer managed KMS key): the policies give deny"))
        let report = try Binary.run(["diff", "--format", "json", "--policy", policy.path, events.path])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let notes = try #require((json["notes"] as? [String: Any])?["mayAlsoNeed"] as? [[String: Any]])
        #expect(notes.first { $0["action"] as? String == "glue:GetTable" }?["why"] as? String == "service")
        #expect(notes.first { $0["action"] as? String == "redshift:GetClusterCredentials" }?["why"] as? String == "parameter")
    }

    @Test("run --mode pcap: an SQS queue created with a KmsMasterKeyId and written to gets its key's actions",
          .enabled(if: Workloads.available && getuid() == 0, "needs moto_server, python3 with boto3, and root"))
    func encryptedQueue() throws {
        let moto = try Moto()
        let script = """
            import boto3
            sqs = boto3.client("sqs")
            url = sqs.create_queue(QueueName="orders", Attributes={"KmsMasterKeyId": "alias/orders-key"})["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody="order 1")
            plain = sqs.create_queue(QueueName="plain")["QueueUrl"]
            sqs.send_message(QueueUrl=plain, MessageBody="order 2")
            """
        let result = try Binary.run(["run", "--mode", "pcap", "--interface", "lo", "--filter", "tcp port \(moto.port)",
                                     "--", "python3", "-c", script],
                                    environment: Workloads.clientEnvironment(moto: moto))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Workloads.actions(inPolicy: result.stdout)
                == ["kms:Decrypt", "kms:GenerateDataKey", "sqs:CreateQueue", "sqs:SendMessage"], "\(result.stderr)")
        #expect(!result.stderr.contains("may also need"), "\(result.stderr)")
    }

    @Test("run --mode pcap: SSM SecureStrings under a customer managed key need kms:Decrypt only when read WithDecryption; an AWS managed queue key needs nothing",
          .enabled(if: Workloads.available && getuid() == 0, "needs moto_server, python3 with boto3, and root"))
    func parameterStoreAndManagedKeys() throws {
        let moto = try Moto()
        let script = """
            import boto3
            ssm = boto3.client("ssm")
            ssm.put_parameter(Name="/app/db", Value="s3cr3t-value", Type="SecureString", KeyId="alias/app-key", Overwrite=True)
            ssm.get_parameter(Name="/app/db")
            sqs = boto3.client("sqs")
            url = sqs.create_queue(QueueName="managed", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody="m")
            """
        let result = try Binary.run(["run", "--mode", "pcap", "--interface", "lo", "--filter", "tcp port \(moto.port)",
                                     "--", "python3", "-c", script],
                                    environment: Workloads.clientEnvironment(moto: moto))
        #expect(result.status == 0, "\(result.stderr)")
        let without = try Workloads.actions(inPolicy: result.stdout)
        #expect(!without.contains("kms:Decrypt"), "\(result.stderr)")
        #expect(!without.contains("kms:GenerateDataKey"), "\(result.stderr)")
        #expect(without.contains("ssm:GetParameter") && without.contains("sqs:SendMessage"), "\(result.stderr)")
        #expect(!result.stdout.contains("s3cr3t-value") && !result.stderr.contains("s3cr3t-value"))

        let decrypting = script.replacingOccurrences(of: "ssm.get_parameter(Name=\"/app/db\")",
                                                     with: "ssm.get_parameter(Name=\"/app/db\", WithDecryption=True)")
        let second = try Binary.run(["run", "--mode", "pcap", "--interface", "lo", "--filter", "tcp port \(moto.port)",
                                     "--", "python3", "-c", decrypting],
                                    environment: Workloads.clientEnvironment(moto: moto))
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try Workloads.actions(inPolicy: second.stdout).contains("kms:Decrypt"), "\(second.stderr)")
    }
}
