extension PolicyDocument {
    /// The document as a Terraform `data "aws_iam_policy_document"` block.
    ///
    /// Strings are HCL quoted template literals with every template sequence escaped (`${` as
    /// `$${`, `%{` as `%%{`), so policy variables such as `${aws:username}` and placeholders
    /// such as `${BucketName}` reach the policy as written instead of being interpolated.
    ///
    /// - Parameter name: The data source's name (an HCL identifier).
    /// - Returns: The block, ending in a newline.
    public func terraform(name: String = "iamscribe") -> String {
        var out = "data \"aws_iam_policy_document\" \(Self.hclQuote(name)) {\n"
        out += "  version = \(Self.hclQuote(version))\n"
        for statement in statements {
            out += "\n  statement {\n"
            if let sid = statement.sid { out += "    sid       = \(Self.hclQuote(sid))\n" }
            out += "    effect    = \(Self.hclQuote(statement.effect))\n"
            out += "    actions   = " + Self.hclList(statement.actions) + "\n"
            out += "    resources = " + Self.hclList(statement.resources) + "\n"
            out += "  }\n"
        }
        out += "}\n"
        return out
    }

    private static func hclList(_ items: [String]) -> String {
        if items.count <= 1 { return "[" + items.map(hclQuote).joined() + "]" }
        return "[\n" + items.map { "      " + hclQuote($0) + ",\n" }.joined() + "    ]"
    }

    /// `text` as an HCL quoted string: escapes for quotes, backslashes and control characters,
    /// and template sequences doubled.
    static func hclQuote(_ text: String) -> String {
        var out = "\""
        let scalars = Array(text.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            let next = index + 1 < scalars.count ? scalars[index + 1] : nil
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "$" where next == "{": out += "$$"
            case "%" where next == "{": out += "%%"
            case _ where scalar.value < 0x20 || (scalar.value >= 0x7F && TerminalText.needsEscape(scalar)):
                out += longUnicodeEscape(scalar)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A scalar as HCL and YAML both escape it: `\uXXXX`, or `\UXXXXXXXX` beyond the BMP (not
    /// JSON's surrogate pairs).
    static func longUnicodeEscape(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return scalar.value > 0xFFFF
            ? "\\U" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex
            : "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
