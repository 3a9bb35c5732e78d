import ArgumentParser
import IAMScribeCore

/// The options every command that builds a policy takes.
struct PolicyOptions: ParsableArguments {
    @Flag(help: "Only failed calls (HTTP 4xx/5xx or an AWS exception) enter the policy.")
    var failsOnly = false

    @Option(help: "The order of the actions: alphabetical (default) or first-seen.")
    var order: PolicyBuilder.ActionOrder = .alphabetical

    @Flag(help: "Sort the actions alphabetically (the default; accepted for iamlive users).")
    var sortAlphabetical = false

    @Option(help: "Write the policy to this file (replaced atomically) instead of standard output.")
    var outputFile: String?

    var builderOptions: PolicyBuilder.Options {
        .init(failsOnly: failsOnly, order: sortAlphabetical ? .alphabetical : order)
    }

    func validate() throws {
        if sortAlphabetical && order == .firstSeen {
            throw ValidationError("--sort-alphabetical and --order first-seen contradict each other; pick one.")
        }
    }
}

extension PolicyBuilder.ActionOrder: ExpressibleByArgument {}
