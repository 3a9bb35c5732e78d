/// A policy string that may hold the wildcards `*` and `?` and, in policies of version
/// 2012-10-17, policy variables such as `${aws:username}`.
///
/// Matching is three-valued. The subject may have unknown parts (an account id the capture does
/// not know, a bucket CSM does not name); the pattern may have variables whose value the request
/// does not give. The answer is `yes` only when every value of the unknowns matches, `no` only
/// when none does, and otherwise `unknown` with the names of the unknowns.
struct WildcardPattern: Sendable, Hashable, CustomStringConvertible {
    enum Token: Sendable, Hashable {
        case scalar(Unicode.Scalar)
        /// `*`: any run of characters, empty included.
        case anything
        /// `?`: exactly one character.
        case oneCharacter
        /// `${key}` or `${key, 'default'}`.
        case variable(key: String, defaultValue: String?)
    }

    /// The text as the policy wrote it.
    let text: String
    let tokens: [Token]

    /// Parses `text`.
    ///
    /// - Parameters:
    ///   - text: The pattern.
    ///   - variables: Whether `${...}` is a policy variable (version 2012-10-17) or plain text.
    ///   - wildcards: Whether `*` and `?` are wildcards (false for the exact-match operators).
    init(_ text: String, variables: Bool, wildcards: Bool = true) {
        self.text = text
        var tokens: [Token] = []
        let scalars = Array(text.unicodeScalars)
        // Once a `${` finds no `}` after it, none further on will: not searching again keeps a
        // pattern of many unclosed `${` linear.
        var closesLeft = true
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if variables, closesLeft, scalar == "$", index + 1 < scalars.count, scalars[index + 1] == "{" {
                if let close = scalars[(index + 2)...].firstIndex(of: "}") {
                    let inside = String(String.UnicodeScalarView(scalars[(index + 2)..<close]))
                    tokens.append(Self.variableToken(inside))
                    index = close + 1
                    continue
                }
                closesLeft = false
            }
            switch scalar {
            case "*" where wildcards: tokens.append(.anything)
            case "?" where wildcards: tokens.append(.oneCharacter)
            default: tokens.append(.scalar(scalar))
            }
            index += 1
        }
        self.tokens = tokens
    }

    private init(text: String, tokens: [Token]) {
        self.text = text
        self.tokens = tokens
    }

    private static func variableToken(_ inside: String) -> Token {
        let trimmed = inside.trimmingWhitespace()
        // `${*}`, `${?}` and `${$}` stand for the characters themselves, not wildcards.
        if trimmed == "*" || trimmed == "?" || trimmed == "$", let scalar = trimmed.unicodeScalars.first {
            return .scalar(scalar)
        }
        if let comma = trimmed.firstIndex(of: ",") {
            let key = trimmed[..<comma].trimmingWhitespace()
            var fallback = trimmed[trimmed.index(after: comma)...].trimmingWhitespace()
            if fallback.count >= 2, fallback.hasPrefix("'"), fallback.hasSuffix("'") {
                fallback = String(fallback.dropFirst().dropLast())
            }
            return .variable(key: key, defaultValue: fallback)
        }
        return .variable(key: trimmed, defaultValue: nil)
    }

    var description: String { text }

    /// Whether the pattern is one or more `*` and nothing else: it matches everything.
    var matchesEverything: Bool {
        !tokens.isEmpty && tokens.allSatisfy { $0 == .anything }
    }

    /// Whether the pattern holds a `*` or `?` wildcard.
    var hasWildcards: Bool {
        tokens.contains { $0 == .anything || $0 == .oneCharacter }
    }

    /// The pattern's text once resolved: wildcards as `*` and `?`, variables left as written.
    var literalText: String {
        var out = String.UnicodeScalarView()
        for token in tokens {
            switch token {
            case .scalar(let scalar): out.append(scalar)
            case .anything: out.append("*")
            case .oneCharacter: out.append("?")
            case .variable(let key, _): out.append(contentsOf: "${\(key)}".unicodeScalars)
            }
        }
        return String(out)
    }

    /// The keys of the variables left in the pattern.
    var variableKeys: [String] {
        tokens.compactMap { if case .variable(let key, _) = $0 { return key } else { return nil } }
    }

    /// The pattern with the variables the context knows replaced by their values.
    ///
    /// A variable whose key the request is known to lack takes its default; without a default the
    /// returned pattern is nil, because AWS then treats the element as not matching.
    func resolving(_ context: RequestContext) -> WildcardPattern? {
        guard tokens.contains(where: { if case .variable = $0 { true } else { false } }) else { return self }
        var resolved: [Token] = []
        for token in tokens {
            guard case .variable(let key, let fallback) = token else {
                resolved.append(token)
                continue
            }
            switch context.value(of: key) {
            case .present(let values) where values.count == 1:
                resolved += values[0].unicodeScalars.map(Token.scalar)
            case .absent:
                guard let fallback else { return nil }
                resolved += fallback.unicodeScalars.map(Token.scalar)
            case .present, .unknown:
                resolved.append(token)
            }
        }
        return WildcardPattern(text: text, tokens: resolved)
    }

    /// Matches a whole subject.
    ///
    /// - Parameters:
    ///   - subject: The text, with unknown parts.
    ///   - caseInsensitive: Whether case is ignored (actions), or not (ARNs, most strings).
    func match(_ subject: ResourceText, caseInsensitive: Bool = false) -> Truth {
        Self.match(tokens, subject.tokens(lowercased: caseInsensitive), caseInsensitive: caseInsensitive)
    }

    static func match(_ pattern: [Token], _ subject: [ResourceText.Token], caseInsensitive: Bool) -> Truth {
        let pattern = caseInsensitive ? pattern.flatMap(\.lowercased) : pattern
        if !pattern.isEmpty && pattern.allSatisfy({ $0 == .anything }) { return .yes }
        let hasVariables = pattern.contains { if case .variable = $0 { true } else { false } }
        let hasUnknowns = subject.contains { if case .unknown = $0 { true } else { false } }
        if !hasVariables && !hasUnknowns {
            return Truth(plainMatch(pattern, subject))
        }
        if !hasVariables && certainMatch(pattern, subject) { return .yes }
        if !possibleMatch(pattern, subject) { return .no }
        var names = Set<String>()
        for token in pattern { if case .variable(let key, _) = token { names.insert("${\(key)}") } }
        for token in subject { if case .unknown(let name) = token { names.insert(name) } }
        return .unknown(names)
    }

    /// Glob matching of known text.
    ///
    /// The greedy walk, backtracking to the last `*`, is linear on real patterns but takes m·n
    /// steps on some (`*aaaa…ab` against `aaaa…a`); past a budget linear in the lengths the
    /// bit-parallel automaton of ``automatonMatch(_:_:)`` takes over, bounded by m·n/64 word
    /// operations in memory linear in the pattern.
    static func plainMatch(_ pattern: [Token], _ subject: [ResourceText.Token]) -> Bool {
        let budget = 4 * (pattern.count + subject.count) + (1 << 16)
        return greedyMatch(pattern, subject, budget: budget) ?? automatonMatch(pattern, subject)
    }

    /// The greedy walk, or nil when it would take more than `budget` steps.
    static func greedyMatch(_ pattern: [Token], _ subject: [ResourceText.Token], budget: Int) -> Bool? {
        var p = 0, s = 0
        var star: Int?, starSubject = 0
        var steps = 0
        while s < subject.count {
            steps += 1
            if steps > budget { return nil }
            if p < pattern.count, case .scalar(let expected) = pattern[p], case .scalar(let actual) = subject[s], expected == actual {
                p += 1; s += 1
            } else if p < pattern.count, pattern[p] == .oneCharacter {
                p += 1; s += 1
            } else if p < pattern.count, pattern[p] == .anything {
                star = p; starSubject = s; p += 1
            } else if let position = star {
                p = position + 1; starSubject += 1; s = starSubject
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == .anything { p += 1 }
        return p == pattern.count
    }

    /// Glob matching of known text by the pattern's automaton, run on all its states at once:
    /// bit i of the state says "the first i pattern tokens match what was read". A character
    /// moves the states before a matching character or a `?` one bit on and keeps those before
    /// a `*`; a state before a `*` also reaches the next one without reading.
    ///
    /// The states before a given character are a bit mask when the character is frequent in the
    /// pattern (at most 64 of those) and a list of positions otherwise (each shorter than the
    /// mask), so each subject character costs one pass over the mask's words.
    static func automatonMatch(_ pattern: [Token], _ subject: [ResourceText.Token]) -> Bool {
        var tokens: [Token] = []
        for token in pattern where !(token == .anything && tokens.last == .anything) { tokens.append(token) }
        let m = tokens.count
        let words = (m + 1 + 63) / 64
        var stars = [UInt64](repeating: 0, count: words)
        var questions = [UInt64](repeating: 0, count: words)
        var positions: [Unicode.Scalar: [Int]] = [:]
        for (index, token) in tokens.enumerated() {
            switch token {
            case .anything: stars[index >> 6] |= 1 << UInt64(index & 63)
            case .oneCharacter: questions[index >> 6] |= 1 << UInt64(index & 63)
            case .scalar(let scalar): positions[scalar, default: []].append(index)
            case .variable: return false
            }
        }
        var masks: [Unicode.Scalar: [UInt64]] = [:]
        for (scalar, list) in positions where list.count >= words {
            var mask = questions
            for index in list { mask[index >> 6] |= 1 << UInt64(index & 63) }
            masks[scalar] = mask
        }
        /// Adds the states one `*` away (no two `*` follow each other any more).
        func close(_ state: inout [UInt64]) {
            var carry: UInt64 = 0
            for word in 0..<words {
                let passing = state[word] & stars[word]
                state[word] |= passing << 1 | carry
                carry = passing >> 63
            }
        }
        var state = [UInt64](repeating: 0, count: words)
        var next = state
        state[0] = 1
        close(&state)
        for token in subject {
            guard case .scalar(let actual) = token else { return false }
            let mask = masks[actual] ?? questions
            var carry: UInt64 = 0
            var alive: UInt64 = 0
            for word in 0..<words {
                let moving = state[word] & mask[word]
                next[word] = moving << 1 | carry | (state[word] & stars[word])
                carry = moving >> 63
            }
            if masks[actual] == nil, let list = positions[actual] {
                for index in list where state[index >> 6] & (1 << UInt64(index & 63)) != 0 {
                    next[(index + 1) >> 6] |= 1 << UInt64((index + 1) & 63)
                }
            }
            close(&next)
            for word in 0..<words { alive |= next[word] }
            guard alive != 0 else { return false }
            swap(&state, &next)
        }
        return state[m >> 6] & (1 << UInt64(m & 63)) != 0
    }

    /// Whether the pattern matches whatever the unknown parts are: only a `*` may cover one.
    private static func certainMatch(_ pattern: [Token], _ subject: [ResourceText.Token]) -> Bool {
        reachable(pattern, subject, possible: false)
    }

    /// Whether some value of the unknowns and variables makes the pattern match.
    private static func possibleMatch(_ pattern: [Token], _ subject: [ResourceText.Token]) -> Bool {
        reachable(pattern, subject, possible: true)
    }

    /// The most cells ``reachable(_:_:possible:)`` visits. A policy pattern is at most a few
    /// thousand characters (IAM caps a policy at 10,240), as is a resource, so real matches stay
    /// far below it; past it the answer is "not certain, but possible", which the callers turn
    /// into `unknown`: never a silent yes, never a silent no.
    static let cellBudget = 1 << 24

    /// The matching automaton run over both sequences. `*` consumes subject tokens, an unknown
    /// subject part among them. With `possible`, a variable acts as `*`, and an unknown subject
    /// part may be empty or stand for any run of pattern tokens.
    ///
    /// Fixed-width ends (a character or `?` against a known character) are matched first, in
    /// linear time; the rest runs row by row, two rows of the subject's length at a time, so
    /// memory stays linear whatever the lengths.
    static func reachable(_ pattern: [Token], _ subject: [ResourceText.Token], possible: Bool) -> Bool {
        var patternStart = 0, patternEnd = pattern.count, subjectStart = 0, subjectEnd = subject.count
        while patternStart < patternEnd, subjectStart < subjectEnd,
              let step = fixedStep(pattern[patternStart], subject[subjectStart]) {
            guard step else { return false }
            patternStart += 1
            subjectStart += 1
        }
        while patternStart < patternEnd, subjectStart < subjectEnd,
              let step = fixedStep(pattern[patternEnd - 1], subject[subjectEnd - 1]) {
            guard step else { return false }
            patternEnd -= 1
            subjectEnd -= 1
        }
        let m = patternEnd - patternStart, n = subjectEnd - subjectStart
        let (cells, overflow) = (m + 1).multipliedReportingOverflow(by: n + 1)
        guard !overflow, cells <= cellBudget else { return possible }

        func isUnknown(_ j: Int) -> Bool {
            if case .unknown = subject[subjectStart + j] { true } else { false }
        }
        var row = [Bool](repeating: false, count: n + 1)
        var next = [Bool](repeating: false, count: n + 1)
        row[0] = true
        for i in 0...m {
            let token: Token? = i < m ? pattern[patternStart + i] : nil
            let isStar: Bool
            switch token {
            case .anything?: isStar = true
            case .variable?: isStar = possible
            default: isStar = false
            }
            // Moves along the subject within the row: a `*` takes one more token, and (when
            // possible) an unknown part may stand for nothing.
            for j in 0..<n where row[j] && (isStar || (possible && isUnknown(j))) { row[j + 1] = true }
            guard let token else { break }
            var any = false
            for j in 0...n where row[j] {
                // Moves to the next pattern token: past a `*` that takes nothing more, or taken
                // by an unknown part.
                if isStar || (possible && j < n && isUnknown(j)) {
                    next[j] = true
                    any = true
                }
                if j < n, case .scalar(let actual) = subject[subjectStart + j] {
                    switch token {
                    case .scalar(let expected) where expected == actual:
                        next[j + 1] = true
                        any = true
                    case .oneCharacter:
                        next[j + 1] = true
                        any = true
                    default: break
                    }
                }
            }
            guard any else { return false }
            swap(&row, &next)
            for j in 0...n { next[j] = false }
        }
        return row[n]
    }

    /// Whether a pattern token and a subject token of one character each match, or nil when
    /// either may stand for a run of any length (or is a variable).
    private static func fixedStep(_ token: Token, _ subject: ResourceText.Token) -> Bool? {
        guard case .scalar(let actual) = subject else { return nil }
        switch token {
        case .scalar(let expected): return expected == actual
        case .oneCharacter: return true
        case .anything, .variable: return nil
        }
    }
}

extension WildcardPattern.Token {
    /// The token lowercased as ``ResourceText`` lowercases a subject: each scalar by its full
    /// lowercase mapping (`İ` is two scalars, `ǋ` is `ǌ`), so that both sides agree.
    fileprivate var lowercased: [Self] {
        guard case .scalar(let scalar) = self else { return [self] }
        return ResourceText.lowercased(scalar).map(Self.scalar)
    }
}
