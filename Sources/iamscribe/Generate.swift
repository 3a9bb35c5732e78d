import ArgumentParser
import Foundation
import IAMScribeCore

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build a policy from recorded calls: CSM event lines or session journals.",
        discussion: """
        Each INPUT is a file of CSM events (one JSON object a line, as SDKs send them) or an \
        iamscribe session journal; '-' reads standard input. Bad lines are reported on standard \
        error with their line numbers; the good ones still count.
        """
    )

    @OptionGroup var policy: PolicyOptions

    @Argument(help: "Files to read ('-' for standard input).")
    var inputs: [String]

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("Give at least one input file ('-' for standard input).") }
    }

    func run() throws {
        var builder = PolicyBuilder(options: policy.builderOptions)
        var failed = false
        for input in inputs {
            do {
                let result = try CallInput.read(path: input)
                for problem in result.problems { Output.note("\(input): \(problem)") }
                if !result.problems.isEmpty {
                    Output.note("\(input): \(result.problems.count) line\(result.problems.count == 1 ? "" : "s") skipped, \(result.calls.count) call\(result.calls.count == 1 ? "" : "s") read")
                }
                for call in result.calls { builder.add(call) }
            } catch {
                // One unreadable input does not lose what the others hold.
                Output.error("\(error)")
                failed = true
            }
        }
        Output.report(builder)
        let json = builder.document.json
        if let file = policy.outputFile {
            try AtomicFile.write(Data(json.utf8), to: file)
        } else {
            Output.write(json)
        }
        if failed { throw ExitCode(2) }
    }
}
