/// An IPv4 or IPv6 address, IPv4 held as an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`).
struct IPAddress: Hashable, Comparable {
    let high: UInt64
    let low: UInt64

    /// An IPv4 address from its 32 bits.
    init(v4: UInt32) {
        high = 0
        low = 0xFFFF_0000_0000 | UInt64(v4)
    }

    /// An IPv6 address from its two halves.
    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    static func < (a: IPAddress, b: IPAddress) -> Bool {
        (a.high, a.low) < (b.high, b.low)
    }
}
