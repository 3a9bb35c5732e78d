@testable import IAMScribeCore
import Testing

@Suite("TCP stream reassembly")
struct TCPStreamReassemblerTests {
    /// Feeds segments (sequence, text) and returns the stream, with gaps as `<gap N>`.
    private func reassemble(_ segments: [(UInt32, String)], synAt: UInt32? = nil, limit: Int = 1 << 20) -> (String, Int) {
        var stream = TCPStreamReassembler(maximumBuffered: limit)
        if let synAt { stream.synchronize(initialSequence: synAt) }
        var output = ""
        let deliver: (TCPStreamReassembler.Chunk) -> Void = { chunk in
            switch chunk {
            case .bytes(let bytes): output += String(decoding: bytes, as: UTF8.self)
            case .gap(let count): output += "<gap \(count)>"
            }
        }
        for (sequence, text) in segments {
            Array(text.utf8).withUnsafeBytes { stream.accept(sequence: sequence, payload: $0, missing: 0, deliver: deliver) }
        }
        stream.finish(deliver: deliver)
        return (output, stream.retransmittedSegments)
    }

    @Test("In order")
    func inOrder() {
        #expect(reassemble([(100, "abc"), (103, "def"), (106, "g")], synAt: 99).0 == "abcdefg")
    }

    @Test("Out of order, in every permutation of four segments")
    func permutations() {
        let segments: [(UInt32, String)] = [(1, "ab"), (3, "cd"), (5, "ef"), (7, "gh")]
        func permute(_ items: [(UInt32, String)]) -> [[(UInt32, String)]] {
            guard items.count > 1 else { return [items] }
            return items.indices.flatMap { index in
                var rest = items
                let item = rest.remove(at: index)
                return permute(rest).map { [item] + $0 }
            }
        }
        for order in permute(segments) {
            #expect(reassemble(order, synAt: 0).0 == "abcdefgh")
        }
    }

    @Test("Retransmissions and overlaps are trimmed")
    func retransmissions() {
        let (text, retransmitted) = reassemble([(1, "abcd"), (1, "abcd"), (3, "cdef"), (9, "ij"), (7, "gh"), (7, "ghij"), (2, "b")], synAt: 0)
        #expect(text == "abcdefghij")
        #expect(retransmitted >= 3)
    }

    @Test("A hole that never fills becomes a gap at the end, or when too much waits")
    func holes() {
        #expect(reassemble([(1, "ab"), (6, "fg")], synAt: 0).0 == "ab<gap 3>fg")
        #expect(reassemble([(1, "ab"), (6, "fghij"), (11, "klmno")], synAt: 0, limit: 6).0 == "ab<gap 3>fghijklmno")
    }

    @Test("Sequence numbers wrap around")
    func wraparound() {
        #expect(reassemble([(UInt32.max - 1, "ab"), (0, "cd"), (2, "ef")], synAt: UInt32.max - 2).0 == "abcdef")
        #expect(reassemble([(0, "cd"), (UInt32.max - 1, "ab")], synAt: UInt32.max - 2).0 == "abcd")
    }

    @Test("Without a SYN the first segment starts the stream")
    func midStream() {
        #expect(reassemble([(5000, "xyz"), (5003, "w")]).0 == "xyzw")
    }
}
