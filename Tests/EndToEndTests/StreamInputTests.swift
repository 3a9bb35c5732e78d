import Foundation
import Testing

/// FIFOs, `/dev/stdin` and process substitution as inputs (issue 10), through a shell.
@Suite("Streams as inputs: FIFOs, /dev/stdin, <(command)")
struct StreamInputTests {
    func shell(_ script: String) throws -> Binary.Result {
        try Binary.run(["-c", script], executable: "/bin/bash")
    }

    @Test("generate reads <(cat capture) and /dev/stdin as it reads the files")
    func generate() throws {
        let csm = Fixtures.path("awscli-moto.csm.jsonl")
        let pcap = Fixtures.path("aws-moto.pcap")
        for input in [csm, pcap] {
            let direct = try Binary.run(["generate", input])
            #expect(direct.status == 0)
            let substituted = try shell("'\(Binary.path)' generate <(cat '\(input)')")
            #expect(substituted.status == 0, "\(substituted.stderr)")
            #expect(substituted.stdout == direct.stdout)
            let piped = try shell("cat '\(input)' | '\(Binary.path)' generate /dev/stdin")
            #expect(piped.status == 0, "\(piped.stderr)")
            #expect(piped.stdout == direct.stdout)
            #expect(!piped.stderr.contains("cannot read") && !substituted.stderr.contains("cannot read"))
        }
    }

    @Test("diff takes the policy and the calls from <(command)")
    func diff() throws {
        let policy = #"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#
        let result = try shell("'\(Binary.path)' diff --policy <(echo '\(policy)') <(cat '\(Fixtures.path("awscli-moto.csm.jsonl"))')")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("MISSING") || result.stdout.contains("missing"), "\(result.stdout)")
    }

    @Test("A FIFO without a writer: generate says it waits, then reads what comes")
    func fifo() throws {
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-fifo-\(UUID())").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        let result = try shell("(sleep 0.5; cat '\(Fixtures.path("awscli-moto.csm.jsonl"))' > '\(fifo)') & '\(Binary.path)' generate '\(fifo)'; wait")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("iamscribe: waiting for a program to write to the FIFO \(fifo)"), "\(result.stderr)")
        #expect(result.stdout.contains("s3:PutObject"))
    }

    @Test("A folder or a missing file is an error in words (exit 2)")
    func unreadable() throws {
        let folder = try Binary.run(["generate", "/"])
        #expect(folder.status == 2)
        #expect(folder.stderr.contains("cannot read /: it is a folder"))
        let missing = try Binary.run(["diff", "--policy", "/nonexistent/role.json", Fixtures.path("awscli-moto.csm.jsonl")])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot read /nonexistent/role.json: no such file"))
    }
}
