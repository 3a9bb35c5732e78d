import Testing
@testable import IAMScribeCore

@Suite("Plural")
struct PluralTests {
    @Test("The noun fits the count")
    func plural() {
        #expect(IAMScribeCore.plural(1, "call") == "1 call")
        #expect(IAMScribeCore.plural(0, "call") == "0 calls")
        #expect(IAMScribeCore.plural(2, "action request") == "2 action requests")
        #expect(IAMScribeCore.plural(2, "policy", "policies") == "2 policies")
    }
}
