/// Rewrites a policy document into fewer characters that grant exactly the same, and splits one
/// that is still too large into several documents.
///
/// What ``minimize(_:)`` does, each step leaving every (action, resource) pair the document
/// allows or denies as it was, for every action the IAM data knows:
/// 1. An action a statement also grants on `"*"` (another statement of the same effect, on
///    `"*"`) leaves the narrower statements.
/// 2. Statements of the same effect and the same resources become one, holding every action of
///    them; statements of the same effect and the same actions become one, holding every resource.
/// 3. Each statement's actions of one IAM prefix become wildcard patterns (``ActionWildcards``)
///    that match those actions and no other action of the prefix: none the IAM data lists, nor
///    any the document names elsewhere. Actions of prefixes the IAM data does not know, and
///    patterns already in the document, stay as they are.
///
/// A pattern can match an action AWS adds to the prefix later: `s3:Get*` would grant a future
/// `s3:GetSomethingNew`. That is the one way a minimized policy can grant more than the original,
/// and only once the IAM data changes.
public struct PolicyMinimizer: Sendable {
    /// The table whose IAM data is the action universe.
    public let table: ActionTable

    /// Creates a minimizer.
    ///
    /// - Parameter table: The table whose IAM data lists each prefix's actions.
    public init(table: ActionTable = .bundled) {
        self.table = table
    }

    /// The document with wildcards for its action lists and its statements merged where that
    /// changes nothing.
    ///
    /// - Parameter document: The document; statements keep the order of their first appearance.
    /// - Returns: A document granting exactly the same actions on the same resources.
    public func minimize(_ document: PolicyDocument) -> PolicyDocument {
        var statements = document.statements.map(Self.deduplicated)
        statements = Self.droppingCoveredByAnyResource(statements)
        statements = Self.merged(statements)
        // Literal actions the document names, by prefix: part of each prefix's universe (an
        // undocumented action granted in one statement must not enter another by a pattern).
        var named: [String: Set<String>] = [:]
        for statement in statements {
            for action in statement.actions where !Self.isPattern(action) {
                guard let (prefix, name) = Self.split(action) else { continue }
                named[prefix.lowercased(), default: []].insert(name)
            }
        }
        var universes: [String: [String]] = [:]
        for index in statements.indices {
            var kept: [String] = []
            var byPrefix: [String: (prefix: String, names: [String])] = [:]
            var prefixOrder: [String] = []
            for action in statements[index].actions {
                guard !Self.isPattern(action), let (prefix, name) = Self.split(action),
                      let service = table.iamService(prefix: prefix) else {
                    kept.append(action)
                    continue
                }
                let key = prefix.lowercased()
                if byPrefix[key] == nil {
                    prefixOrder.append(key)
                    byPrefix[key] = (service.prefix, [])
                }
                byPrefix[key]?.names.append(name)
            }
            for key in prefixOrder {
                guard let (prefix, names) = byPrefix[key] else { continue }
                let universe = universes[key] ?? {
                    let all = (table.iamService(prefix: key)?.actions.map(\.name) ?? []) + (named[key] ?? []).sorted()
                    universes[key] = all
                    return all
                }()
                let search = ActionWildcards(granted: names, universe: universe, prefixLength: prefix.utf8.count)
                kept += search.patterns().map { "\(prefix):\($0)" }
            }
            statements[index].actions = kept.sorted { ($0.lowercased(), $0) < ($1.lowercased(), $1) }
        }
        var result = document
        result.statements = statements
        return result
    }

    /// The document as several, each within `limit` (``PolicyDocument/quotaSize``), granting
    /// together what it grants; the document itself when it fits.
    ///
    /// Statements too large for one document are cut into several on the same resources (by
    /// actions, then by resources); then statements fill documents in order, each going into the
    /// first with room. A statement of one action on one resource too large for any document
    /// (a resource thousands of characters long) gets a document of its own, still over `limit`.
    ///
    /// - Parameters:
    ///   - document: The document.
    ///   - limit: The most characters each document may have.
    /// - Returns: One document or more.
    public func split(_ document: PolicyDocument, limit: Int = PolicyQuota.managedPolicy.limit) -> [PolicyDocument] {
        if document.quotaSize <= limit || document.statements.count == 0 { return [document] }
        let overhead = PolicyDocument(statements: []).quotaSize
        func size(_ statement: PolicyDocument.Statement) -> Int {
            PolicyDocument(statements: [statement]).quotaSize - overhead
        }
        let room = limit - overhead
        var pieces: [(statement: PolicyDocument.Statement, size: Int)] = []
        for statement in document.statements {
            for piece in Self.cut(statement, room: room, size: size) { pieces.append((piece, size(piece))) }
        }
        var bins: [(statements: [PolicyDocument.Statement], size: Int)] = []
        for piece in pieces {
            // One more statement adds its size and a comma.
            if let index = bins.firstIndex(where: { $0.size + 1 + piece.size <= room }) {
                bins[index].statements.append(piece.statement)
                bins[index].size += 1 + piece.size
            } else {
                bins.append(([piece.statement], piece.size))
            }
        }
        return bins.map { bin in
            var part = document
            part.statements = bin.statements
            return part
        }
    }

    /// The statement as pieces that each fit `room`, on the same resources with part of the
    /// actions, or (for a single action too large with all its resources) part of the resources.
    private static func cut(_ statement: PolicyDocument.Statement, room: Int,
                            size: (PolicyDocument.Statement) -> Int) -> [PolicyDocument.Statement] {
        if size(statement) <= room { return [statement] }
        func pieces(of items: [String], making: ([String]) -> PolicyDocument.Statement) -> [[String]] {
            var out: [[String]] = []
            var current: [String] = []
            for item in items {
                if !current.isEmpty && size(making(current + [item])) > room {
                    out.append(current)
                    current = []
                }
                current.append(item)
            }
            if !current.isEmpty { out.append(current) }
            return out
        }
        func with(actions: [String], resources: [String]) -> PolicyDocument.Statement {
            var piece = statement
            piece.actions = actions
            piece.resources = resources
            return piece
        }
        if statement.actions.count > 1 {
            return pieces(of: statement.actions) { with(actions: $0, resources: statement.resources) }
                .flatMap { cut(with(actions: $0, resources: statement.resources), room: room, size: size) }
        }
        guard statement.resources.count > 1 else { return [statement] }
        return pieces(of: statement.resources) { with(actions: statement.actions, resources: $0) }
            .map { with(actions: statement.actions, resources: $0) }
    }

    private static func isPattern(_ action: String) -> Bool {
        action.contains("*") || action.contains("?")
    }

    private static func split(_ action: String) -> (String, String)? {
        guard let colon = action.firstIndex(of: ":") else { return nil }
        let prefix = String(action[..<colon]), name = String(action[action.index(after: colon)...])
        guard !prefix.isEmpty, !name.isEmpty else { return nil }
        return (prefix, name)
    }

    /// Actions once each (IAM matches them case-insensitively), resources once each.
    private static func deduplicated(_ statement: PolicyDocument.Statement) -> PolicyDocument.Statement {
        var out = statement
        var seenActions = Set<String>(), seenResources = Set<String>()
        out.actions = statement.actions.filter { seenActions.insert($0.lowercased()).inserted }
        out.resources = statement.resources.filter { seenResources.insert($0).inserted }
        return out
    }

    /// Takes out of statements on narrower resources the actions a statement of the same effect
    /// grants on `"*"`; statements left without actions go.
    private static func droppingCoveredByAnyResource(_ statements: [PolicyDocument.Statement]) -> [PolicyDocument.Statement] {
        var everywhere: [String: [WildcardPattern]] = [:]
        for statement in statements where statement.resources.contains("*") {
            everywhere[statement.effect, default: []] += statement.actions.map { WildcardPattern($0, variables: false) }
        }
        guard !everywhere.isEmpty else { return statements }
        return statements.compactMap { statement in
            guard !statement.resources.contains("*"), let patterns = everywhere[statement.effect] else { return statement }
            var out = statement
            out.actions = statement.actions.filter { action in
                // A pattern in the narrower statement stays unless the same text is granted everywhere.
                if isPattern(action) { return !patterns.contains { $0.text.lowercased() == action.lowercased() } }
                let subject = ResourceText(action)
                return !patterns.contains { $0.match(subject, caseInsensitive: true) == .yes }
            }
            return out.actions.isEmpty ? nil : out
        }
    }

    /// Statements merged while any two share their effect and sid and either their resources or
    /// their actions (as sets). One merge a pass: a merged statement's keys change.
    private static func merged(_ statements: [PolicyDocument.Statement]) -> [PolicyDocument.Statement] {
        var current = statements
        while true {
            var byResources: [MergeKey: Int] = [:], byActions: [MergeKey: Int] = [:]
            var merge: (into: Int, from: Int, resources: Bool)?
            for (index, statement) in current.enumerated() {
                let resourceKey = MergeKey(effect: statement.effect, sid: statement.sid, items: Set(statement.resources))
                let actionKey = MergeKey(effect: statement.effect, sid: statement.sid, items: Set(statement.actions.map { $0.lowercased() }))
                if let into = byResources[resourceKey] {
                    merge = (into, index, true)
                    break
                }
                if let into = byActions[actionKey] {
                    merge = (into, index, false)
                    break
                }
                byResources[resourceKey] = index
                byActions[actionKey] = index
            }
            guard let merge else { return current }
            let from = current.remove(at: merge.from)
            if merge.resources {
                current[merge.into].actions = deduplicated(.init(actions: current[merge.into].actions + from.actions)).actions
            } else {
                current[merge.into].resources = deduplicated(.init(actions: [], resources: current[merge.into].resources + from.resources)).resources
            }
        }
    }

    private struct MergeKey: Hashable {
        let effect: String
        let sid: String?
        let items: Set<String>
    }
}
