import ArgumentParser

@main
struct IAMScribe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iamscribe",
        abstract: "Watch what an AWS workload calls and write the least-privilege IAM policy it needs.",
        version: "0.1.0",
        subcommands: [Record.self, Run.self, Generate.self, Diff.self, Evaluate.self, Lookup.self, Table.self, CA.self]
    )
}
