import ArgumentParser
import IAMScribeCore

/// The options of the commands that read existing policies (`diff`, `evaluate`).
struct PolicyFileOptions: ParsableArguments {
    @Option(name: .customLong("policy"), help: ArgumentHelp(
        "A policy file: a policy document, or what aws iam get-policy-version, get-role-policy or get-user-policy print. Repeat for several; their union is evaluated.",
        valueName: "file"))
    var files: [String] = []

    @Option(name: [.customLong("account"), .customLong("account-id")],
            help: ArgumentHelp("The 12-digit account the calls are made in; without it, the one each call's access key id encodes, else unknown.", valueName: "id"))
    var account: String?

    /// Checks the options; called from the command's `run()`, not from `validate()`, because
    /// ArgumentParser calls `validate()` before it looks for unknown options: a usage error (exit
    /// 2) there would hide an unknown option, which must exit 64 as for every command.
    func checkUsage() throws {
        if files.isEmpty {
            throw usageError("Give at least one policy with --policy FILE.")
        }
        if let account, account.count != 12 || !account.allSatisfy(\.isASCII) || !account.allSatisfy(\.isNumber) {
            throw usageError("--account takes a 12-digit account id, not '\(account)'.")
        }
    }

    /// Reads every policy; prints each problem and exits 2 when one cannot be read.
    func load() throws -> [IAMPolicy] {
        var policies: [IAMPolicy] = []
        var failed = false
        for file in files {
            do {
                policies.append(try IAMPolicy.load(path: file) { Output.note("iamscribe: \($0)") })
            } catch {
                Output.error("\(error)")
                failed = true
            }
        }
        if failed { throw ExitCode(2) }
        return policies
    }
}

/// Reports a usage error of `diff` or `evaluate` and exits 2, the status of every error of these
/// commands, so that a CI gate never reads a usage mistake as a verdict. Throw it from `run()`
/// (see ``PolicyFileOptions/checkUsage()``), so that an unknown option still exits 64.
func usageError(_ message: String) -> ExitCode {
    Output.error("\(message) See --help.")
    return ExitCode(2)
}
