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

    @Option(help: ArgumentHelp("The 12-digit account the calls are made in (default: the one each access key id encodes, else * in ARNs).", valueName: "id"))
    var accountId: String?

    @Option(help: ArgumentHelp("More than this many resources of one type for one action collapse to their narrowest common patterns (default \(ResourceOptions.defaultCutoff)).", valueName: "n"))
    var resourceCutoff: Int = ResourceOptions.defaultCutoff

    @Flag(help: "Keep every statement on Resource \"*\" (iamlive's flag).")
    var forceWildcardResource = false

    @Flag(help: "For calls whose parameters are unknown (CSM), write the ARN templates with visible placeholders (${BucketName}) to fill in, rather than \"*\".")
    var resourcePlaceholders = false

    @Option(help: "The policy's format: json (default), terraform (a data \"aws_iam_policy_document\" block) or cloudformation (a YAML template with an AWS::IAM::ManagedPolicy).")
    var format: PolicyOutput.Format = .json

    @Flag(help: "Replace action lists with wildcards that match only the actions granted, merge statements, and split a policy still over 6,144 characters into several.")
    var minimize = false

    var builderOptions: PolicyBuilder.Options {
        .init(failsOnly: failsOnly, order: sortAlphabetical ? .alphabetical : order,
              resources: ResourceOptions(mode: forceWildcardResource ? .wildcard : .resolved, account: accountId,
                                         cutoff: resourceCutoff, placeholders: resourcePlaceholders))
    }

    var output: PolicyOutput {
        .init(format: format, minimize: minimize)
    }

    func validate() throws {
        if sortAlphabetical && order == .firstSeen {
            throw ValidationError("--sort-alphabetical and --order first-seen contradict each other; pick one.")
        }
        if let accountId, !AccessKeyID.isAccountID(accountId) {
            throw ValidationError("--account-id takes a 12-digit account id, not '\(accountId)'.")
        }
        if resourceCutoff < 1 {
            throw ValidationError("--resource-cutoff takes a number of resources of at least 1, not \(resourceCutoff).")
        }
        if forceWildcardResource && resourcePlaceholders {
            throw ValidationError("--force-wildcard-resource and --resource-placeholders contradict each other; pick one.")
        }
    }
}

extension PolicyBuilder.ActionOrder: ExpressibleByArgument {}
extension PolicyOutput.Format: ExpressibleByArgument {}
