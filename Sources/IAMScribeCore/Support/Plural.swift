/// A count and its noun, the noun in the plural unless the count is one: `1 call`, `2 calls`.
///
/// For the CLI's and the reports' sentences; only nouns whose plural adds an `s` need no second
/// form.
///
/// - Parameters:
///   - count: How many.
///   - noun: The noun, singular.
///   - pluralNoun: The plural when it is not `noun` + `s`.
/// - Returns: `count noun`, the noun fitting the count.
package func plural(_ count: Int, _ noun: String, _ pluralNoun: String? = nil) -> String {
    "\(count) \(count == 1 ? noun : pluralNoun ?? noun + "s")"
}
