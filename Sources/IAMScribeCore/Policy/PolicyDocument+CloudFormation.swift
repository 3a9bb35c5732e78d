extension PolicyDocument {
    /// The documents as a CloudFormation template in YAML: one `AWS::IAM::ManagedPolicy` resource
    /// each, holding its `PolicyDocument`.
    ///
    /// Every string is double-quoted, so nothing in an ARN or a name is read as YAML syntax
    /// (`:`, `#`, `*`, `&`, a leading `-`, `yes`); `${...}` stays literal, since CloudFormation
    /// substitutes only inside `Fn::Sub`. Action and Resource are lists, one item a line.
    ///
    /// - Parameters:
    ///   - documents: The documents: one resource each.
    ///   - name: The logical id of the resource; documents after the first get `2`, `3`... appended.
    /// - Returns: The template, ending in a newline.
    public static func cloudFormation(_ documents: [PolicyDocument], name: String = "IAMScribePolicy") -> String {
        var out = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n"
        if documents.isEmpty { return out + "  {}\n" }
        for (index, document) in documents.enumerated() {
            out += "  \(index == 0 ? name : name + String(index + 1)):\n"
            out += "    Type: AWS::IAM::ManagedPolicy\n"
            out += "    Properties:\n"
            out += "      PolicyDocument:\n"
            out += "        Version: \(yamlQuote(document.version))\n"
            if document.statements.isEmpty {
                out += "        Statement: []\n"
                continue
            }
            out += "        Statement:\n"
            for statement in document.statements {
                var first = true
                func key(_ text: String) {
                    out += (first ? "          - " : "            ") + text
                    first = false
                }
                if let sid = statement.sid { key("Sid: \(yamlQuote(sid))\n") }
                key("Effect: \(yamlQuote(statement.effect))\n")
                key("Action:" + yamlList(statement.actions))
                key("Resource:" + yamlList(statement.resources))
            }
        }
        return out
    }

    /// This document alone as a CloudFormation template (see ``cloudFormation(_:name:)``).
    public var cloudFormation: String { Self.cloudFormation([self]) }

    private static func yamlList(_ items: [String]) -> String {
        if items.isEmpty { return " []\n" }
        return "\n" + items.map { "              - " + yamlQuote($0) + "\n" }.joined()
    }

    /// `text` as a YAML double-quoted scalar: quotes and backslashes escaped, and every character
    /// YAML does not print as itself (controls, line and paragraph separators, the byte order
    /// mark, invisible format characters) as an escape.
    static func yamlQuote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || (scalar.value >= 0x7F && (TerminalText.needsEscape(scalar)
                    || scalar.value == 0xFEFF || scalar.value == 0xFFFE || scalar.value == 0xFFFF)):
                out += longUnicodeEscape(scalar)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
