#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An identity-based IAM policy: the statements of one document, read from one file.
///
/// Read one with ``parse(_:source:)`` or ``load(path:)``; they accept a plain policy document and
/// the output of `aws iam get-policy-version`, `get-role-policy`, `get-user-policy` and
/// `get-group-policy`, whose document may be URL-encoded. The statements of several policies
/// together are what a principal is granted: pass them all to ``PolicyEvaluator``.
public struct IAMPolicy: Sendable, Hashable {
    /// Where the policy was read from.
    public let source: String
    /// The policy language version (`2012-10-17` or `2008-10-17`), when the document names one.
    public let version: String?
    /// The statements, in document order.
    public let statements: [PolicyStatement]

    init(source: String, version: String?, statements: [PolicyStatement]) {
        self.source = source
        self.version = version
        self.statements = statements
    }

    /// Reads a policy file.
    ///
    /// - Parameters:
    ///   - path: The file; `-` reads standard input. A FIFO or `<(command)` is read as a stream.
    ///   - waiting: Told when the reading waits for a program to open a FIFO for writing.
    /// - Returns: The policy.
    /// - Throws: ``IAMScribeError`` with code `.unreadableInput` when the file cannot be read, and
    ///   `.invalidPolicy`, naming the statement and the field, when it is not valid IAM.
    public static func load(path: String, waiting: ((String) -> Void)? = nil) throws -> IAMPolicy {
        let data = path == "-" ? Data(try InputFile.readStandardInput())
            : Data(try InputFile.read(path: path, waiting: waiting))
        return try parse(data, source: path)
    }

    /// Actions the policy names, without wildcards, that the table does not know: a typo there
    /// grants nothing.
    ///
    /// - Parameter table: The table whose IAM data knows the actions.
    /// - Returns: One warning per unknown action; its message names the statement and its file
    ///   (`statement 1 "T" of p.json: Action 's3:GetObjekt' is not an IAM action the table knows`).
    public func unknownActionWarnings(table: ActionTable = .bundled) -> [Diagnostic] {
        var warnings: [Diagnostic] = []
        for statement in statements {
            for action in statement.actions where !action.contains("*") && !action.contains("?") {
                if table.canonicalAction(action) == nil {
                    warnings.append(.warning("\(statement.reference): \(statement.actionElement) '\(action)' is not an IAM action the table knows"))
                }
            }
        }
        return warnings
    }
}
