import Foundation
import Testing

/// `run` and `record` with the real AWS CLI v1 and boto3 against a local moto server.
@Suite("Live recording with real clients", .serialized, .enabled(if: Workloads.available, "needs moto_server, aws and python3 (Scripts/setup)"))
struct RecordingTests {
    func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-\(UUID())-\(name)").path
    }

    @Test("run: the boto3 workload gives the exact policy; secrets never reach the output")
    func runBoto3() throws {
        let moto = try Moto()
        let result = try Binary.run(["run", "--", "python3", Workloads.sampleWorkload],
                                    environment: Workloads.clientEnvironment(moto: moto))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Workloads.actions(inPolicy: result.stdout) == Workloads.sampleActions)
        #expect(result.stderr.contains("sts:GetCallerIdentity needs no permission"))
        for secret in ["example-secret-never-written", "example-token-never-written", "AKIAIOSFODNN7EXAMPLE"] {
            #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
        }
    }

    @Test("run: the AWS CLI v1 gives the exact policy, and the command's exit status comes back")
    func runCLI() throws {
        let moto = try Moto()
        let script = Workloads.cliScript(moto: moto) + "\nexit 7\n"
        let result = try Binary.run(["run", "--", "sh", "-c", script], environment: Workloads.clientEnvironment(moto: moto))
        #expect(result.status == 7, "\(result.stderr)")
        #expect(try Workloads.actions(inPolicy: result.stdout) == Workloads.cliActions)
        let missing = try Binary.run(["run", "--", "no-such-command-iamscribe"])
        #expect(missing.status == 127)
        #expect(missing.stderr.contains("cannot run no-such-command-iamscribe"))
    }

    @Test("run passes SIGTERM on to the command and exits with its status")
    func runForwardsSignals() throws {
        let marker = temporary("trapped")
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let script = "trap 'touch \(marker); exit 42' TERM; echo ready > \(marker).ready; while :; do sleep 0.05; done"
        let recorder = try Recorder(["run", "--", "sh", "-c", script])
        defer { try? FileManager.default.removeItem(atPath: marker + ".ready") }
        #expect(Workloads.wait { FileManager.default.fileExists(atPath: marker + ".ready") })
        #expect(recorder.stop(SIGTERM) == 42)
        #expect(FileManager.default.fileExists(atPath: marker))
    }

    @Test("run --fails-only keeps only the failed call")
    func failsOnly() throws {
        let moto = try Moto()
        let result = try Binary.run(["run", "--fails-only", "--", "python3", Workloads.sampleWorkload, "--fail"],
                                    environment: Workloads.clientEnvironment(moto: moto))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Workloads.actions(inPolicy: result.stdout) == ["s3:GetObject"])
    }

    @Test("record --output-file: written on change, on SIGHUP and on exit; malformed and oversized datagrams are counted")
    func recordWithOutputFile() throws {
        let moto = try Moto()
        let port = Workloads.freePort()
        let output = temporary("policy.json")
        defer { try? FileManager.default.removeItem(atPath: output) }
        // A refresh rate of an hour: the file is not rewritten on change, so SIGHUP must write it.
        let recorder = try Recorder(["record", "--port", String(port), "--output-file", output, "--refresh-rate", "3600"])
        #expect(recorder.waitUntilListening(), "\(recorder.stderr)")

        Workloads.send(Array("{not json".utf8), port: port)
        Workloads.send([UInt8](repeating: 0x7B, count: 10_000), port: port)
        Workloads.send(Array(#"{"Version":1,"Type":"ApiCall","Service":"S3"}"#.utf8), port: port)
        let cli = try Binary.run(["-c", Workloads.cliScript(moto: moto)], executable: "/bin/sh",
                                 environment: Workloads.clientEnvironment(moto: moto, csmPort: port))
        #expect(cli.status == 0, "\(cli.stderr)")
        Workloads.send(Array(#"{"Version":1,"Type":"ApiCall","Service":"S3","Api":"GetObject"}"#.utf8) + [0xFF, 0xFE], port: port)

        usleep(300_000)
        #expect(!FileManager.default.fileExists(atPath: output))
        recorder.signal(SIGHUP)
        #expect(Workloads.wait { FileManager.default.fileExists(atPath: output) })
        let afterHangUp = try String(contentsOfFile: output, encoding: .utf8)
        #expect(try Workloads.actions(inPolicy: afterHangUp) == Workloads.cliActions)

        #expect(recorder.stop() == 0)
        // With --output-file the policy goes there only (issue 10): written on exit.
        #expect(try Workloads.actions(inPolicy: try String(contentsOfFile: output, encoding: .utf8)) == Workloads.cliActions)
        #expect(recorder.stdout.isEmpty)
        #expect(recorder.stderr.contains("invalid-json 2"), "\(recorder.stderr)")
        #expect(recorder.stderr.contains("oversized 1"))
        #expect(recorder.stderr.contains("missing-field 1"))
    }

    @Test("record --session survives kill -9: a new run continues with nothing lost")
    func sessionAcrossKill() throws {
        let moto = try Moto()
        let port = Workloads.freePort()
        let session = temporary("session.jsonl")
        let output = temporary("policy.json")
        defer {
            try? FileManager.default.removeItem(atPath: session)
            try? FileManager.default.removeItem(atPath: output)
        }
        let first = try Recorder(["record", "--port", String(port), "--session", session])
        #expect(first.waitUntilListening())
        let cli = try Binary.run(["-c", Workloads.cliScript(moto: moto)], executable: "/bin/sh",
                                 environment: Workloads.clientEnvironment(moto: moto, csmPort: port))
        #expect(cli.status == 0)
        // The journal is flushed several times a second: after a second, all of it is on disk.
        usleep(1_200_000)
        first.stop(SIGKILL)

        var info = stat()
        #expect(stat(session, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let journal = try String(contentsOfFile: session, encoding: .utf8)
        #expect(journal.hasPrefix(#"{"iamscribe":"session","version":1"#))
        #expect(!journal.contains("example-secret-never-written") && !journal.contains("example-token-never-written"))

        let second = try Recorder(["record", "--port", String(port), "--session", session, "--output-file", output])
        #expect(second.waitUntilListening())
        #expect(second.stderr.contains("continuing the session"))
        let boto = try Binary.run(["python3", Workloads.sampleWorkload], executable: "/usr/bin/env",
                                  environment: Workloads.clientEnvironment(moto: moto, csmPort: port))
        #expect(boto.status == 0, "\(boto.stderr)")
        usleep(300_000)
        #expect(second.stop(SIGINT) == 0)
        let union = Set(Workloads.cliActions).union(Workloads.sampleActions).sorted { $0.lowercased() < $1.lowercased() }
        #expect(try Workloads.actions(inPolicy: try String(contentsOfFile: output, encoding: .utf8)) == union)

        let generated = try Binary.run(["generate", session])
        #expect(try Workloads.actions(inPolicy: generated.stdout) == union)
    }

    @Test("record --client-id takes only that client's events")
    func clientID() throws {
        let moto = try Moto()
        let port = Workloads.freePort()
        let recorder = try Recorder(["record", "--port", String(port), "--client-id", "mine"])
        #expect(recorder.waitUntilListening())
        let other = try Binary.run(["-c", "aws --endpoint-url \(moto.endpoint) sqs list-queues >/dev/null"], executable: "/bin/sh",
                                   environment: Workloads.clientEnvironment(moto: moto, csmPort: port, clientID: "other"))
        let mine = try Binary.run(["-c", "aws --endpoint-url \(moto.endpoint) sns list-topics >/dev/null"], executable: "/bin/sh",
                                  environment: Workloads.clientEnvironment(moto: moto, csmPort: port, clientID: "mine"))
        #expect(other.status == 0 && mine.status == 0)
        usleep(300_000)
        #expect(recorder.stop() == 0)
        #expect(try Workloads.actions(inPolicy: recorder.stdout) == ["sns:ListTopics"])
        #expect(recorder.stderr.contains("other-client-id 2"))
    }

    @Test("record --set-ini turns CSM on in the config file and restores it byte for byte")
    func setIni() throws {
        let moto = try Moto()
        let port = Workloads.freePort()
        let config = temporary("config")
        defer { try? FileManager.default.removeItem(atPath: config) }
        let original = "# my settings\n[default]\nregion = us-east-1\n\n[profile other]\nregion = eu-west-1\ns3 =\n    addressing_style = path\n"
        try original.write(toFile: config, atomically: true, encoding: .utf8)
        chmod(config, 0o640)
        var environment = Workloads.clientEnvironment(moto: moto)
        environment["AWS_CONFIG_FILE"] = config

        let recorder = try Recorder(["record", "--port", String(port), "--set-ini"], environment: environment)
        #expect(recorder.waitUntilListening())
        #expect(Workloads.wait { FileManager.default.fileExists(atPath: config + ".iamscribe-backup") })
        let edited = try String(contentsOfFile: config, encoding: .utf8)
        #expect(edited.contains("[default]\nregion = us-east-1\ncsm_enabled = true\ncsm_port = \(port)\n"), "\(edited)")
        // The client has no CSM variables: the config file alone turns CSM on.
        let cli = try Binary.run(["-c", "aws --endpoint-url \(moto.endpoint) dynamodb list-tables >/dev/null"],
                                 executable: "/bin/sh", environment: environment)
        #expect(cli.status == 0, "\(cli.stderr)")
        usleep(300_000)
        #expect(recorder.stop(SIGINT) == 0)
        #expect(try String(contentsOfFile: config, encoding: .utf8) == original)
        var info = stat()
        stat(config, &info)
        #expect(info.st_mode & 0o777 == 0o640)
        #expect(!FileManager.default.fileExists(atPath: config + ".iamscribe-backup"))
        #expect(try Workloads.actions(inPolicy: recorder.stdout) == ["dynamodb:ListTables"])

        // A file it cannot parse is refused and left alone.
        let broken = "region = us-east-1\n[default\n"
        try broken.write(toFile: config, atomically: true, encoding: .utf8)
        let refused = try Binary.run(["record", "--port", String(port), "--set-ini"], environment: environment)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("cannot parse \(config), line 1"))
        #expect(try String(contentsOfFile: config, encoding: .utf8) == broken)
    }

    @Test("record --background detaches, prints its pid and keeps writing the output file")
    func background() throws {
        let moto = try Moto()
        let port = Workloads.freePort()
        let output = temporary("policy.json")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let started = try Binary.run(["record", "--background", "--port", String(port), "--output-file", output])
        #expect(started.status == 0)
        let pid = try #require(Int32(started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(pid, SIGKILL) }
        usleep(500_000)
        let cli = try Binary.run(["-c", "aws --endpoint-url \(moto.endpoint) kms list-keys >/dev/null"], executable: "/bin/sh",
                                 environment: Workloads.clientEnvironment(moto: moto, csmPort: port))
        #expect(cli.status == 0)
        #expect(Workloads.wait { (try? String(contentsOfFile: output, encoding: .utf8))?.contains("kms:ListKeys") == true })
        kill(pid, SIGTERM)
        #expect(Workloads.wait { kill(pid, 0) != 0 })
    }

    @Test("On a terminal the policy is redrawn as it grows, with a status line",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) for a terminal"))
    func terminalRedraw() throws {
        let port = Workloads.freePort()
        let screen = temporary("screen")
        defer { try? FileManager.default.removeItem(atPath: screen) }
        // script(1) gives the recorder a pseudo-terminal and copies what it shows into `screen`.
        let terminal = try Recorder(["-qfec", "\(Binary.path) record --port \(port) --refresh-rate 0.05", screen],
                                    executable: "/usr/bin/script")
        let shown = { (try? String(contentsOfFile: screen, encoding: .utf8)) ?? "" }
        #expect(Workloads.wait { shown().contains("listening for CSM events") })
        Workloads.send(Array(#"{"Version":1,"Type":"ApiCall","Service":"SQS","Api":"SendMessage"}"#.utf8), port: port)
        #expect(Workloads.wait { shown().contains("\u{1B}[H\u{1B}[2J{") && shown().contains("\"Action\": \"sqs:SendMessage\"") })
        #expect(Workloads.wait { shown().contains("calls 1 · actions 1 · rejected datagrams 0") })
        Workloads.send(Array(#"{"Version":1,"Type":"ApiCall","Service":"SNS","Api":"Publish"}"#.utf8), port: port)
        #expect(Workloads.wait { shown().contains("\"sns:Publish\",") && shown().contains("calls 2 · actions 2") })
        _ = try Binary.run(["-f", "record --port \(port)"], executable: "/usr/bin/pkill")
        terminal.process.waitUntilExit()
    }

    @Test("record --verbose logs each rejected datagram by reason and size, never its content")
    func verbose() throws {
        let port = Workloads.freePort()
        let recorder = try Recorder(["record", "--port", String(port), "--verbose"])
        #expect(recorder.waitUntilListening())
        Workloads.send(Array(#"{"Version":1,"Type":"ApiCall","Service":"S3","SessionToken":"secret-token-xyz"}"#.utf8), port: port)
        Workloads.send(Array("not json".utf8), port: port)
        #expect(Workloads.wait { recorder.stderr.components(separatedBy: "rejected a CSM datagram").count == 3 }, "\(recorder.stderr)")
        #expect(recorder.stop() == 0)
        #expect(recorder.stderr.contains("missing field Api"))
        #expect(recorder.stderr.contains("invalid JSON"))
        #expect(!recorder.stderr.contains("secret-token-xyz"))
    }

    @Test("Listening on a non-loopback address needs --allow-remote")
    func allowRemote() throws {
        let refused = try Binary.run(["record", "--host", "0.0.0.0"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--allow-remote"))
        let recorder = try Recorder(["record", "--host", "0.0.0.0", "--port", String(Workloads.freePort()), "--allow-remote"])
        #expect(recorder.waitUntilListening())
        #expect(recorder.stderr.contains("warning: listening on 0.0.0.0"))
        #expect(recorder.stop() == 0)
    }
}
