import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import IAMScribeCore

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare observed calls with existing policies: missing, unused and over-broad grants.",
        discussion: """
        iamscribe diff --policy role.json calls.jsonl
        iamscribe diff --policy managed.json --policy inline.json --format json session.jsonl
        INPUTs are what generate reads (CSM events, session journals, captures, CloudTrail). Missing: each call the \
        policies would deny, or allow only depending on something the capture does not tell, with \
        the statement to add. Unused: per statement, granted actions no call used. Over-broad: \
        wildcards, NotAction and * resources, each with the narrowest replacement. Exit status: 0 \
        nothing missing, 1 something missing, 2 on an error: usable as a CI gate. A damaged input \
        (a bad line, a corrupt capture) is an error unless --allow-damaged lets the part that \
        could be read count; an input that yields nothing but errors always is.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @OptionGroup var policy: PolicyFileOptions

    @OptionGroup(title: "CloudTrail input") var cloudTrail: CloudTrailOptions

    @Option(help: "The report's format: text (default) or json.")
    var format: Format = .text

    @Flag(help: "Let the readable part of a damaged input count: its errors become warnings and the verdict stands.")
    var allowDamaged = false

    @Argument(help: "Files of observed calls ('-' for standard input).")
    var inputs: [String] = []

    /// Usage checks run in `run()`: ArgumentParser calls `validate()` before it reports an unknown
    /// option, and an unknown option must exit 64, not 2.
    private func checkUsage() throws {
        try policy.checkUsage()
        if inputs.isEmpty { throw usageError("Give at least one input file of observed calls ('-' for standard input).") }
        do {
            _ = try cloudTrail.filter()
        } catch let error as ValidationError {
            throw usageError(error.message)
        }
    }

    func run() throws {
        try checkUsage()
        let policies = try policy.load()
        var diff = PolicyDiff(policies: policies, account: policy.account)
        var failed = false
        var damaged: [String] = []
        var accepted: [Diagnostic] = []
        for input in inputs {
            do {
                let trail = CloudTrailReader.Options(filter: try cloudTrail.filter())
                let result = try CallInput.read(path: input, cloudTrail: trail) { Output.note("iamscribe: \($0)") }
                if let statistics = result.cloudTrail { Output.cloudTrailReport(input, statistics, calls: result.calls.count) }
                let accepting = allowDamaged && !result.isUnreadable
                Output.diagnostics(result.diagnostics, atMost: accepting ? .warning : .error)
                if result.isDamaged {
                    if accepting {
                        // The report carries the first few, as the terminal shows them, and a count.
                        accepted += result.diagnostics.prefix(Output.diagnosticsShown).map { $0.withSeverity(min($0.severity, .warning)) }
                        if result.diagnostics.count > Output.diagnosticsShown {
                            accepted.append(.note("\(result.diagnostics.count - Output.diagnosticsShown) more not shown", at: .init(file: input)))
                        }
                    } else {
                        damaged.append(input)
                    }
                }
                for call in result.calls { diff.add(call) }
            } catch {
                Output.error("\(error)")
                failed = true
            }
        }
        // A gate that could not read its input, or all of it, must not pass.
        if failed { throw ExitCode(2) }
        if !damaged.isEmpty {
            let names = damaged.joined(separator: ", ")
            Output.error(allowDamaged
                ? "\(names) yielded nothing but errors: no verdict"
                : "\(names) could not be read whole, so calls may be missing from the verdict; --allow-damaged lets the part that was read count")
            throw ExitCode(2)
        }
        var report = diff.report()
        Output.diagnostics(report.warnings)
        report.warnings += accepted
        switch format {
        case .text: Output.write(DiffRendering.text(report))
        case .json: Output.write(try DiffRendering.json(report))
        }
        if report.hasMissing { throw ExitCode(1) }
    }
}
