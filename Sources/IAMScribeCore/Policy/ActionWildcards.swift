/// Finds short wildcard patterns (`Get*`, `*Object*`, `*Tags`) for a set of actions of one IAM
/// prefix that match those actions and no other action of the prefix.
///
/// Candidates are built from the camel-case words of the granted names: prefixes (`GetObject*`),
/// suffixes (`*Policy`) and infixes (`*Object*`). A candidate is kept only when it matches none of
/// the prefix's other actions (matching as IAM does: case-insensitively, `*` any run of
/// characters). Then a greedy weighted set cover picks candidates by actions covered per
/// character, and candidates the others make redundant are dropped. Every kept pattern matches
/// only granted actions, so their union is exactly the granted set within the universe.
struct ActionWildcards {
    /// The granted names (without the prefix), as spelled in the policy.
    let granted: [String]
    /// Every other action name of the prefix, lowercased: what no pattern may match.
    let others: [[UInt8]]
    /// The length of `prefix:`, for the cost of each pattern as written.
    let prefixLength: Int

    /// Creates a search.
    ///
    /// - Parameters:
    ///   - granted: The action names granted (without `prefix:`), no wildcards.
    ///   - universe: Every action name the prefix has (the IAM data's, and any other the
    ///     document names), the granted ones included or not.
    ///   - prefixLength: The length of the IAM prefix.
    init(granted: [String], universe: [String], prefixLength: Int) {
        var seen = Set<String>()
        self.granted = granted.filter { seen.insert($0.lowercased()).inserted }
        var others = Set<String>()
        for name in universe where !seen.contains(name.lowercased()) { others.insert(name.lowercased()) }
        self.others = others.sorted().map { Array($0.utf8) }
        self.prefixLength = prefixLength
    }

    /// The patterns: `*` when the granted names are all of the prefix's, the granted names
    /// themselves when no pattern is shorter.
    func patterns() -> [String] {
        if granted.count <= 1 { return granted }
        if others.isEmpty { return ["*"] }
        let grantedBytes = granted.map { Array($0.lowercased().utf8) }
        // Candidates by lowercased text, each with the spelling of the first name that made it.
        var candidates: [String: Candidate] = [:]
        for name in granted {
            let words = Self.words(of: name)
            for start in 0..<words.count {
                for end in (start + 1)...words.count {
                    let middle = words[start..<end].joined()
                    var shapes: [Candidate.Shape] = [.infix]
                    if start == 0 && end < words.count { shapes.append(.prefix) }
                    if start > 0 && end == words.count { shapes.append(.suffix) }
                    for shape in shapes {
                        let key = "\(shape)" + middle.lowercased()
                        if candidates[key] == nil { candidates[key] = Candidate(shape: shape, text: middle) }
                    }
                }
            }
        }
        let words = (granted.count + 63) / 64
        var valid: [(pattern: String, cost: Int, covers: [UInt64])] = []
        for key in candidates.keys.sorted() {
            guard let candidate = candidates[key] else { continue }
            let needle = Array(candidate.text.lowercased().utf8)
            if others.contains(where: { candidate.shape.matches(needle, in: $0) }) { continue }
            var covers = [UInt64](repeating: 0, count: words)
            var count = 0
            for (index, name) in grantedBytes.enumerated() where candidate.shape.matches(needle, in: name) {
                covers[index / 64] |= 1 << UInt64(index % 64)
                count += 1
            }
            // A pattern covering one name is never shorter than the name.
            guard count > 1 else { continue }
            valid.append((candidate.pattern, prefixLength + candidate.pattern.utf8.count + 4, covers))
        }
        // The names themselves: each covers itself.
        for (index, name) in granted.enumerated() {
            var covers = [UInt64](repeating: 0, count: words)
            covers[index / 64] |= 1 << UInt64(index % 64)
            valid.append((name, prefixLength + name.utf8.count + 4, covers))
        }
        var uncovered = [UInt64](repeating: 0, count: words)
        for index in granted.indices { uncovered[index / 64] |= 1 << UInt64(index % 64) }
        var chosen: [Int] = []
        while uncovered.contains(where: { $0 != 0 }) {
            var best = -1, bestGain = 0, bestCost = 1
            for (index, candidate) in valid.enumerated() {
                var gain = 0
                for word in 0..<words { gain += (candidate.covers[word] & uncovered[word]).nonzeroBitCount }
                guard gain > 0 else { continue }
                // More names per character wins; then more names; then the earlier (sorted) one.
                let left = gain * bestCost, right = bestGain * candidate.cost
                if best < 0 || left > right || (left == right && gain > bestGain) {
                    best = index
                    bestGain = gain
                    bestCost = candidate.cost
                }
            }
            // Every uncovered name has its own candidate, so one is always found.
            guard best >= 0 else { break }
            chosen.append(best)
            for word in 0..<words { uncovered[word] &= ~valid[best].covers[word] }
        }
        // Drop patterns the others cover, the latest (least efficient) first.
        var kept = chosen
        for candidate in chosen.reversed() {
            let rest = kept.filter { $0 != candidate }
            var union = [UInt64](repeating: 0, count: words)
            for other in rest { for word in 0..<words { union[word] |= valid[other].covers[word] } }
            if (0..<words).allSatisfy({ valid[candidate].covers[$0] & ~union[$0] == 0 }) { kept = rest }
        }
        return kept.map { valid[$0].pattern }
    }

    private struct Candidate {
        enum Shape: CustomStringConvertible {
            case prefix, suffix, infix

            var description: String {
                switch self {
                case .prefix: "p:"
                case .suffix: "s:"
                case .infix: "i:"
                }
            }

            func matches(_ needle: [UInt8], in name: [UInt8]) -> Bool {
                guard needle.count <= name.count else { return false }
                switch self {
                case .prefix: return name[..<needle.count].elementsEqual(needle)
                case .suffix: return name[(name.count - needle.count)...].elementsEqual(needle)
                case .infix:
                    guard let first = needle.first else { return true }
                    var start = 0
                    while start + needle.count <= name.count {
                        if name[start] == first && name[start..<(start + needle.count)].elementsEqual(needle) { return true }
                        start += 1
                    }
                    return false
                }
            }
        }

        let shape: Shape
        let text: String

        var pattern: String {
            switch shape {
            case .prefix: text + "*"
            case .suffix: "*" + text
            case .infix: "*" + text + "*"
            }
        }
    }

    /// `GetObjectACLPolicyV2` as `Get`, `Object`, `ACL`, `Policy`, `V2`: a word starts at an
    /// upper-case letter after a lower-case letter or digit, or at the last capital of a run
    /// followed by a lower-case letter.
    static func words(of name: String) -> [String] {
        let scalars = Array(name.unicodeScalars)
        var words: [String] = []
        var current = ""
        func isUpper(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isUppercase }
        func isLower(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isLowercase || ("0"..."9").contains(scalar) }
        for (index, scalar) in scalars.enumerated() {
            if index > 0 && isUpper(scalar) {
                let previous = scalars[index - 1]
                let nextIsLower = index + 1 < scalars.count && scalars[index + 1].properties.isLowercase
                if isLower(previous) || (isUpper(previous) && nextIsLower) {
                    words.append(current)
                    current = ""
                }
            }
            current.unicodeScalars.append(scalar)
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}
