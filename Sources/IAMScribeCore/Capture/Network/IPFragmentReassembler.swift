/// Puts fragmented IP datagrams back together, within fixed bounds.
///
/// Each datagram in flight holds at most 64 KiB; at most ``maximumDatagrams`` are in flight, and
/// one whose fragments stop coming is dropped after ``timeout`` seconds. Overlapping fragments
/// (a classic evasion trick) drop the datagram rather than guess which copy is right.
struct IPFragmentReassembler {
    struct Key: Hashable {
        let source: IPAddress
        let destination: IPAddress
        let identification: UInt32
        let proto: UInt8
    }

    private struct Datagram {
        var payload: [UInt8] = []
        /// Received byte ranges, sorted and disjoint.
        var ranges: [Range<Int>] = []
        /// The payload length, once the last fragment came.
        var total: Int?
        var firstSeen: Double
    }

    /// At most this many datagrams wait for fragments at once.
    var maximumDatagrams = 256
    /// Seconds a datagram may wait for its missing fragments.
    var timeout = 30.0

    private var pending: [Key: Datagram] = [:]

    /// Takes one fragment.
    ///
    /// - Parameters:
    ///   - key: The datagram the fragment belongs to.
    ///   - offset: The fragment's offset in the datagram's payload, in bytes.
    ///   - moreFragments: Whether more fragments follow this one.
    ///   - bytes: The fragment's payload.
    ///   - time: The packet's capture time.
    ///   - dropped: Incremented for each datagram given up.
    /// - Returns: The whole payload when this fragment completes the datagram.
    mutating func add(
        key: Key, offset: Int, moreFragments: Bool, bytes: UnsafeRawBufferPointer, time: Double, dropped: inout Int
    ) -> [UInt8]? {
        let end = offset + bytes.count
        guard end <= 65_535, !(moreFragments && bytes.count % 8 != 0) else {
            dropped += 1
            pending[key] = nil
            return nil
        }
        if pending[key] == nil {
            expire(now: time, dropped: &dropped)
            if pending.count >= maximumDatagrams, let oldest = pending.min(by: { $0.value.firstSeen < $1.value.firstSeen }) {
                pending[oldest.key] = nil
                dropped += 1
            }
            pending[key] = Datagram(firstSeen: time)
        }
        guard var datagram = pending.removeValue(forKey: key) else { return nil }
        if datagram.ranges.contains(where: { $0.overlaps(offset..<end) }) || (datagram.total.map { end > $0 } ?? false)
            || (!moreFragments && datagram.ranges.contains { $0.upperBound > end }) {
            dropped += 1
            return nil
        }
        if datagram.payload.count < end { datagram.payload.append(contentsOf: repeatElement(0, count: end - datagram.payload.count)) }
        datagram.payload.replaceSubrange(offset..<end, with: bytes)
        datagram.ranges.append(offset..<end)
        datagram.ranges.sort { $0.lowerBound < $1.lowerBound }
        if !moreFragments { datagram.total = end }
        if let total = datagram.total {
            var covered = 0
            for range in datagram.ranges {
                guard range.lowerBound == covered else { break }
                covered = range.upperBound
            }
            if covered == total {
                return Array(datagram.payload.prefix(total))
            }
        }
        pending[key] = datagram
        return nil
    }

    /// Drops datagrams that waited longer than ``timeout``.
    mutating func expire(now: Double, dropped: inout Int) {
        guard !pending.isEmpty else { return }
        let before = pending.count
        pending = pending.filter { now - $0.value.firstSeen < timeout }
        dropped += before - pending.count
    }

    /// The number of datagrams waiting for fragments.
    var count: Int { pending.count }
}
