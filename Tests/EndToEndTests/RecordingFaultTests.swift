import Foundation
import TestSupport
import Testing

/// `record` and `run` when things go wrong: unwritable files, full disks, restarts, signals,
/// commands that leave children behind. No AWS client is needed: datagrams are sent by hand.
@Suite("Live recording faults", .serialized)
struct RecordingFaultTests {
    static let sendMessage = Array(#"{"Version":1,"Type":"ApiCall","Service":"SQS","Api":"SendMessage"}"#.utf8)

    func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-\(UUID())-\(name)").path
    }

    @Test("run: 125 when --output-file cannot be written (a missing folder, a full disk), and the policy goes to standard output (issue 10, defect 9)")
    func runUnwritableOutput() throws {
        for output in ["/nonexistent-iamscribe/policy.json", "/dev/full"] {
            let result = try Binary.run(["run", "--output-file", output, "--", "sh", "-c", "exit 3"])
            #expect(result.status == 125, "\(output): \(result.stderr)")
            #expect(result.stdout.contains("\"Version\": \"2012-10-17\""), "\(output)")
            #expect(result.stderr.contains("cannot write \(output)"))
            #expect(result.stderr.contains("the command exited with status 3"))
        }
    }

    @Test("run: 125 when --session cannot be opened (the command is not run) or written; 126 and 127 when the command cannot start (issue 10, defect 9)")
    func runOwnFailures() throws {
        let marker = temporary("ran")
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let unopenable = try Binary.run(["run", "--session", "/nonexistent-iamscribe/s.jsonl", "--", "touch", marker])
        #expect(unopenable.status == 125, "\(unopenable.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker))
        let full = try Binary.run(["run", "--session", "/dev/full", "--", "true"])
        #expect(full.status == 125, "\(full.stderr)")
        #expect(full.stderr.contains("cannot write the session journal /dev/full"))
        #expect(try Binary.run(["run", "--", "/tmp"]).status == 126)
        #expect(try Binary.run(["run", "--", "no-such-command-iamscribe"]).status == 127)
        let succeeded = try Binary.run(["run", "--", "true"])
        #expect(succeeded.status == 0)
    }

    @Test("record exits non-zero when its last write of --output-file or --session fails (issue 10, defect 9)")
    func recordUnwritable() throws {
        for arguments in [["--output-file", "/dev/full"], ["--output-file", "/nonexistent-iamscribe/p.json"], ["--session", "/dev/full"]] {
            let port = Workloads.freePort()
            let recorder = try Recorder(["record", "--port", String(port)] + arguments)
            #expect(recorder.waitUntilListening(), "\(recorder.stderr)")
            Workloads.send(Self.sendMessage, port: port)
            usleep(200_000)
            #expect(recorder.stop() == 1, "\(arguments): \(recorder.stderr)")
            #expect(recorder.stderr.contains("cannot write"), "\(recorder.stderr)")
        }
    }

    @Test("generate exits 2 when --output-file cannot be written (issue 10, defect 9)")
    func generateUnwritable() throws {
        let result = try Binary.run(["generate", "--output-file", "/nonexistent-iamscribe/p.json", "-"],
                                    input: String(decoding: Self.sendMessage, as: UTF8.self) + "\n")
        #expect(result.status == 2)
        #expect(result.stderr.contains("cannot write /nonexistent-iamscribe/p.json"))
    }

    @Test("One path for --session and --output-file is refused (issue 10, defect 9)")
    func samePath() throws {
        let path = temporary("both.json")
        for command in [["record"], ["run"]] {
            let result = try Binary.run(command + ["--session", path, "--output-file", path] + (command == ["run"] ? ["--", "true"] : []))
            #expect(result.status == 64, "\(result.stderr)")
            #expect(result.stderr.contains("--session and --output-file name the same file"))
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("record --output-file writes the policy there only, not on standard output (issue 10, defect 10)")
    func recordOutputFileOnly() throws {
        let port = Workloads.freePort()
        let output = temporary("policy.json")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let recorder = try Recorder(["record", "--port", String(port), "--output-file", output])
        #expect(recorder.waitUntilListening())
        Workloads.send(Self.sendMessage, port: port)
        usleep(200_000)
        #expect(recorder.stop() == 0)
        #expect(recorder.stdout.isEmpty)
        #expect(try Workloads.actions(inPolicy: String(contentsOfFile: output, encoding: .utf8)) == ["sqs:SendMessage"])
    }

    @Test("run --drain: bounded, and SIGTERM ends the wait for late datagrams (issue 10, defect 10)")
    func drain() throws {
        for bad in ["inf", "nan", "-1", "61"] {
            let refused = try Binary.run(["run", "--drain=\(bad)", "--", "true"])
            #expect(refused.status == 64, "\(bad)")
            #expect(refused.stderr.contains("--drain takes a number of seconds from 0 to 60"))
        }
        let marker = temporary("sent")
        defer { try? FileManager.default.removeItem(atPath: marker) }
        // The command sends a datagram, so the drain waits for 60 quiet seconds.
        let event = #"{"Version":1,"Type":"ApiCall","Service":"SQS","Api":"SendMessage","ClientId":"'"$AWS_CSM_CLIENT_ID"'"}"#
        let script = "printf '%s' '\(event)' > /dev/udp/127.0.0.1/$AWS_CSM_PORT; touch \(marker)"
        let recorder = try Recorder(["run", "--drain", "60", "--", "bash", "-c", script])
        #expect(Workloads.wait { FileManager.default.fileExists(atPath: marker) })
        usleep(300_000)
        let start = Date()
        #expect(recorder.stop(SIGTERM) == 0, "\(recorder.stderr)")
        #expect(Date().timeIntervalSince(start) < 3)
        #expect(try Workloads.actions(inPolicy: recorder.stdout) == ["sqs:SendMessage"])
    }

    @Test("run: SIGTERM reaches the command's children too (issue 10, defect 10)")
    func grandchildren() throws {
        let pidFile = temporary("grandchild")
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        let recorder = try Recorder(["run", "--", "sh", "-c", "sleep 300 & echo $! > \(pidFile).tmp; mv \(pidFile).tmp \(pidFile); wait"])
        #expect(Workloads.wait { FileManager.default.fileExists(atPath: pidFile) })
        let sleeper = try #require(pid_t(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(recorder.stop(SIGTERM) == 128 + SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        var gone = false
        while !gone && Date() < deadline {
            // Gone, or a zombie left for init to reap.
            let stat = try? String(contentsOfFile: "/proc/\(sleeper)/stat", encoding: .utf8)
            gone = stat.map { $0.split(separator: ")").last?.dropFirst().first == "Z" } ?? true
            if !gone { usleep(20_000) }
        }
        if !gone { kill(sleeper, SIGKILL) }
        #expect(gone)
    }

    @Test("run on a terminal: the command's process group gets the terminal, so it can read it",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")
                       && FileManager.default.isExecutableFile(atPath: "/usr/bin/timeout"), "needs script(1) and timeout(1)"))
    func terminal() throws {
        // A command outside the terminal's foreground group would be stopped (SIGTTIN) by its read.
        let result = try Binary.run(["20", "/usr/bin/script", "-qfec", "\(Binary.path) run -- sh -c 'read line; echo got:$line; exit 5'", "/dev/null"],
                                    input: "hello\n", executable: "/usr/bin/timeout")
        #expect(result.status == 5, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("got:hello"))
    }

    @Test("A restart on a 100,000-line journal binds its port at once, and 200 events sent then are all recorded (issue 10, defect 8)")
    func restartOnLongJournal() throws {
        let session = temporary("session.jsonl")
        defer { try? FileManager.default.removeItem(atPath: session) }
        var journal = #"{"iamscribe":"session","version":1,"created":"2026-11-29T00:25:33.594Z"}"# + "\n"
        let line = #"{"source":"csm","time":"2026-11-29T00:25:33.594Z","service":"S3","operation":"GetObject","region":"us-east-1","httpStatus":200,"clientId":"app","accessKeyId":"AKIAIOSFODNN7EXAMPLE","endpoint":"s3.amazonaws.com"}"#
        for _ in 0..<100_000 { journal += line + "\n" }
        try journal.write(toFile: session, atomically: true, encoding: .utf8)
        let port = Workloads.freePort()
        let start = Date()
        let recorder = try Recorder(["record", "--port", String(port), "--session", session])
        #expect(Workloads.wait { Loopback.isBound(port) })
        let bound = Date().timeIntervalSince(start)
        for _ in 0..<200 { Workloads.send(Self.sendMessage, port: port) }
        #expect(recorder.waitUntilListening())
        usleep(300_000)
        #expect(recorder.stop() == 0)
        // A debug build on a loaded machine binds well within this; loading first took 10 s.
        #expect(bound < 3, "bound after \(bound) s")
        #expect(recorder.stderr.contains("continuing the session in \(session) (100000 calls)"))
        #expect(recorder.stderr.contains("200 events, 100200 calls"), "\(recorder.stderr)")
        #expect(try Workloads.actions(inPolicy: recorder.stdout) == ["s3:GetObject", "sqs:SendMessage"])
        let lines = try String(contentsOfFile: session, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1 + 100_000 + 200)
    }
}
