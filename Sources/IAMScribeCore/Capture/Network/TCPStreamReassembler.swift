/// Orders one direction of a TCP connection into a byte stream.
///
/// In-order segments go straight through without a copy. Segments from the future wait, copied,
/// until the hole before them fills; bytes seen before (retransmissions, overlaps) are trimmed.
/// When more than ``maximumBuffered`` bytes wait, or the stream ends with a hole, the hole is
/// declared lost and reported as a gap so the reader can resynchronize.
struct TCPStreamReassembler {
    /// A piece of the ordered stream.
    enum Chunk {
        /// Bytes, valid only during the delivery call.
        case bytes(UnsafeRawBufferPointer)
        /// This many bytes are missing from the capture.
        case gap(Int)
    }

    private struct Waiting {
        let sequence: UInt32
        let bytes: [UInt8]
    }

    /// The sequence number of the next byte expected; nil before the first segment.
    private(set) var next: UInt32?
    private var waiting: [Waiting] = []
    private var bufferedBytes = 0
    /// The most bytes held out of order before the hole before them is given up.
    var maximumBuffered: Int
    /// Segments or parts of segments that had been seen before.
    private(set) var retransmittedSegments = 0

    init(maximumBuffered: Int) {
        self.maximumBuffered = maximumBuffered
    }

    /// Starts the stream at a SYN's sequence number.
    mutating func synchronize(initialSequence: UInt32) {
        if next == nil { next = initialSequence &+ 1 }
    }

    /// Whether bytes wait for a hole to fill.
    var hasWaiting: Bool { !waiting.isEmpty }

    /// Takes one segment's payload.
    ///
    /// - Parameters:
    ///   - sequence: The segment's sequence number.
    ///   - payload: Its captured payload.
    ///   - missing: Payload bytes the segment carried that the capture cut off (snapshot length).
    ///   - deliver: Receives the stream's next pieces, in order.
    mutating func accept(sequence: UInt32, payload: UnsafeRawBufferPointer, missing: Int, deliver: (Chunk) -> Void) {
        let length = payload.count + missing
        guard length > 0 else { return }
        guard let expected = next else {
            next = sequence
            return accept(sequence: sequence, payload: payload, missing: missing, deliver: deliver)
        }
        let offset = Int(Int32(bitPattern: sequence &- expected))
        if offset > 0 {
            hold(sequence: sequence, payload: payload, missing: missing)
            if bufferedBytes > maximumBuffered { giveUpHole(deliver: deliver) }
            return
        }
        if -offset >= length {
            retransmittedSegments += 1
            return
        }
        if offset < 0 { retransmittedSegments += 1 }
        let skip = -offset
        if skip < payload.count {
            deliver(.bytes(UnsafeRawBufferPointer(rebasing: payload[skip...])))
        }
        let lost = skip < payload.count ? missing : length - skip
        if lost > 0 { deliver(.gap(lost)) }
        next = expected &+ UInt32(truncatingIfNeeded: length - skip)
        if !waiting.isEmpty { drain(deliver: deliver) }
    }

    /// Ends the stream: bytes still waiting behind a hole are delivered after a gap.
    mutating func finish(deliver: (Chunk) -> Void) {
        while !waiting.isEmpty { giveUpHole(deliver: deliver) }
    }

    private mutating func hold(sequence: UInt32, payload: UnsafeRawBufferPointer, missing: Int) {
        // A cut-off segment is held without its missing tail; the hole it leaves is found later.
        guard !payload.isEmpty else { return }
        let expected = next ?? sequence
        let position = Int(Int32(bitPattern: sequence &- expected))
        let index = waiting.firstIndex { Int(Int32(bitPattern: $0.sequence &- expected)) >= position } ?? waiting.count
        if index < waiting.count, waiting[index].sequence == sequence, waiting[index].bytes.count >= payload.count {
            retransmittedSegments += 1
            return
        }
        waiting.insert(Waiting(sequence: sequence, bytes: Array(payload)), at: index)
        bufferedBytes += payload.count
    }

    /// Delivers the waiting segments that now follow the stream's end.
    private mutating func drain(deliver: (Chunk) -> Void) {
        while let first = waiting.first, let expected = next {
            let offset = Int(Int32(bitPattern: first.sequence &- expected))
            guard offset <= 0 else { return }
            waiting.removeFirst()
            bufferedBytes -= first.bytes.count
            let skip = -offset
            if skip < first.bytes.count {
                first.bytes.withUnsafeBytes { deliver(.bytes(UnsafeRawBufferPointer(rebasing: $0[skip...]))) }
                next = expected &+ UInt32(truncatingIfNeeded: first.bytes.count - skip)
            } else {
                retransmittedSegments += 1
            }
        }
    }

    /// Declares the hole before the first waiting segment lost and delivers what follows it.
    private mutating func giveUpHole(deliver: (Chunk) -> Void) {
        guard let first = waiting.first, let expected = next else { return }
        let hole = Int(Int32(bitPattern: first.sequence &- expected))
        if hole > 0 {
            deliver(.gap(hole))
            next = first.sequence
        }
        drain(deliver: deliver)
    }
}
