/// An operation's request URI template, compiled for matching request paths.
///
/// Templates are paths of literal segments and labels (`/{Bucket}/{Key+}`; a `+` label is greedy
/// and takes the rest of the path), optionally followed by query literals that the request must
/// carry (`?list-type=2`, `?acl`). Of the templates that match a request, the most specific wins:
/// more query literals, then more literal segments, then no greedy label.
final class RESTTemplate {
    enum Segment {
        case literal([UInt8])
        case label(String)
        case greedy(String)
    }

    /// A resource member sent in the query string or a header: whether a request carries it is
    /// evidence for the template, worked out ahead of matching.
    struct EvidenceMember {
        let inQuery: Bool
        let wireName: String
        /// The header name, lowercased.
        let lowercasedWireName: [UInt8]
        /// Whether the member selects its operation when present (S3's `uploadId`), so that the
        /// template loses a tie when the request does not carry it.
        let selects: Bool
    }

    /// Where a label's value lies in a request's path segments.
    typealias LabelRange = (name: String, segments: Range<Int>)

    let operation: OperationInfo
    let method: [UInt8]
    let segments: [Segment]
    let queryLiterals: [(key: String, value: String?)]
    /// Higher is more specific.
    let specificity: Int
    let evidenceMembers: [EvidenceMember]
    /// The resource members bound to URI labels: label, member.
    let uriMembers: [(label: String, member: String)]

    init(operation: OperationInfo) {
        self.operation = operation
        method = Array(operation.httpMethod.utf8)
        let parts = operation.requestURI.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var segments: [Segment] = []
        for piece in (parts.first ?? "").split(separator: "/") {
            if piece.hasPrefix("{"), piece.hasSuffix("}") {
                let name = piece.dropFirst().dropLast()
                segments.append(name.hasSuffix("+") ? .greedy(String(name.dropLast())) : .label(String(name)))
            } else {
                segments.append(.literal(Array(piece.utf8)))
            }
        }
        self.segments = segments
        queryLiterals = parts.count > 1
            ? parts[1].split(separator: "&").map { item in
                let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(pair[0]), pair.count > 1 ? String(pair[1]) : nil)
            }
            : []
        let literals = segments.reduce(0) { count, segment in if case .literal = segment { count + 1 } else { count } }
        let greedy = segments.contains { if case .greedy = $0 { true } else { false } }
        specificity = queryLiterals.count * 1_000 + literals * 10 + (greedy ? 0 : 5) + segments.count
        evidenceMembers = operation.resourceMembers.compactMap { member in
            guard member.location == "querystring" || member.location == "header" else { return nil }
            let lowercased = member.wireName.lowercased()
            return EvidenceMember(inQuery: member.location == "querystring", wireName: member.wireName,
                                  lowercasedWireName: Array(lowercased.utf8),
                                  selects: Self.selectingMembers.contains(lowercased))
        }
        uriMembers = operation.resourceMembers.filter { $0.location == "uri" }.map { ($0.wireName, $0.name) }
    }

    /// Members (by lowercased wire name) that select an operation when present: S3's multipart
    /// and copy operations share the object operations' method and path.
    private static let selectingMembers: Set<String> = ["uploadid", "partnumber", "x-amz-copy-source"]

    /// Matches a request path (raw, not decoded, without its query) and query parameters.
    ///
    /// - Returns: Where each label's value lies in the path; nil when the template does not match.
    func match(pathSegments: [UnsafeRawBufferPointer], query: [(key: String, value: String)]) -> [LabelRange]? {
        for literal in queryLiterals {
            guard query.contains(where: { $0.key == literal.key && (literal.value == nil || literal.value == $0.value) }) else {
                return nil
            }
        }
        var labels: [LabelRange] = []
        labels.reserveCapacity(segments.count)
        var index = 0
        for (position, segment) in segments.enumerated() {
            switch segment {
            case .literal(let text):
                guard index < pathSegments.count, pathSegments[index].elementsEqual(text) else { return nil }
                index += 1
            case .label(let name):
                guard index < pathSegments.count, !pathSegments[index].isEmpty else { return nil }
                labels.append((name, index..<(index + 1)))
                index += 1
            case .greedy(let name):
                // The rest of the path, less the literal segments after the label.
                let after = segments.count - position - 1
                let end = pathSegments.count - after
                guard end > index, end - index > 1 || !pathSegments[index].isEmpty else { return nil }
                labels.append((name, index..<end))
                index = end
            }
        }
        return index == pathSegments.count ? labels : nil
    }

    /// A label's value, decoded: its segments joined by slashes.
    static func value(of label: LabelRange, in pathSegments: [UnsafeRawBufferPointer]) -> String {
        guard label.segments.count > 1 else { return PercentDecoding.decode(pathSegments[label.segments.lowerBound]) }
        var joined: [UInt8] = []
        for (offset, piece) in pathSegments[label.segments].enumerated() {
            if offset > 0 { joined.append(UInt8(ascii: "/")) }
            joined.append(contentsOf: piece)
        }
        return joined.withUnsafeBytes { PercentDecoding.decode($0) }
    }
}

/// Percent-decoding of URL parts.
enum PercentDecoding {
    /// Decodes `%XX` escapes (and `+` as a space when `plusIsSpace`), keeping malformed escapes.
    static func decode(_ bytes: UnsafeRawBufferPointer, plusIsSpace: Bool = false) -> String {
        if !bytes.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(plusIsSpace && byte == UInt8(ascii: "+") ? 0x20 : byte)
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - 48
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - 87
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - 55
        default: nil
        }
    }

    /// Splits a query string or form body into decoded pairs (a key without `=` has an empty value).
    static func pairs(_ bytes: UnsafeRawBufferPointer, limit: Int = 4096) -> [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = []
        var start = 0
        while start < bytes.count, pairs.count < limit {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "&") { end += 1 }
            if end > start {
                let item = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                if let equals = item.firstIndex(of: UInt8(ascii: "=")) {
                    pairs.append((decode(UnsafeRawBufferPointer(rebasing: item[..<equals]), plusIsSpace: true),
                                  decode(UnsafeRawBufferPointer(rebasing: item[(equals + 1)...]), plusIsSpace: true)))
                } else {
                    pairs.append((decode(item, plusIsSpace: true), ""))
                }
            }
            start = end + 1
        }
        return pairs
    }
}
