import Foundation
import Testing

/// `run --mode pcap` on clients that send no CSM and speak older protocols, against moto over
/// plain HTTP: Debian's AWS SDK for Go v2 and AWS CLI v2 (SQS and CloudWatch in the query
/// protocol, which botocore's current models do not use) and `curl --aws-sigv4`.
@Suite("Live packet capture of the Go SDK, the AWS CLI v2 and curl", .serialized,
       .enabled(if: Workloads.available && getuid() == 0, "needs moto_server, aws, python3 and root (Scripts/setup; CI runs as root)"))
struct ClientPcapTests {
    /// Runs `command` under `run --mode pcap` against a new moto, with a session journal.
    private func capture(_ command: (Moto) throws -> [String]) throws -> (result: Binary.Result, session: String) {
        let moto = try Moto()
        let session = FileManager.default.temporaryDirectory.appendingPathComponent("clients-\(UUID()).session.jsonl").path
        let result = try Binary.run(["run", "--mode", "pcap", "--interface", "lo", "--filter", "tcp port \(moto.port)",
                                     "--session", session, "--"] + command(moto),
                                    environment: ClientWorkloads.environment(endpoint: moto.endpoint))
        return (result, session)
    }

    /// The session journal's text, removed once read.
    private func journal(_ path: String) -> String {
        defer { try? FileManager.default.removeItem(atPath: path) }
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    @Test("The AWS SDK for Go v2 (Debian's, no CSM, SQS in the query protocol): the exact actions, every request told",
          .enabled(if: ClientWorkloads.goAvailable, "needs golang-go and golang-github-aws-aws-sdk-go-v2-dev (Scripts/setup)"))
    func goSDK() throws {
        let (result, session) = try capture { moto in try ClientWorkloads.goCommand(endpoint: moto.endpoint) }
        let calls = journal(session)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Workloads.actions(inPolicy: result.stdout) == ClientWorkloads.goActions)
        #expect(!result.stderr.contains("could not be told"), "\(result.stderr)")
        #expect(result.stderr.contains("sts:GetCallerIdentity needs no permission"), "\(result.stderr)")
        // The parameters that name the resources were kept, from the query forms too.
        for name in [#""QueueName":"go-queue""#, #""TableName":"go-table""#, #""Bucket":"go-bucket""#, "go-queue"] {
            #expect(calls.contains(name), "\(name) in \(calls)")
        }
        #expect(calls.contains(#""operation":"SendMessage""#) && calls.contains(#""operation":"CreateQueue""#))
        #expect(!ClientWorkloads.leaksSecret(result.stdout + result.stderr + calls))
    }

    @Test("The AWS CLI v2 (Debian's awscli: SQS and CloudWatch in the query protocol): the exact actions",
          .enabled(if: ClientWorkloads.cliV2Available, "needs Debian's awscli at /usr/bin/aws (Scripts/setup)"))
    func cliV2() throws {
        let (result, session) = try capture { moto in
            ["/bin/sh", "-c", ClientWorkloads.cliV2Script(endpoint: moto.endpoint)]
        }
        let calls = journal(session)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Workloads.actions(inPolicy: result.stdout) == ClientWorkloads.cliV2Actions)
        #expect(!result.stderr.contains("could not be told"), "\(result.stderr)")
        #expect(calls.contains(#""QueueName":"cli2-queue""#) && calls.contains(#""Bucket":"cli2-bucket""#), "\(calls)")
        #expect(!ClientWorkloads.leaksSecret(result.stdout + result.stderr + calls))
    }

    @Test("curl --aws-sigv4 (REST, a query form, JSON): the exact actions",
          .enabled(if: ClientWorkloads.curlAvailable, "needs curl 7.75 or later"))
    func curl() throws {
        let (result, session) = try capture { moto in ["/bin/sh", "-c", ClientWorkloads.curlScript(endpoint: moto.endpoint)] }
        let calls = journal(session)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Workloads.actions(inPolicy: result.stdout) == ClientWorkloads.curlActions)
        #expect(!result.stderr.contains("could not be told"), "\(result.stderr)")
        #expect(calls.contains(#""Bucket":"curl-bucket""#), "\(calls)")
        #expect(!ClientWorkloads.leaksSecret(result.stdout + result.stderr + calls))
    }
}
