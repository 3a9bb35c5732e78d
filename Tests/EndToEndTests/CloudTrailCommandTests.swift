import Foundation
import IAMScribeCore
import Testing

/// `generate`, `diff` and `cloudtrail query` on the fixture trail (Scripts/cloudtrail-corpus), as
/// a user runs them: the S3 delivery folder, standard input, filters, and the Athena path run
/// for real in DuckDB.
@Suite("CloudTrail through the binary: folders, stdin, filters, diff, the Athena query in DuckDB")
struct CloudTrailCommandTests {
    static let role = "arn:aws:iam::111122223333:role/service/app-role"
    var trail: String { Fixtures.path("cloudtrail") + "/AWSLogs" }

    func shell(_ script: String) throws -> Binary.Result {
        try Binary.run(["-c", script], executable: "/bin/bash")
    }

    static var duckDBAvailable: Bool {
        (try? Binary.run(["python3", "-c", "import duckdb"], executable: "/usr/bin/env").status) == 0
    }

    var root: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardizedFileURL.path
    }

    @Test("generate --principal on the delivery folder: the stored policy, and the coverage report on standard error")
    func folder() throws {
        let result = try Binary.run(["generate", "--principal", Self.role, trail])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == (try Fixtures.text("cloudtrail-app-role.policy.json")))
        #expect(result.stderr.contains("37 events in 4 files, from 2024-05-01T09:00:01Z to 2024-05-02T09:04:00Z; 29 calls taken (4 failed), 16 distinct calls"), "\(result.stderr)")
        #expect(result.stderr.contains("left out: 4 other principals' calls"))
        #expect(result.stderr.contains("left out: 1 console sign-ins"))
        #expect(result.stderr.contains("left out: 1 events AWS recorded on its own (AwsServiceEvent)"))
        #expect(result.stderr.contains("made by a service with the caller's credentials, so kept: s3.amazonaws.com → kms:Decrypt (2)"))
        #expect(!result.stderr.contains("warning"))
    }

    @Test("Standard input: gzip files piped in, concatenated, give the policy the files give")
    func standardInput() throws {
        let direct = try Binary.run(["generate", "--principal", Self.role, trail])
        let piped = try shell("find '\(trail)' -name '*.json.gz' -path '*/CloudTrail/*' | sort | xargs cat | '\(Binary.path)' generate --principal '\(Self.role)' -")
        #expect(piped.status == 0, "\(piped.stderr)")
        // The gzip files hold the first day, whose calls are those of the second.
        #expect(piped.stdout == direct.stdout)
        #expect(piped.stderr.contains("-: 24 events in 1 file"), "\(piped.stderr)")
        // Process substitution and a FIFO are streams too, told by content.
        let substituted = try shell("'\(Binary.path)' generate --principal '\(Self.role)' <(find '\(trail)' -name '*.json.gz' -path '*/CloudTrail/*' | sort | xargs zcat)")
        #expect(substituted.status == 0, "\(substituted.stderr)")
        #expect(substituted.stdout == direct.stdout)
        #expect(substituted.stderr.contains("24 events in 1 file"), "\(substituted.stderr)")
    }

    @Test("--fails-only: which calls the role got denied")
    func failsOnly() throws {
        let result = try Binary.run(["generate", "--fails-only", "--principal", Self.role, trail])
        #expect(result.status == 0, "\(result.stderr)")
        let policy = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let statements = policy?["Statement"] as? [[String: Any]] ?? []
        let actions = Set(statements.flatMap { ($0["Action"] as? [String]) ?? [($0["Action"] as? String) ?? ""] })
        #expect(actions == ["s3:DeleteObject", "secretsmanager:GetSecretValue"])
    }

    @Test("Filters on the command line: --region, --event-source, --since/--until; bad values are usage errors")
    func filters() throws {
        let region = try Binary.run(["generate", "--principal", Self.role, "--region", "us-west-2", trail])
        #expect(region.status == 0)
        #expect(region.stdout.contains("ssm:GetParameter") && region.stdout.contains("iam:GetRole") && !region.stdout.contains("s3:GetObject"))
        let source = try Binary.run(["generate", "--event-source", "monitoring.amazonaws.com", trail])
        #expect(source.stdout.contains("cloudwatch:PutMetricData") && !source.stdout.contains("s3:"))
        let none = try Binary.run(["generate", "--since", "2024-05-03", trail])
        #expect(none.status == 0)
        #expect(none.stdout.contains("\"Statement\": []"))
        #expect(none.stderr.contains("left out: 33 calls outside --since/--until"), "\(none.stderr)")
        let bad = try Binary.run(["generate", "--principal", "arn:aws:s3:::bucket", trail])
        #expect(bad.status == 64 || bad.status == 2)
        #expect(bad.stderr.contains("is not a principal"))
        let badTime = try Binary.run(["diff", "--policy", "/dev/null", "--since", "later", trail])
        #expect(badTime.status == 2)
        #expect(badTime.stderr.contains("later is not a time"))
    }

    @Test("diff reads the trail as it reads any other source: missing kms:Decrypt made by S3 on the role's behalf")
    func diff() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ct-diff-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let generated = try Binary.run(["generate", "--principal", Self.role, trail])
        let full = folder + "/full.json"
        try generated.stdout.write(toFile: full, atomically: true, encoding: .utf8)
        let allowed = try Binary.run(["diff", "--policy", full, "--principal", Self.role, trail])
        #expect(allowed.status == 0, "\(allowed.stdout)\(allowed.stderr)")
        let lacking = folder + "/lacking.json"
        try generated.stdout.replacingOccurrences(of: "\"kms:Decrypt\",", with: "").write(toFile: lacking, atomically: true, encoding: .utf8)
        let missing = try Binary.run(["diff", "--policy", lacking, "--format", "json", "--principal", Self.role, trail])
        #expect(missing.status == 1, "\(missing.stdout)\(missing.stderr)")
        #expect(missing.stdout.contains("kms:Decrypt"))
    }

    @Test("A folder that is not the delivery layout is refused in words; a damaged file is an error naming it, the rest counts")
    func damage() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ct-damage-\(UUID())").path
        let day = folder + "/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01"
        try FileManager.default.createDirectory(atPath: day, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let source = try CloudTrailReader.files(inFolder: trail).filter { $0.contains("eu-west-1") && $0.hasSuffix(".gz") }
        #expect(source.count == 1)
        let good = try Data(contentsOf: URL(fileURLWithPath: source[0]))
        try good.write(to: URL(fileURLWithPath: day + "/good.json.gz"))
        try Data(good.prefix(good.count / 2)).write(to: URL(fileURLWithPath: day + "/cut.json.gz"))
        let result = try Binary.run(["generate", folder])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("cut.json.gz"), "\(result.stderr)")
        #expect(result.stdout.contains("s3:GetObject"))
        let strict = try Binary.run(["diff", "--policy", "/dev/null", folder])
        #expect(strict.status == 2)
        let notTrail = try Binary.run(["generate", FileManager.default.temporaryDirectory.path])
        #expect(notTrail.status == 2)
        #expect(notTrail.stderr.contains("it is a folder"))
    }

    @Test("cloudtrail query prints Trino SQL; run in DuckDB over the same logs, its CSV gives the calls the files give",
          .enabled(if: CloudTrailCommandTests.duckDBAvailable, "needs python3 with duckdb (Scripts/setup installs it)"))
    func athena() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ct-athena-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (arguments, filter) in [
            (["--principal", Self.role], CloudTrailFilter(principals: [try .init(Self.role)])),
            (["--principal", "arn:aws:iam::111122223333:user/alice", "--principal", "arn:aws:sts::111122223333:assumed-role/other-role/ci-run-42"],
             CloudTrailFilter(principals: [try .init("arn:aws:iam::111122223333:user/alice"), try .init("arn:aws:sts::111122223333:assumed-role/other-role/ci-run-42")])),
            (["--since", "2024-05-02", "--region", "eu-west-1"],
             CloudTrailFilter(since: try CloudTrailFilter.time("2024-05-02"), regions: ["eu-west-1"])),
            (["--event-source", "kms", "--event-source", "monitoring.amazonaws.com"], CloudTrailFilter(eventSources: ["kms", "monitoring"])),
            ([String](), CloudTrailFilter()),
        ] {
            let query = try Binary.run(["cloudtrail", "query", "--engine", "athena", "--table", "trail.cloudtrail_logs"] + arguments)
            #expect(query.status == 0, "\(query.stderr)")
            #expect(query.stdout.contains("FROM trail.cloudtrail_logs"))
            let sql = folder + "/query.sql", csv = folder + "/result.csv"
            try query.stdout.write(toFile: sql, atomically: true, encoding: .utf8)
            let run = try Binary.run([root + "/Scripts/cloudtrail-duckdb", trail, sql, csv], executable: "/usr/bin/env")
            #expect(run.status == 0, "\(run.stderr)")
            let fromQuery = try CloudTrailReader.read(paths: [csv])
            let fromFiles = try CloudTrailReader.read(paths: [trail], options: .init(filter: filter))
            #expect(fromQuery.diagnostics.isEmpty)
            #expect(!fromFiles.calls.isEmpty)
            #expect(fromQuery.calls == fromFiles.calls, "\(arguments)")
            #expect(fromQuery.statistics.calls == fromFiles.statistics.calls)
            let policyFromQuery = try Binary.run(["generate", csv])
            let policyFromFiles = try Binary.run(["generate"] + arguments.filter { !$0.isEmpty } + [trail])
            #expect(policyFromQuery.status == 0)
            #expect(policyFromQuery.stdout == policyFromFiles.stdout)
        }
        let ddl = try Binary.run(["cloudtrail", "query", "--engine", "athena", "--ddl", "s3://trail-bucket/AWSLogs/111122223333/CloudTrail/", "--region", "eu-west-1"])
        #expect(ddl.stdout.contains("'storage.location.template'='s3://trail-bucket/AWSLogs/111122223333/CloudTrail/${region}/${timestamp}'"))
        let bad = try Binary.run(["cloudtrail", "query", "--engine", "athena", "--table", "x; DROP TABLE y"])
        #expect(bad.status != 0)
    }

    func temporaryFolder(_ name: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test("record --from-trail adds a trail to a session recorded live from CSM: generate, a continued record and diff see the union")
    func recordFromTrail() throws {
        let folder = try temporaryFolder("ct-record")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let session = folder + "/session.jsonl"
        let csm = Fixtures.path("awscli-moto.csm.jsonl")
        // A live recording: the AWS CLI's stored CSM events sent as datagrams to a real listener.
        let port = Workloads.freePort()
        let recorder = try Recorder(["record", "--port", String(port), "--session", session])
        #expect(recorder.waitUntilListening())
        let sender = """
        import socket, sys, time
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for line in open(sys.argv[1], 'rb'):
            if line.strip():
                s.sendto(line.strip(), ('127.0.0.1', int(sys.argv[2])))
                time.sleep(0.002)
        """
        let sent = try Binary.run(["python3", "-c", sender, csm, String(port)], executable: "/usr/bin/env")
        #expect(sent.status == 0, "\(sent.stderr)")
        let apiCalls = try String(contentsOfFile: csm, encoding: .utf8).components(separatedBy: "\"Type\":\"ApiCall\"").count - 1
        #expect(Workloads.wait {
            ((try? String(contentsOfFile: session, encoding: .utf8))?.split(separator: "\n").count ?? 0) == apiCalls + 1
        })
        #expect(recorder.stop(SIGINT) == 0)
        let csmPolicy = try Binary.run(["generate", csm])
        #expect(try Binary.run(["generate", session]).stdout == csmPolicy.stdout)

        let added = try Binary.run(["record", "--session", session, "--from-trail", trail, "--principal", Self.role])
        #expect(added.status == 0, "\(added.stderr)")
        // The union: what generate gives for the CSM events and the trail together.
        let union = try Binary.run(["generate", "--principal", Self.role, csm, trail])
        #expect(union.status == 0)
        #expect(added.stdout == union.stdout)
        #expect(union.stdout.contains("s3:CreateBucket") && union.stdout.contains("kms:Decrypt"))
        #expect(union.stdout.contains("arn:aws:dynamodb:eu-west-1:111122223333:table/orders"))
        #expect(added.stderr.contains("37 events in 4 files"), "\(added.stderr)")
        #expect(added.stderr.contains("calls added (0 already there); the session holds"), "\(added.stderr)")
        let journal = try String(contentsOfFile: session, encoding: .utf8)
        #expect(journal.contains(#""source":"cloudtrail""#) && journal.contains(#""account":"111122223333""#))
        #expect(journal.contains(#""resourceARNs":["arn:aws:s3:::app-data-bucket","#))
        #expect(try Binary.run(["generate", session]).stdout == union.stdout)
        // The same trail again adds nothing.
        let again = try Binary.run(["record", "--session", session, "--from-trail", trail, "--principal", Self.role])
        #expect(again.status == 0)
        #expect(again.stderr.contains("0 calls added ("), "\(again.stderr)")
        #expect(again.stdout == union.stdout)
        #expect(try String(contentsOfFile: session, encoding: .utf8) == journal)

        // A recorder continuing the session starts from the union.
        let output = folder + "/live.json"
        let continued = try Recorder(["record", "--port", String(Workloads.freePort()), "--session", session, "--output-file", output])
        #expect(continued.waitUntilListening())
        #expect(Workloads.wait { continued.stderr.contains("continuing the session") })
        #expect(continued.stop(SIGINT) == 0)
        #expect((try? String(contentsOfFile: output, encoding: .utf8)) == union.stdout)

        // diff: the CSM recording's policy lacks what production did; the union's lacks nothing.
        let csmOnly = folder + "/csm.json", full = folder + "/union.json"
        try csmPolicy.stdout.write(toFile: csmOnly, atomically: true, encoding: .utf8)
        try union.stdout.write(toFile: full, atomically: true, encoding: .utf8)
        let lacking = try Binary.run(["diff", "--policy", csmOnly, "--format", "json", session])
        #expect(lacking.status == 1, "\(lacking.stdout)\(lacking.stderr)")
        #expect(lacking.stdout.contains("arn:aws:s3:::app-data-bucket/reports/2024/05/01.csv"))
        let report = try JSONSerialization.jsonObject(with: Data(lacking.stdout.utf8)) as? [String: Any]
        let missing = Set((report?["missing"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String })
        // What the trail showed is missing; what the CSM recording showed is not.
        #expect(missing.isSuperset(of: ["kms:Decrypt", "dynamodb:DescribeTable", "lambda:InvokeFunction", "s3:GetBucketPublicAccessBlock"]), "\(missing)")
        #expect(!missing.contains("s3:CreateBucket") && !missing.isEmpty)
        let allowed = try Binary.run(["diff", "--policy", full, session])
        #expect(allowed.status == 0, "\(allowed.stdout)\(allowed.stderr)")
    }

    @Test("record --from-trail: a trail of nothing but errors exits 2 and adds nothing, the good trail beside it still counts; usage errors")
    func recordFromTrailErrors() throws {
        let folder = try temporaryFolder("ct-record-errors")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let session = folder + "/session.jsonl"
        let broken = folder + "/broken.json"
        try Data(#"{"Records":[{"eventVersion":"1.09","eventSource":"s3.amazonaws.com","eventName":"GetObject",]]"#.utf8)
            .write(to: URL(fileURLWithPath: broken))
        let only = try Binary.run(["record", "--session", session, "--from-trail", broken])
        #expect(only.status == 2, "\(only.stderr)")
        #expect(only.stderr.contains("broken.json: nothing could be read from it as CloudTrail events"), "\(only.stderr)")
        #expect(only.stdout.contains("\"Statement\": []"))
        let csm = try Binary.run(["record", "--session", session, "--from-trail", Fixtures.path("awscli-moto.csm.jsonl")])
        #expect(csm.status == 2)
        #expect(csm.stderr.contains("is not CloudTrail input (it reads as CSM events)"), "\(csm.stderr)")
        #expect(try Binary.run(["generate", session]).stdout.contains("\"Statement\": []"))
        let mixed = try Binary.run(["record", "--session", session, "--from-trail", broken, "--from-trail", trail, "--principal", Self.role])
        #expect(mixed.status == 2)
        #expect(mixed.stdout == (try Binary.run(["generate", "--principal", Self.role, trail])).stdout)
        #expect(try Binary.run(["generate", session]).stdout == mixed.stdout)
        let unwritable = try Binary.run(["record", "--session", folder + "/no-such-folder/s.jsonl", "--from-trail", trail])
        #expect(unwritable.status == 1)
        #expect(unwritable.stderr.contains("cannot open the session journal"), "\(unwritable.stderr)")
        for (arguments, message) in [
            (["record", "--from-trail", trail], "name the journal with --session"),
            (["record", "--principal", Self.role], "they apply with --from-trail"),
            (["record", "--session", session, "--from-trail", trail, "--mode", "proxy"], "--mode do not apply"),
            (["record", "--session", session, "--from-trail", trail, "--port", "4000", "--background"], "--port, --background do not apply"),
            (["record", "--session", session, "--from-trail", trail, "--since", "later"], "later is not a time"),
        ] {
            let result = try Binary.run(arguments)
            #expect(result.status == 64, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    @Test("The Athena query keeps only the parameters resources are named by: 40 events differing elsewhere are 6 rows, not 40",
          .enabled(if: CloudTrailCommandTests.duckDBAvailable, "needs python3 with duckdb (Scripts/setup installs it)"))
    func athenaReduction() throws {
        let folder = try temporaryFolder("ct-athena-reduced")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let varied = Fixtures.path("cloudtrail-varied") + "/AWSLogs"
        let query = try Binary.run(["cloudtrail", "query", "--engine", "athena", "--table", "trail.cloudtrail_logs"])
        #expect(query.status == 0)
        // The query as it was, grouping by the whole requestparameters text: the baseline.
        let reduced = query.stdout
        guard let start = reduced.range(of: "coalesce(json_format(CAST(transform_values("),
              let end = reduced.range(of: "requestparameters, '') AS requestparameters", range: start.upperBound..<reduced.endIndex) else {
            Issue.record("no reduced requestparameters in the query:\n\(reduced)")
            return
        }
        let whole = reduced.replacingCharacters(in: start.lowerBound..<end.upperBound, with: "coalesce(requestparameters, '') AS requestparameters")
        var rows: [Int] = []
        var policies: [String] = []
        for (name, sql) in [("reduced", reduced), ("whole", whole)] {
            let sqlFile = folder + "/\(name).sql", csv = folder + "/\(name).csv"
            try sql.write(toFile: sqlFile, atomically: true, encoding: .utf8)
            let run = try Binary.run([root + "/Scripts/cloudtrail-duckdb", varied, sqlFile, csv], executable: "/usr/bin/env")
            #expect(run.status == 0, "\(run.stderr)")
            let written = run.stderr.components(separatedBy: "cloudtrail-duckdb: ").last { $0.contains("rows written") } ?? ""
            rows.append(Int(written.split(separator: " ").first ?? "") ?? -1)
            let policy = try Binary.run(["generate", csv])
            #expect(policy.status == 0, "\(policy.stderr)")
            policies.append(policy.stdout)
            if name == "reduced" {
                let fromQuery = try CloudTrailReader.read(paths: [csv])
                let fromFiles = try CloudTrailReader.read(paths: [varied])
                #expect(fromQuery.calls == fromFiles.calls)
                #expect(fromQuery.statistics.records == 40)
            }
        }
        #expect(rows == [6, 40])
        let fromFiles = try Binary.run(["generate", varied])
        #expect(policies == [fromFiles.stdout, fromFiles.stdout])
        #expect(fromFiles.stdout.contains("arn:aws:s3:::app-data-bucket/exports/weekly.parquet"))
        #expect(fromFiles.stderr.contains("40 events in 1 file"), "\(fromFiles.stderr)")
        #expect(fromFiles.stderr.contains("6 distinct calls"), "\(fromFiles.stderr)")
    }

    @Test("A large trail on standard input is streamed: peak memory does not grow with its size")
    func boundedMemory() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ct-big-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var peaks: [Int] = []
        for megabytes in [8, 64] {
            let made = try Binary.run([root + "/Scripts/cloudtrail-corpus", "bulk", folder + "/\(megabytes)", "\(megabytes)", "4"], executable: "/usr/bin/env")
            #expect(made.status == 0, "\(made.stderr)")
            // The child's own peak, measured by a parent that has no other child.
            let measure = """
            import resource, subprocess, sys, glob
            files = sorted(glob.glob(sys.argv[2] + '/**/*.json.gz', recursive=True))
            cat = subprocess.Popen(['cat'] + files, stdout=subprocess.PIPE)
            run = subprocess.run([sys.argv[1], 'generate', '-'], stdin=cat.stdout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            cat.wait()
            sys.stderr.write(run.stderr.decode())
            print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
            sys.exit(run.returncode)
            """
            let result = try Binary.run(["python3", "-c", measure, Binary.path, folder + "/\(megabytes)"], executable: "/usr/bin/env")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("events in 1 file"), "\(result.stderr)")
            peaks.append(Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0)
        }
        // 8 times the input; the peak (in KB) grows by less than 16 MB.
        #expect(peaks[0] > 0)
        #expect(peaks[1] - peaks[0] < 16_384, "peak memory \(peaks) KB for 8 and 64 MB of JSON")
    }
}
