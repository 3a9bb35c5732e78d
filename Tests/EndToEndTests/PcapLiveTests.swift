import Foundation
import Testing

/// `run --mode pcap` and `record --mode pcap`: live capture on loopback of real clients talking to moto.
@Suite("Live packet capture with real clients", .serialized,
       .enabled(if: Workloads.available && getuid() == 0, "needs moto_server, aws, python3 and root (Scripts/setup; CI runs as root)"))
struct PcapLiveTests {
    @Test("run --mode pcap: the boto3 workload's plain HTTP gives the exact policy")
    func runPcap() throws {
        let moto = try Moto()
        let result = try Binary.run(["run", "--mode", "pcap", "--interface", "lo", "--filter", "tcp port \(moto.port)",
                                     "--account-id", "123456789012", "--", "python3", Workloads.sampleWorkload],
                                    environment: Workloads.clientEnvironment(moto: moto))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Workloads.actions(inPolicy: result.stdout) == Workloads.sampleActions)
        // run takes the resource options too: the exact ARNs the workload named.
        let resources = try PcapCaptureTests.resourcesByAction(result.stdout)
        #expect(resources["s3:GetObject"] == ["arn:aws:s3:::iamscribe-demo/hello.txt"])
        #expect(resources["s3:ListBucket"] == ["arn:aws:s3:::iamscribe-demo"])
        #expect(resources["dynamodb:Query"] == ["arn:aws:dynamodb:us-east-1:123456789012:table/demo"])
        #expect(result.stderr.contains("capture on lo:"))
        #expect(!result.stdout.contains("example-secret") && !result.stderr.contains("example-token"))
    }

    @Test("record --mode pcap --output-file: the AWS CLI's calls, written on exit; --fails-only works on captures")
    func recordPcap() throws {
        let moto = try Moto()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("pcap-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let recorder = try Recorder(["record", "--mode", "pcap", "--interface", "lo", "--filter", "tcp port \(moto.port)",
                                     "--force-wildcard-resource", "--output-file", output])
        #expect(Workloads.wait { recorder.stderr.contains("capturing packets on lo") }, "\(recorder.stderr)")
        let cli = try Binary.run(["-c", Workloads.cliScript(moto: moto)], executable: "/bin/sh",
                                 environment: Workloads.clientEnvironment(moto: moto))
        #expect(cli.status == 0, "\(cli.stderr)")
        usleep(500_000)
        #expect(recorder.stop(SIGINT) == 0)
        // A capture sees every call, including STS GetCallerIdentity, which needs no permission.
        #expect(try Workloads.actions(inPolicy: try String(contentsOfFile: output, encoding: .utf8)) == Workloads.cliActions)
        // record takes the resource options too: iamlive's flag keeps one statement on "*".
        #expect(try PcapCaptureTests.statements(try String(contentsOfFile: output, encoding: .utf8)).map(\.resources) == [["*"]])

        let failing = try Binary.run(["run", "--mode", "pcap", "--interface", "lo", "--filter", "tcp port \(moto.port)",
                                      "--fails-only", "--", "python3", Workloads.sampleWorkload, "--fail"],
                                     environment: Workloads.clientEnvironment(moto: moto))
        #expect(try Workloads.actions(inPolicy: failing.stdout) == ["s3:GetObject"])
    }

    @Test("An unknown interface or a missing permission gives an error that says what to do")
    func errors() throws {
        let unknown = try Binary.run(["record", "--mode", "pcap", "--interface", "nosuch0"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no interface named 'nosuch0'; interfaces: "))
        #expect(unknown.stderr.contains("lo"))
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return }
        // The binary may sit in a folder the unprivileged user cannot enter: run a copy.
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-unprivileged-\(UUID())").path
        try FileManager.default.copyItem(atPath: Binary.path, toPath: copy)
        chmod(copy, 0o755)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let denied = try Binary.run(["--reuid=nobody", "--regid=nogroup", "--clear-groups", copy, "record", "--mode", "pcap", "--interface", "lo"],
                                    executable: "/usr/bin/setpriv")
        #expect(denied.status != 0)
        #expect(denied.stderr.contains("no permission to capture on lo"), "\(denied.stderr)")
        #expect(denied.stderr.contains("setcap cap_net_raw,cap_net_admin=eip"))
    }
}
