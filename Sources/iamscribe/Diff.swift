import ArgumentParser
import Foundation
import IAMScribeCore

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare observed calls with existing policies: missing, unused and over-broad grants.",
        discussion: """
        iamscribe diff --policy role.json calls.jsonl
        iamscribe diff --policy managed.json --policy inline.json --format json session.jsonl
        INPUTs are what generate reads (CSM events, session journals). Missing: each call the \
        policies would deny, or allow only depending on something the capture does not tell, with \
        the statement to add. Unused: per statement, granted actions no call used. Over-broad: \
        wildcards, NotAction and * resources, each with the narrowest replacement. Exit status: 0 \
        nothing missing, 1 something missing, 2 on an error: usable as a CI gate.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @OptionGroup var policy: PolicyFileOptions

    @Option(help: "The report's format: text (default) or json.")
    var format: Format = .text

    @Argument(help: "Files of observed calls ('-' for standard input).")
    var inputs: [String] = []

    /// Usage checks run in `run()`: ArgumentParser calls `validate()` before it reports an unknown
    /// option, and an unknown option must exit 64, not 2.
    private func checkUsage() throws {
        try policy.checkUsage()
        if inputs.isEmpty { throw usageError("Give at least one input file of observed calls ('-' for standard input).") }
    }

    func run() throws {
        try checkUsage()
        let policies = try policy.load()
        var diff = PolicyDiff(policies: policies, account: policy.account)
        var failed = false
        for input in inputs {
            do {
                let result = try CallInput.read(path: input) { Output.note("iamscribe: \($0)") }
                for problem in result.problems { Output.note("\(input): \(problem)") }
                for call in result.calls { diff.add(call) }
            } catch {
                Output.error("\(error)")
                failed = true
            }
        }
        // A gate that could not read its input must not pass.
        if failed { throw ExitCode(2) }
        let report = diff.report()
        for warning in report.warnings { Output.note("warning: \(warning)") }
        switch format {
        case .text: Output.write(DiffRendering.text(report))
        case .json: Output.write(try DiffRendering.json(report))
        }
        if report.hasMissing { throw ExitCode(1) }
    }
}
