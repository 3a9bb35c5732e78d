import Foundation
import Testing

/// Damaged inputs through the binary: `diff` is a CI gate and must not pass on what it could
/// only partly read; `generate` must not call random bytes an empty policy (issue 10, defect 5).
@Suite("Damaged inputs, through the binary")
struct DamagedInputTests {
    static let allowAll = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
    static let s3Only = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#

    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-damaged-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func write(_ bytes: some DataProtocol, _ name: String) throws -> String {
        let file = directory.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file.path
    }

    /// The CSM fixture with its third line corrupted.
    func csmWithCorruptLine() throws -> String {
        var lines = try String(contentsOfFile: Fixtures.path("awscli-moto.csm.jsonl"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[2] = String(lines[2].prefix(40)) + "\u{01}corrupt"
        return try write(Data(lines.joined(separator: "\n").utf8), "corrupt.csm.jsonl")
    }

    /// The capture fixture with the length field of record 200 corrupted.
    func captureWithCorruptLength() throws -> String {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("aws-moto.pcap"))))
        var offset = 24
        for _ in 0..<199 {
            offset += 16 + Int(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self) })
        }
        withUnsafeBytes(of: UInt32(0xFFFF_FFF0).littleEndian) { bytes.replaceSubrange((offset + 8)..<(offset + 12), with: $0) }
        return try write(bytes, "corrupt.pcap")
    }

    @Test("diff on a CSM file with one corrupt line exits 2; with --allow-damaged the usual verdict stands")
    func csmLine() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try csmWithCorruptLine()
        let allowAll = try write(Data(Self.allowAll.utf8), "all.json")
        let s3Only = try write(Data(Self.s3Only.utf8), "s3.json")

        // It exited 0, "0 requests missing", with only a note on standard error.
        let gate = try Binary.run(["diff", "--policy", allowAll, input])
        #expect(gate.status == 2, "\(gate.stdout)\(gate.stderr)")
        #expect(gate.stderr.contains("error: \(input): line 3: invalid JSON"), "\(gate.stderr)")
        #expect(gate.stderr.contains("--allow-damaged"))
        #expect(gate.stdout.isEmpty)

        let allowed = try Binary.run(["diff", "--allow-damaged", "--policy", allowAll, input])
        #expect(allowed.status == 0, "\(allowed.stdout)\(allowed.stderr)")
        #expect(allowed.stdout.contains("MISSING: none"))
        #expect(allowed.stderr.contains("warning: \(input): line 3: invalid JSON"), "\(allowed.stderr)")

        let missing = try Binary.run(["diff", "--allow-damaged", "--policy", s3Only, input])
        #expect(missing.status == 1, "\(missing.stdout)\(missing.stderr)")

        // The JSON report carries the accepted damage among its warnings.
        let json = try Binary.run(["diff", "--allow-damaged", "--format", "json", "--policy", allowAll, input])
        #expect(json.status == 0)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let warnings = try #require(report["warnings"] as? [[String: Any]])
        let first = try #require(warnings.first)
        #expect(first["severity"] as? String == "warning")
        #expect((first["location"] as? [String: Any])?["line"] as? Int == 3)
    }

    @Test("diff on a capture with a corrupt length field exits 2; with --allow-damaged the usual verdict stands")
    func captureLength() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try captureWithCorruptLength()
        let allowAll = try write(Data(Self.allowAll.utf8), "all.json")
        let s3Only = try write(Data(Self.s3Only.utf8), "s3.json")

        let gate = try Binary.run(["diff", "--policy", allowAll, input])
        #expect(gate.status == 2, "\(gate.stdout)\(gate.stderr)")
        #expect(gate.stderr.contains("error: \(input): record 200: the capture is damaged after 199 packets"), "\(gate.stderr)")

        let allowed = try Binary.run(["diff", "--allow-damaged", "--policy", allowAll, input])
        #expect(allowed.status == 0, "\(allowed.stdout)\(allowed.stderr)")
        #expect(allowed.stdout.contains("MISSING: none"))
        #expect(allowed.stderr.contains("warning: \(input): record 200: the capture is damaged"))

        let missing = try Binary.run(["diff", "--allow-damaged", "--policy", s3Only, input])
        #expect(missing.status == 1, "\(missing.stdout)\(missing.stderr)")
    }

    @Test("generate and diff on random bytes exit 2, --allow-damaged or not; the errors are capped")
    func randomBytes() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<65_536).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[0] = 0x00  // never a capture's magic number
        let input = try write(bytes, "random.bin")

        // It exited 0 with an empty policy.
        let generated = try Binary.run(["generate", input])
        #expect(generated.status == 2, "\(generated.stderr)")
        #expect(generated.stderr.contains("error: \(input): line 1: "), "\(generated.stderr)")
        #expect(generated.stderr.contains("nothing could be read"))
        #expect(generated.stderr.contains("more not shown"))
        #expect(generated.stderr.split(separator: "\n").count < 40)

        let allowAll = try write(Data(Self.allowAll.utf8), "all.json")
        let diffed = try Binary.run(["diff", "--allow-damaged", "--policy", allowAll, input])
        #expect(diffed.status == 2, "\(diffed.stderr)")
        #expect(diffed.stderr.contains("nothing but errors"))

        // A file with some good lines still gives its policy, its bad lines as warnings.
        let mixed = try csmWithCorruptLine()
        let partial = try Binary.run(["generate", mixed])
        #expect(partial.status == 0)
        #expect(partial.stderr.contains("warning: \(mixed): line 3: invalid JSON"))
    }
}
