/// Byte-level ASCII helpers shared by every stage that compares names without building strings
/// (the action table's lookups, the HTTP parser, the AWS request stage).
enum ASCII {
    /// The byte lowercased when it is an ASCII capital letter, else unchanged.
    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }
}
