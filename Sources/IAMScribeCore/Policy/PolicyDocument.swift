/// An IAM policy document, rendered deterministically.
public struct PolicyDocument: Sendable, Hashable {
    /// One statement.
    public struct Statement: Sendable, Hashable {
        /// An optional statement id.
        public var sid: String?
        /// `Allow` or `Deny`.
        public var effect: String
        /// The actions, in the order they are rendered.
        public var actions: [String]
        /// The resources, in the order they are rendered.
        public var resources: [String]

        /// Creates a statement.
        public init(sid: String? = nil, effect: String = "Allow", actions: [String], resources: [String] = ["*"]) {
            self.sid = sid
            self.effect = effect
            self.actions = actions
            self.resources = resources
        }
    }

    /// The policy language version; always `2012-10-17`.
    public var version = "2012-10-17"
    /// The statements.
    public var statements: [Statement]

    /// Creates a document.
    public init(statements: [Statement]) {
        self.statements = statements
    }

    /// The document as JSON with four-space indentation, keys in IAM's customary order.
    public var json: String {
        var out = "{\n    \"Version\": \"\(version)\",\n    \"Statement\": ["
        for (index, statement) in statements.enumerated() {
            out += index == 0 ? "\n" : ",\n"
            out += "        {\n"
            if let sid = statement.sid { out += "            \"Sid\": \(JSONText.quote(sid)),\n" }
            out += "            \"Effect\": \(JSONText.quote(statement.effect)),\n"
            out += "            \"Action\": " + Self.list(statement.actions) + ",\n"
            out += "            \"Resource\": " + Self.list(statement.resources) + "\n"
            out += "        }"
        }
        out += statements.isEmpty ? "]\n}\n" : "\n    ]\n}\n"
        return out
    }

    /// The number of characters IAM counts against the managed-policy quota (white space excluded).
    public var quotaSize: Int {
        var insideString = false
        var escaped = false
        var count = 0
        for character in json.unicodeScalars {
            if insideString {
                count += 1
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { insideString = false }
            } else if character == "\"" {
                insideString = true
                count += 1
            } else if !character.properties.isWhitespace {
                count += 1
            }
        }
        return count
    }

    private static func list(_ items: [String]) -> String {
        if items.count == 1 { return JSONText.quote(items[0]) }
        if items.isEmpty { return "[]" }
        return "[\n" + items.map { "                " + JSONText.quote($0) }.joined(separator: ",\n") + "\n            ]"
    }
}
