/// How a call's parameters fill the ARN templates of one or all of an operation's actions: a
/// hand-written `resource` line of `Scripts/action-overrides.txt`, carried by the table.
public struct ResourceFill: Sendable, Hashable {
    /// How a member's value becomes the part of an ARN it fills.
    public enum Transform: String, Sendable, Hashable {
        /// The value as is (a whole ARN of the resource is the resource).
        case value
        /// The last name of an ARN (`arn:aws:lambda:…:layer:NAME` gives `NAME`); a name as is.
        case name
        /// The last part of a URL's path (an SQS queue URL), whose part before names the account.
        case urlLast = "url-last"
        /// The bucket of S3's `x-amz-copy-source` (`bucket/key?versionId=…`, percent-encoded).
        case copyBucket = "copy-bucket"
        /// The key of S3's `x-amz-copy-source`.
        case copyKey = "copy-key"
        /// A Secrets Manager secret: a name gets the ARN's random suffix, `-??????`.
        case secret
        /// An SSM parameter name without its leading slash.
        case stripSlash = "strip-slash"
        /// A KMS key id or key ARN; an alias stands for a key the call does not show (unknown).
        case kmsKey = "kms-key"
        /// A KMS alias, `alias/NAME`: `NAME`.
        case kmsAlias = "kms-alias"
        /// A Lambda function's name, ARN or partial ARN, qualified by the second member when given.
        case lambdaFunction = "lambda-function"
        /// An IAM name under the path in the second member, else under an unknown path.
        case iamName = "iam-name"
        /// Only whether the member is given counts (`@TYPE=MEMBER:given`).
        case given
    }

    /// One template variable and where its value comes from.
    public struct Variable: Sendable, Hashable {
        /// The template variable (`BucketName`), or `@TYPE` for "the action acts on resource type TYPE
        /// when the member is given".
        public let name: String
        /// The input member; nil when the value is never known from the call (`-`).
        public let member: String?
        /// How the value is reshaped.
        public let transform: Transform
        /// A second member the transform reads (a Lambda qualifier, an IAM path).
        public let secondMember: String?
    }

    /// The action filled (`prefix:Name`), or nil for every action of the operation.
    public let action: String?
    /// The variables filled.
    public let variables: [Variable]

    /// Parses a table field: `ACTION|VAR=MEMBER[:TRANSFORM[:MEMBER2]],…;…`. Unknown transforms
    /// (a newer table) leave the variable to the default lookup.
    static func parse(_ field: String) -> [ResourceFill] {
        field.split(separator: ";").compactMap { entry in
            let parts = entry.split(separator: "|", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            let variables = parts[1].split(separator: ",").compactMap { text -> Variable? in
                let pair = text.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { return nil }
                let pieces = pair[1].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                guard let transform = Transform(rawValue: pieces.count > 1 ? pieces[1] : "value") else { return nil }
                return Variable(name: String(pair[0]), member: pieces[0] == "-" ? nil : pieces[0], transform: transform,
                                secondMember: pieces.count > 2 && !pieces[2].isEmpty ? pieces[2] : nil)
            }
            return ResourceFill(action: parts[0] == "*" ? nil : String(parts[0]), variables: variables)
        }
    }
}
