/// Finds short wildcard patterns (`Get*`, `*Object*`, `*Tags`) for a set of actions of one IAM
/// prefix that match those actions and no other action of the prefix.
///
/// Candidates are built from the camel-case words of the granted names: prefixes (`GetObject*`),
/// suffixes (`*Policy`) and infixes (`*Object*`). A candidate is kept only when it matches none of
/// the prefix's other actions (matching as IAM does: case-insensitively, `*` any run of
/// characters), and only the shortest valid one from each word (a longer one matches less for
/// more characters). Then a greedy cover picks, while one saves characters, the candidate that
/// saves the most over writing out the names it covers that nothing chosen covers yet; patterns
/// the others make redundant are dropped, and the names left are written out. Every kept pattern
/// matches only granted actions, so their union is exactly the granted set within the universe.
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
        // A longer prefix, suffix or infix than a valid one matches a subset of what it
        // matches, for more characters: only the shortest valid one of each start is kept.
        var candidates: [String: Candidate] = [:]
        var validity: [String: Bool] = [:]
        func valid(_ candidate: Candidate) -> Bool {
            let key = candidate.key
            if let known = validity[key] { return known }
            let needle = Array(candidate.text.lowercased().utf8)
            let result = !others.contains { candidate.shape.matches(needle, in: $0) }
            validity[key] = result
            if result && candidates[key] == nil { candidates[key] = candidate }
            return result
        }
        for name in granted {
            let words = Self.words(of: name)
            let count = words.count
            guard count > 0 else { continue }
            for end in 1..<max(count, 1) where valid(Candidate(shape: .prefix, text: words[..<end].joined())) { break }
            for start in stride(from: count - 1, to: 0, by: -1) where valid(Candidate(shape: .suffix, text: words[start...].joined())) { break }
            for start in 0..<count {
                for end in (start + 1)...count where valid(Candidate(shape: .infix, text: words[start..<end].joined())) { break }
            }
        }
        let words = (granted.count + 63) / 64
        var patterns: [(pattern: String, cost: Int, covers: [UInt64])] = []
        for key in candidates.keys.sorted() {
            guard let candidate = candidates[key] else { continue }
            let needle = Array(candidate.text.lowercased().utf8)
            var covers = [UInt64](repeating: 0, count: words)
            var count = 0
            for (index, name) in grantedBytes.enumerated() where candidate.shape.matches(needle, in: name) {
                covers[index / 64] |= 1 << UInt64(index % 64)
                count += 1
            }
            // A pattern covering one name is never shorter than the name.
            guard count > 1 else { continue }
            patterns.append((candidate.pattern, prefixLength + candidate.pattern.utf8.count + 4, covers))
        }
        // What writing each name out costs: a pattern is worth it when it costs less than the
        // names it covers that nothing chosen covers yet.
        let literalCost = granted.map { prefixLength + $0.utf8.count + 4 }
        var uncovered = [UInt64](repeating: 0, count: words)
        for index in granted.indices { uncovered[index / 64] |= 1 << UInt64(index % 64) }
        func saving(_ pattern: (pattern: String, cost: Int, covers: [UInt64])) -> Int {
            var saved = -pattern.cost
            for word in 0..<words {
                var bits = pattern.covers[word] & uncovered[word]
                while bits != 0 {
                    saved += literalCost[word * 64 + bits.trailingZeroBitCount]
                    bits &= bits - 1
                }
            }
            return saved
        }
        var chosen: [Int] = []
        while true {
            // The largest saving; the earlier (sorted) pattern on a tie.
            var best = -1, bestSaving = 0
            for index in patterns.indices {
                let saved = saving(patterns[index])
                if saved > bestSaving {
                    best = index
                    bestSaving = saved
                }
            }
            guard best >= 0 else { break }
            chosen.append(best)
            for word in 0..<words { uncovered[word] &= ~patterns[best].covers[word] }
        }
        // Drop patterns the others cover, the last chosen (smallest saving) first.
        var coverCount = [Int](repeating: 0, count: granted.count)
        for index in chosen { for name in granted.indices where patterns[index].covers[name / 64] & (1 << UInt64(name % 64)) != 0 { coverCount[name] += 1 } }
        var kept: [Int] = []
        for index in chosen.reversed() {
            let names = granted.indices.filter { patterns[index].covers[$0 / 64] & (1 << UInt64($0 % 64)) != 0 }
            if names.allSatisfy({ coverCount[$0] > 1 }) {
                for name in names { coverCount[name] -= 1 }
            } else {
                kept.append(index)
            }
        }
        return kept.reversed().map { patterns[$0].pattern } + granted.indices.filter { coverCount[$0] == 0 }.map { granted[$0] }
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
                let length = needle.count
                guard length <= name.count else { return false }
                func equal(at offset: Int) -> Bool {
                    var index = 0
                    while index < length {
                        if name[offset + index] != needle[index] { return false }
                        index += 1
                    }
                    return true
                }
                switch self {
                case .prefix: return equal(at: 0)
                case .suffix: return equal(at: name.count - length)
                case .infix:
                    var offset = 0
                    while offset + length <= name.count {
                        if equal(at: offset) { return true }
                        offset += 1
                    }
                    return false
                }
            }
        }

        let shape: Shape
        let text: String

        /// The candidate's identity: IAM matches case-insensitively.
        var key: String { shape.description + text.lowercased() }

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
