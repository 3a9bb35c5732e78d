#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How a finished policy is written: its format, whether it is minimized (and so split when too
/// large), and where each document goes.
///
/// One document is written as itself. Several (``minimize`` split a policy over the managed-policy
/// quota) go to standard output as one text: a JSON array of the documents, one Terraform file
/// with a block each, one CloudFormation template with a resource each; to an output file as
/// numbered JSON files (``files(of:path:)``), or as the one Terraform or CloudFormation file.
public struct PolicyOutput: Sendable {
    /// The formats a policy is written in.
    public enum Format: String, Sendable, CaseIterable {
        /// IAM's JSON, Action and Resource a string when single.
        case json
        /// A Terraform `data "aws_iam_policy_document"` block.
        case terraform
        /// A CloudFormation template with an `AWS::IAM::ManagedPolicy` resource.
        case cloudformation
    }

    /// The format.
    public var format: Format
    /// Whether to minimize the policy (``PolicyMinimizer``) and split it when it is still over
    /// the managed-policy quota.
    public var minimize: Bool
    /// The table whose IAM data the minimizer checks wildcards against.
    public var table: ActionTable

    /// Creates an output.
    public init(format: Format = .json, minimize: Bool = false, table: ActionTable = .bundled) {
        self.format = format
        self.minimize = minimize
        self.table = table
    }

    /// The documents to write for a policy: the policy itself, or minimized and split.
    public func documents(for document: PolicyDocument) -> [PolicyDocument] {
        guard minimize else { return [document] }
        let minimizer = PolicyMinimizer(table: table)
        return minimizer.split(minimizer.minimize(document))
    }

    /// The documents as one text, for standard output or the one output file of a format that
    /// holds several.
    public func text(of documents: [PolicyDocument]) -> String {
        switch format {
        case .json:
            guard documents.count != 1 else { return documents[0].json }
            // The documents, indented one level more, in an array.
            let items = documents.map { document in
                document.json.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                    .map { $0.isEmpty ? "" : "    " + $0 }.joined(separator: "\n")
            }
            return documents.isEmpty ? "[]\n" : "[\n" + items.joined(separator: ",\n") + "\n]\n"
        case .terraform:
            return documents.enumerated().map { index, document in
                document.terraform(name: index == 0 ? "iamscribe" : "iamscribe_\(index + 1)")
            }.joined(separator: "\n")
        case .cloudformation:
            return PolicyDocument.cloudFormation(documents)
        }
    }

    /// The files to write for `documents` given an output file: `path` with them all, except for
    /// several JSON documents, which go to `path` (the first) and `NAME-2.EXT`, `NAME-3.EXT`...
    /// beside it (a JSON policy file holds one policy, as `aws iam create-policy` takes it).
    ///
    /// - Returns: Each file's path and text, in order.
    public func files(of documents: [PolicyDocument], path: String) -> [(path: String, text: String)] {
        guard format == .json, documents.count > 1 else { return [(path, text(of: documents))] }
        return documents.enumerated().map { index, document in
            (index == 0 ? path : Self.numbered(path, index + 1), document.json)
        }
    }

    /// `policy.json` as `policy-2.json`; `policy` as `policy-2`; a dot in a folder's name or at
    /// the start of the file's name (`.policy`) is not an extension.
    public static func numbered(_ path: String, _ number: Int) -> String {
        let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        let name = path[slash...]
        if let dot = name.lastIndex(of: "."), dot > name.startIndex {
            return String(path[..<dot]) + "-\(number)" + String(path[dot...])
        }
        return path + "-\(number)"
    }
}
