/// Which resources a built policy names.
public struct ResourceOptions: Sendable, Hashable {
    /// Whether statements name resources at all.
    public enum Mode: String, Sendable, Hashable {
        /// Each action on the resources its calls' parameters name (the default).
        case resolved
        /// Every action on `"*"` (`--force-wildcard-resource`, as iamlive's flag).
        case wildcard
    }

    /// The resource cutoff when none is given: more than this many resources of one type for one
    /// action collapse to their narrowest common patterns. Ten keeps the usual workload (a few
    /// buckets, tables, queues) exact, and keeps a policy whose calls touch thousands of objects
    /// within the 6,144 characters of a managed policy.
    public static let defaultCutoff = 10

    /// Whether statements name resources.
    public var mode: Mode
    /// The 12-digit account the calls were made in (`--account-id`); nil: the one each call's
    /// access key id encodes (``AccessKeyID/accountID``), else `*`.
    public var account: String?
    /// More than this many resources of one type for one action collapse (see ``defaultCutoff``).
    public var cutoff: Int
    /// Calls whose parameters are unknown (CSM) put their actions on the ARN templates with visible
    /// placeholders (`arn:aws:s3:::${BucketName}/${ObjectName}`) rather than on `"*"`.
    public var placeholders: Bool

    /// Creates options.
    public init(mode: Mode = .resolved, account: String? = nil, cutoff: Int = ResourceOptions.defaultCutoff, placeholders: Bool = false) {
        self.mode = mode
        self.account = account
        self.cutoff = cutoff
        self.placeholders = placeholders
    }
}
