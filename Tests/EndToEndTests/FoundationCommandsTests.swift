import Foundation
import IAMScribeCore
import Testing

@Suite("lookup, table stats and generate, through the binary")
struct FoundationCommandsTests {
    @Test("lookup prints the actions, primary first, and the ARN templates")
    func lookup() throws {
        let result = try Binary.run(["lookup", "S3", "GetObject", "--json"])
        #expect(result.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["actions"] as? [String] == ["s3:GetObject"])
        #expect(json["permissionless"] as? Bool == false)
        let resources = try #require(json["resources"] as? [[String: Any]])
        #expect(resources.contains { $0["arn"] as? String == "arn:${Partition}:s3:::${BucketName}/${ObjectName}" })

        let text = try Binary.run(["lookup", "lambda", "createfunction"])
        #expect(text.stdout.contains("actions:\n  lambda:CreateFunction\n  iam:PassRole\n"))
    }

    @Test("Unknown names exit 2 and suggest the closest known names")
    func unknown() throws {
        let service = try Binary.run(["lookup", "dynamo", "GetItem"])
        #expect(service.status == 2)
        #expect(service.stderr.contains("unknown service 'dynamo'"))
        #expect(service.stderr.contains("dynamodb"))
        let operation = try Binary.run(["lookup", "S3", "GetObjekt"])
        #expect(operation.status == 2)
        #expect(operation.stderr.contains("did you mean 'GetObject'"))
    }

    @Test("lookup --batch answers every operation of the table, in input order")
    func batch() throws {
        let table = ActionTable.bundled
        var lines: [(String, String)] = []
        for service in table.services {
            for operation in table.operations(of: service) { lines.append((service.serviceID, operation.name)) }
        }
        lines.append(("NoSuchService", "Nothing"))
        let input = lines.map { "\($0.0)\t\($0.1)" }.joined(separator: "\n") + "\n"
        let result = try Binary.run(["lookup", "--batch", "--json"], input: input)
        #expect(result.status == 0)
        let outputs = result.stdout.split(separator: "\n")
        #expect(outputs.count == lines.count)
        for (index, line) in outputs.enumerated() where index % 997 == 0 || index == outputs.count - 1 {
            let json = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(json["service"] as? String == lines[index].0)
            #expect(json["operation"] as? String == lines[index].1)
            #expect(json["mayAlsoNeed"] is [String])
        }
        let last = try #require(try JSONSerialization.jsonObject(with: Data(outputs.last!.utf8)) as? [String: Any])
        #expect(last["known"] as? Bool == false)
        let getCallerIdentity = lines.firstIndex { $0 == ("STS", "GetCallerIdentity") }
        let permissionless = try #require(try JSONSerialization.jsonObject(with: Data(outputs[getCallerIdentity!].utf8)) as? [String: Any])
        #expect(permissionless["permissionless"] as? Bool == true)
        #expect(permissionless["actions"] as? [String] == [])
    }

    @Test("lookup --action lists the operations that need an action")
    func reverse() throws {
        let result = try Binary.run(["lookup", "--action", "s3:getobject"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("s3 GetObject\n"))
        #expect(result.stdout.contains("s3 HeadObject\n"))
        #expect(result.stdout.contains("s3 SelectObjectContent\n"))
        #expect(try Binary.run(["lookup", "--action", "s3:NoSuchAction"]).status == 2)
    }

    @Test("table stats --json")
    func stats() throws {
        let result = try Binary.run(["table", "stats", "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let operations = try #require(json["operations"] as? Int)
        let unmapped = try #require(json["unmapped"] as? Int)
        #expect(operations >= 18_000)
        #expect(unmapped * 100 <= operations)
        for key in ["services", "mapped", "permissionless"] { #expect(json[key] is Int) }
    }

    @Test("generate prints the exact policy for the recorded AWS CLI fixture")
    func generate() throws {
        let result = try Binary.run(["generate", Fixtures.path("awscli-moto.csm.jsonl")])
        #expect(result.status == 0)
        let expected = try String(contentsOfFile: Fixtures.path("awscli-moto.policy.json"), encoding: .utf8)
        #expect(result.stdout == expected)
        #expect(result.stderr.contains("sts:GetCallerIdentity needs no permission"))
    }

    @Test("generate reports bad lines by number and keeps the good ones")
    func badLines() throws {
        let good = try String(contentsOfFile: Fixtures.path("awscli-moto.csm.jsonl"), encoding: .utf8)
        let lines = good.split(separator: "\n").map(String.init)
        let mixed = [lines[0], lines[1], "{not json", #"{"Version":1,"Type":"ApiCall"}"#] + lines[2...]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mixed-\(UUID()).jsonl")
        try mixed.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try Binary.run(["generate", file.path])
        #expect(result.status == 0)
        #expect(result.stderr.contains("line 3: invalid JSON"))
        #expect(result.stderr.contains("line 4: missing field"))
        #expect(result.stdout == (try String(contentsOfFile: Fixtures.path("awscli-moto.policy.json"), encoding: .utf8)))

        let missing = try Binary.run(["generate", "/nonexistent/file.jsonl", file.path])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot read /nonexistent/file.jsonl"))
        #expect(missing.stdout.contains("s3:GetObject"))
    }

    @Test("generate --output-file writes the policy file")
    func outputFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try Binary.run(["generate", "--fails-only", "--output-file", file.path, Fixtures.path("awscli-moto.csm.jsonl")])
        #expect(result.status == 0)
        let written = try String(contentsOf: file, encoding: .utf8)
        #expect(written.contains("\"Action\": \"s3:GetObject\""))
    }

    @Test("The binary copied alone into another folder still answers lookup")
    func standalone() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-alone-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent("iamscribe").path
        try FileManager.default.copyItem(atPath: Binary.path, toPath: copy)
        let result = try Binary.run(["lookup", "sqs", "SendMessageBatch"], executable: copy)
        #expect(result.status == 0)
        #expect(result.stdout.contains("sqs:SendMessage"))
    }
}
