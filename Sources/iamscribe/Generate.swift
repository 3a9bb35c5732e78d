import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import IAMScribeCore

/// Holds calls that are never freed: see ``Generate/run()``.
private final class CallsKeptToExit {
    let calls: [ObservedCall]

    init(_ calls: [ObservedCall]) {
        self.calls = calls
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build a policy from recorded calls: CSM event lines, session journals, packet captures or CloudTrail.",
        discussion: """
        Each INPUT is a file of CSM events (one JSON object a line, as SDKs send them) or an \
        iamscribe session journal; '-' reads standard input. Bad lines are reported on standard \
        error with their line numbers; the good ones still count. A pcap or pcapng capture \
        (tcpdump -w) is decoded: plain HTTP requests to AWS, CSM datagrams to the CSM port(s), and \
        the endpoints of TLS connections, which are reported on standard error. CloudTrail input: \
        a log file (gzip or not), a folder in the S3 delivery layout (read recursively), a Lake or \
        event history export (JSON lines or an array), or the CSV result of `iamscribe cloudtrail \
        query`; --principal, --since, --until, --region and --event-source pick its events, and a \
        coverage report goes to standard error. Exit status: 0, \
        or 2 when an input cannot be read or yields nothing but errors (random bytes, say), or \
        --output-file cannot be written; the policy still holds what the other inputs gave.
        """
    )

    @OptionGroup var policy: PolicyOptions

    @OptionGroup(title: "CloudTrail input") var cloudTrail: CloudTrailOptions

    @Option(name: .customLong("csm-port"), help: "A UDP port CSM datagrams go to in captures (repeatable; default 31000).")
    var csmPorts: [UInt16] = []

    @Option(help: "Threads that decode a capture file or read CloudTrail files (default: one a processor, up to 4 for a capture).")
    var threads: Int?

    @Argument(help: "Files to read ('-' for standard input).")
    var inputs: [String]

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("Give at least one input file ('-' for standard input).") }
        if csmPorts.contains(0) { throw ValidationError("--csm-port takes a UDP port from 1 to 65535.") }
        if let threads, !(1...64).contains(threads) { throw ValidationError("--threads takes a number from 1 to 64.") }
        _ = try cloudTrail.filter()
    }

    func run() throws {
        var builder = PolicyBuilder(options: policy.builderOptions)
        var failed = false
        for input in inputs {
            do {
                let capture = CaptureOptions(csmPorts: Set(csmPorts.isEmpty ? [31000] : csmPorts), threads: threads ?? 0)
                let trail = CloudTrailReader.Options(filter: try cloudTrail.filter(), threads: threads ?? 0)
                let result = try CallInput.read(path: input, capture: capture, cloudTrail: trail) { Output.note("iamscribe: \($0)") }
                // The readable part of a damaged input counts, so its errors are warnings here;
                // an input that gave nothing but errors is not a policy of nothing, it is a failure.
                Output.diagnostics(result.diagnostics, atMost: result.isUnreadable ? .error : .warning)
                if let capture = result.capture {
                    Output.captureReport(input, capture, calls: result.calls.count)
                } else if let trail = result.cloudTrail {
                    Output.cloudTrailReport(input, trail, calls: result.calls.count)
                } else if case let skipped = result.diagnostics.filter({ $0.severity == .error }).count, skipped > 0 {
                    Output.note("\(input): \(plural(skipped, "line")) skipped, \(plural(result.calls.count, "call")) read")
                }
                if result.isUnreadable {
                    Output.error("\(input): nothing could be read from it as CSM events, a session journal, a capture or CloudTrail events")
                    failed = true
                }
                builder.add(contentsOf: result.calls)
                // The calls are left to the process's exit: freeing them one by one costs more
                // than building the policy from them.
                _ = Unmanaged.passRetained(CallsKeptToExit(result.calls))
            } catch {
                // One unreadable input does not lose what the others hold.
                Output.error("\(error)")
                failed = true
            }
        }
        Output.report(builder)
        // An unwritable output file: exit 2 (like an unreadable input).
        try Output.writePolicy(builder, options: policy, unwritableExit: 2)
        if failed { throw ExitCode(2) }
    }
}
