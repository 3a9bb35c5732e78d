import Foundation
import IAMScribeCore

/// Printing helpers: the core never prints, the CLI does.
enum Output {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("iamscribe: \(message)\n".utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Prints what the builder saw besides the policy: calls that need no permission, calls the
    /// table cannot map, unknown names, and conditional actions left out.
    static func report(_ builder: PolicyBuilder) {
        let report = builder.report
        for (name, count) in report.permissionless.sorted(by: { $0.key < $1.key }) {
            note("not in the policy: \(name) needs no permission (\(count) call\(count == 1 ? "" : "s"))")
        }
        for (name, count) in report.unmapped.sorted(by: { $0.key < $1.key }) {
            note("warning: \(name) maps to no IAM action in the table (\(count) call\(count == 1 ? "" : "s")); add an override")
        }
        for (name, reason) in report.unknown.sorted(by: { $0.key < $1.key }) {
            note("warning: \(name): \(reason)")
        }
        let mayAlsoNeed = builder.mayAlsoNeed
        if !mayAlsoNeed.isEmpty {
            note("may also need, depending on parameters the calls did not show (not granted; see `iamscribe lookup`):")
            for entry in mayAlsoNeed {
                note("  \(entry.action)  (for \(entry.neededBy.joined(separator: ", ")))")
            }
        }
        let size = builder.document.quotaSize
        if size > 6144 {
            note("warning: the policy has \(size) characters without white space; a managed policy holds 6,144")
        }
    }
}
