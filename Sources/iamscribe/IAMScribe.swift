import ArgumentParser
import IAMScribeCore

@main
struct IAMScribe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iamscribe",
        abstract: "Watch what an AWS workload calls and write the least-privilege IAM policy it needs.",
        version: version,
        subcommands: [Record.self, Run.self, Generate.self, Diff.self, Evaluate.self, Lookup.self, Table.self, CloudTrail.self, CA.self]
    )
}

extension IAMScribe {
    /// `--version`: the release, and the action table's pinned inputs, so that a bug report
    /// names both.
    static let version = """
        0.1.0
        action table: \(ActionTable.bundledInputs.joined(separator: ", "))
        """
}
