/// IAM's action matching, written plainly for the tests (independent of the core's matcher):
/// case-insensitive (both sides are lowercased by the caller), `*` any run of characters, `?` one
/// character.
public enum ActionGlob {
    /// Whether `pattern` matches `subject`, both lowercased UTF-8.
    public static func matches(_ pattern: [UInt8], _ subject: [UInt8]) -> Bool {
        var p = 0, s = 0, star = -1, mark = 0
        while s < subject.count {
            if p < pattern.count && (pattern[p] == UInt8(ascii: "?") || pattern[p] == subject[s]) {
                p += 1
                s += 1
            } else if p < pattern.count && pattern[p] == UInt8(ascii: "*") {
                star = p
                mark = s
                p += 1
            } else if star >= 0 {
                p = star + 1
                mark += 1
                s = mark
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
