import IAMScribeCore

/// The lines on standard error that say how large the written policy is against IAM's quotas.
enum SizeRendering {
    /// The lines for the documents written for a policy.
    ///
    /// - Parameters:
    ///   - documents: The documents written (several when `--minimize` split the policy).
    ///   - original: The policy before `--minimize`, or nil without it.
    ///   - files: The files they went to, when an output file took them.
    static func lines(_ documents: [PolicyDocument], original: PolicyDocument?, files: [String]?) -> [String] {
        let written = documents.filter { !$0.statements.isEmpty }
        guard !written.isEmpty else { return [] }
        var lines: [String] = []
        if let original {
            let after = written.map(\.quotaSize).reduce(0, +)
            var line = "iamscribe: --minimize: \(PolicyQuota.grouped(original.quotaSize)) characters before, \(PolicyQuota.grouped(after)) after"
            if written.count > 1 {
                line += "; still over a managed policy's \(PolicyQuota.grouped(PolicyQuota.managedPolicy.limit)), so split into \(written.count) documents"
                if let files, files.count > 1 {
                    line += " (" + files.joined(separator: ", ") + ")"
                } else if files == nil {
                    line += " (a JSON array, a Terraform block or a CloudFormation resource each)"
                }
            }
            lines.append(line)
        }
        for (index, document) in written.enumerated() {
            let name = written.count == 1 ? "the policy" : "document \(index + 1) of \(written.count)"
            let size = PolicyQuota.grouped(document.quotaSize)
            let over = document.exceededQuotas
            if over.isEmpty {
                lines.append("iamscribe: \(name) has \(size) characters (white space not counted): within every IAM policy quota")
                continue
            }
            let fits = PolicyQuota.all.filter { !over.contains($0) }
            var line = "iamscribe: warning: \(name) has \(size) characters (white space not counted): over the quota of "
                + over.map(\.description).joined(separator: ", ")
            if !fits.isEmpty { line += "; within " + fits.map(\.description).joined(separator: ", ") }
            if over.contains(.managedPolicy) && original == nil { line += "; --minimize can shorten and split it" }
            lines.append(line)
        }
        if written.count > 10 {
            lines.append("iamscribe: warning: \(written.count) managed policies: a role or user takes 10 by default (20 at most, on request)")
        }
        return lines
    }
}
