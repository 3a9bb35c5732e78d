/// The resource a request acts on, as an ARN whose parts may be unknown.
///
/// A call captured with its parameters gives a whole ARN (`arn:aws:s3:::photos/cat.jpg`). A CSM
/// event names no resource, and no capture tells the account id, so those parts stay unknown
/// (`arn:aws:s3:::${BucketName}/${ObjectName}`): the evaluator answers "depends" where the
/// policy's answer would turn on them, never "allow".
public struct ResourceText: Sendable, Hashable, CustomStringConvertible {
    /// A known run of text, or a part whose value is not known.
    public enum Piece: Sendable, Hashable {
        /// Known text.
        case text(String)
        /// An unknown part, named after its ARN template variable (`Account`, `BucketName`).
        case unknown(String)
    }

    /// The pieces, in order.
    public let pieces: [Piece]

    /// The resource `*`: what AWS authorizes an action against when the action has no resource
    /// types (`s3:ListAllMyBuckets`). Only a statement with a `*` resource covers it.
    public static let any = ResourceText("*")

    /// Creates a resource from known text.
    public init(_ text: String) { pieces = [.text(text)] }

    /// Creates a resource from pieces, merging adjacent known text.
    public init(pieces: [Piece]) {
        var merged: [Piece] = []
        for piece in pieces {
            if case .text(let next) = piece, case .text(let previous)? = merged.last {
                merged[merged.count - 1] = .text(previous + next)
            } else if piece != .text("") {
                merged.append(piece)
            }
        }
        self.pieces = merged
    }

    /// The whole text when every part is known.
    public var knownText: String? {
        var out = ""
        for piece in pieces {
            guard case .text(let text) = piece else { return nil }
            out += text
        }
        return out
    }

    /// The names of the unknown parts, in order.
    public var unknownParts: [String] {
        pieces.compactMap { if case .unknown(let name) = $0 { return name } else { return nil } }
    }

    /// The text, unknown parts shown as `${Name}`.
    public var description: String {
        pieces.map {
            switch $0 {
            case .text(let text): text
            case .unknown(let name): "${\(name)}"
            }
        }.joined()
    }

    /// The narrowest resource pattern a policy can use for it: unknown parts become `*`.
    public var policyPattern: String {
        pieces.map {
            switch $0 {
            case .text(let text): text
            case .unknown: "*"
            }
        }.joined()
    }

    enum Token: Sendable, Hashable {
        case scalar(Unicode.Scalar)
        case unknown(String)
    }

    /// A scalar's full lowercase mapping: what case-insensitive matching compares, on the
    /// pattern's side and the subject's alike.
    static func lowercased(_ scalar: Unicode.Scalar) -> [Unicode.Scalar] {
        scalar.value < 0x80
            ? [Unicode.Scalar(UInt8(ascii: scalar) | (scalar.value &- 0x41 < 26 ? 0x20 : 0))]
            : Array(scalar.properties.lowercaseMapping.unicodeScalars)
    }

    func tokens(lowercased: Bool) -> [Token] {
        var tokens: [Token] = []
        for piece in pieces {
            switch piece {
            case .text(let text):
                tokens += lowercased
                    ? text.unicodeScalars.flatMap { Self.lowercased($0).map(Token.scalar) }
                    : text.unicodeScalars.map(Token.scalar)
            case .unknown(let name):
                tokens.append(.unknown("${\(name)} in the resource"))
            }
        }
        return tokens
    }
}
