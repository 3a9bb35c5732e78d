import Testing
@testable import IAMScribeCore

@Suite("Access key ids: the account they encode")
struct AccessKeyIDTests {
    /// Encodes an account the way AWS key ids do (flag bit, 40-bit account, 7 more bits; base32),
    /// written apart from the decoder so that the two check each other.
    static func keyID(prefix: String, account: UInt64, low: UInt64 = 0x55) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var bits = (1 << 47 | account << 7 | (low & 0x7f)) << 2 // 50 bits: ten characters
        var characters: [Character] = []
        for _ in 0..<10 {
            characters.insert(alphabet[Int(bits & 31)], at: 0)
            bits >>= 5
        }
        return prefix + String(characters) + "QRSTUV"
    }

    @Test("A published temporary key id: ASIAY34FZKBOKMUTVV7A is account 609629065308")
    func published() {
        // The example of Tal Be'ery's "A short note on AWS KEY ID" (2023), which also gives the
        // algorithm; the account printed there is 609629065308.
        #expect(AccessKeyID("ASIAY34FZKBOKMUTVV7A").accountID == "609629065308")
        // Derived with the algorithm (not checked against a published account): leading zeros kept.
        #expect(AccessKeyID("AKIAQYLPMN5HHHFPZAM2").accountID == "052310077262")
    }

    @Test("Accounts encoded apart decode to themselves, leading zeros and all")
    func roundTrip() {
        for account: UInt64 in [123_456_789_012, 1, 999_999_999_999, 52_310_077_262, 609_629_065_308] {
            let digits = String(account)
            let expected = String(repeating: "0", count: 12 - digits.count) + digits
            #expect(AccessKeyID(Self.keyID(prefix: "AKIA", account: account)).accountID == expected)
            #expect(AccessKeyID(Self.keyID(prefix: "ASIA", account: account, low: 0)).accountID == expected)
        }
    }

    @Test("Old key ids, other prefixes and damaged ids encode no account")
    func none() {
        // The documentation's example is of the old form (flag bit clear).
        #expect(AccessKeyID("AKIAIOSFODNN7EXAMPLE").accountID == nil)
        #expect(AccessKeyID("AIDAY34FZKBOKMUTVV7A").accountID == nil)
        #expect(AccessKeyID("ASIAY34FZKBO").accountID == nil)
        #expect(AccessKeyID("ASIAY34FZ0BOKMUTVV7A").accountID == nil)
        #expect(AccessKeyID("asiay34fzkbokmutvv7a").accountID == nil)
        #expect(AccessKeyID("").accountID == nil)
        // 40 bits hold more than 12 digits: such an id is no AWS key id.
        #expect(AccessKeyID(Self.keyID(prefix: "AKIA", account: 1_000_000_000_000)).accountID == nil)
    }

    @Test("Account ids are 12 ASCII digits")
    func accountIDs() {
        #expect(AccessKeyID.isAccountID("123456789012"))
        #expect(!AccessKeyID.isAccountID("12345678901"))
        #expect(!AccessKeyID.isAccountID("1234567890123"))
        #expect(!AccessKeyID.isAccountID("12345678901a"))
        #expect(!AccessKeyID.isAccountID("١٢٣٤٥٦٧٨٩٠١٢"))
    }
}
