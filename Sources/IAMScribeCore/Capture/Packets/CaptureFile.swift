#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import Synchronization

/// Reads pcap and pcapng capture files into calls.
public enum CaptureFile {
    /// What a capture file gave.
    public struct Result: Sendable {
        /// The calls, in the order their requests were sent.
        public var calls: [ObservedCall]
        /// What was seen besides the calls.
        public var statistics: CaptureStatistics
        /// Why reading stopped before the end of the file, when it did (a truncated or damaged
        /// file): an error located at the record where the damage is (without the file's name);
        /// the calls decoded before the damage are kept.
        public var damage: Diagnostic?
    }

    /// The capture formats, told from a file's first four bytes.
    public enum Format: Sendable {
        /// libpcap's classic format, either byte order, micro- or nanosecond timestamps.
        case pcap
        /// pcapng.
        case pcapng
    }

    /// The format of a file that starts with `bytes`, or nil when it is not a capture file.
    public static func format(of bytes: some Collection<UInt8>) -> Format? {
        let magic = Array(bytes.prefix(4))
        guard magic.count == 4 else { return nil }
        switch (magic[0], magic[1], magic[2], magic[3]) {
        case (0xD4, 0xC3, 0xB2, 0xA1), (0xA1, 0xB2, 0xC3, 0xD4), (0x4D, 0x3C, 0xB2, 0xA1), (0xA1, 0xB2, 0x3C, 0x4D):
            return .pcap
        case (0x0A, 0x0D, 0x0D, 0x0A):
            return .pcapng
        default:
            return nil
        }
    }

    /// Which code reads the records of a file.
    enum Reader: Sendable {
        /// ``PcapFileReader`` for the classic pcap files it takes, libpcap for the rest.
        case fastest
        /// libpcap for every file (to check the other reader against it).
        case libpcap
    }

    /// Reads a capture file.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - options: How to decode.
    ///   - table: The action table.
    /// - Throws: ``IAMScribeError`` when the file cannot be opened or its link layer is not supported.
    public static func read(path: String, options: CaptureOptions = CaptureOptions(), table: ActionTable = .bundled) throws -> Result {
        try read(path: path, options: options, table: table, reader: .fastest)
    }

    /// Reads a capture file with the reader given.
    static func read(path: String, options: CaptureOptions = CaptureOptions(), table: ActionTable = .bundled,
                     reader: Reader) throws -> Result {
        if reader == .fastest, let records = try PcapFileReader(path: path) {
            // Only a regular file can be opened again by each thread (not a pipe).
            let threads = records.isRegularFile ? threadCount(options: options, size: records.fileSize) : 1
            guard threads > 1 else { return merge([try decode(records, options: options, table: table)]) }
            // Each thread reads the file on its own: the page cache holds it once, and bytes copied
            // from it by read(2) are in the processor's cache when the thread decodes them, where
            // mapped bytes would come from memory. All stop at the size it has now, should the
            // file still be growing (a capture being written).
            let size = records.fileSize
            return try decodeInParallel(threads: threads) { shard in
                guard let records = try PcapFileReader(path: path, limit: size) else {
                    throw IAMScribeError(.unreadableInput, "\(path) changed while it was read")
                }
                return try decode(records, options: options, table: table, shard: shard)
            }
        }
        return merge([try decode(PcapHandle(file: path), options: options, table: table)])
    }

    /// Reads a capture file held in memory (standard input, for example).
    ///
    /// - Throws: ``IAMScribeError`` when the bytes are not a capture or its link layer is not supported.
    public static func read(bytes: [UInt8], name: String, options: CaptureOptions = CaptureOptions(),
                            table: ActionTable = .bundled) throws -> Result {
        try read(bytes: bytes, name: name, options: options, table: table, reader: .fastest)
    }

    /// Reads a capture file held in memory with the reader given.
    static func read(bytes: [UInt8], name: String, options: CaptureOptions = CaptureOptions(),
                     table: ActionTable = .bundled, reader: Reader) throws -> Result {
        if reader == .fastest, let result = try bytes.withUnsafeBytes({ try read(memory: $0, options: options, table: table) }) {
            return result
        }
        return merge([try decode(PcapHandle(bytes: bytes, name: name), options: options, table: table)])
    }

    /// Reads a classic pcap capture held in memory (which must stay valid meanwhile) on as many
    /// threads as the options say, or answers nil when ``PcapFileReader`` does not take it.
    ///
    /// Each thread walks every record and decodes the packets of its share of host pairs (see
    /// ``PacketPipeline/shard(of:among:)``): a connection, a fragmented datagram and a client's
    /// CSM events are always whole on one thread, so the calls are those one thread would find.
    static func read(memory: UnsafeRawBufferPointer, options: CaptureOptions, table: ActionTable) throws -> Result? {
        guard let reader = PcapFileReader(memory: memory) else { return nil }
        let threads = threadCount(options: options, size: memory.count)
        guard threads > 1 else { return merge([try decode(reader, options: options, table: table)]) }
        // Each thread's records reader sees the whole capture; it only reads it.
        nonisolated(unsafe) let memory = memory
        return try decodeInParallel(threads: threads) { shard in
            // The header was read above: the same bytes give the same reader.
            guard let reader = PcapFileReader(memory: memory) else { throw IAMScribeError(.invalidInput, "not a pcap capture") }
            return try decode(reader, options: options, table: table, shard: shard)
        }
    }

    /// How many threads decode a capture of `size` bytes.
    private static func threadCount(options: CaptureOptions, size: Int) -> Int {
        if options.threads > 0 { return options.threads }
        // Starting threads for a small capture would cost more than it saves. Each thread copies
        // the whole file out of the page cache (about 0.1 s a gigabyte here), so beyond a few the
        // copies, and the memory bandwidth they share, outweigh the decoding they split.
        return size < 8 << 20 ? 1 : min(ProcessInfo.processInfo.activeProcessorCount, 4)
    }

    /// Decodes the shards of a capture on `threads` threads, each walking every record and
    /// decoding the packets of its share of host pairs (see ``PacketPipeline/shard(of:among:)``):
    /// a connection, a fragmented datagram and a client's CSM events are always whole in one
    /// shard, so the calls are those one thread would find.
    private static func decodeInParallel(threads: Int,
                                         _ decodeShard: @Sendable ((index: Int, count: Int)) throws -> Part) throws -> Result {
        let parts = Mutex<[Int: Swift.Result<Part, any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: threads) { index in
            let part = Swift.Result { try decodeShard((index, threads)) }
            parts.withLock { $0[index] = part }
        }
        // Taken out of the lock, so that merging moves the only copy of each part's calls. Every
        // thread has put its part in before concurrentPerform returns.
        return merge(try parts.withLock { parts in
            try (0..<threads).map { index in
                guard let part = parts.removeValue(forKey: index) else {
                    throw IAMScribeError(.system, "a decoding thread gave no result")
                }
                return try part.get()
            }
        })
    }

    /// What one pipeline made of a capture (or of its share of one).
    struct Part {
        /// The calls, in the order they completed.
        var calls: [ObservedCall]
        /// The times and indexes of ``calls`` in the order the calls were made (by time; in
        /// completion order among equal times). The times are here so that ordering and merging
        /// read them in sequence rather than from each call.
        var order: [(time: Double, index: Int)]
        var statistics: CaptureStatistics
        /// Why the records ended early, when they did.
        var damage: String?
    }

    /// Decodes every packet of a source, or of its shard; damage stops the reading and is reported.
    static func decode(_ handle: some PacketSource, options: CaptureOptions = CaptureOptions(),
                       table: ActionTable = .bundled, shard: (index: Int, count: Int)? = nil) throws -> Part {
        let pipeline = try PacketPipeline(linkType: handle.linkType, options: options, table: table)
        var damage: String?
        reading: while true {
            switch handle.next({ packet, wireLength, seconds, microseconds in
                if let shard, pipeline.shard(of: packet, among: shard.count) != shard.index { return }
                pipeline.process(packet, wireLength: wireLength, time: Double(seconds) + Double(microseconds) / 1_000_000)
            }) {
            case .packet, .timeout: continue
            case .end: break reading
            case .failed(let reason):
                damage = reason
                break reading
            }
        }
        pipeline.finish()
        // Calls complete when their responses come; the policy wants them in the order they were
        // made. Their indexes are sorted here, in the part's thread; the calls move once, on merging.
        let calls = pipeline.takeCalls()
        var order = calls.indices.map { (time: calls[$0].time.timeIntervalSince1970, index: $0) }
        order.sort { $0.time < $1.time }
        return Part(calls: calls, order: order, statistics: pipeline.statistics, damage: damage)
    }

    /// Reads every packet of a source into calls; damage stops the reading and is reported.
    static func read(_ handle: some PacketSource, options: CaptureOptions = CaptureOptions(),
                     table: ActionTable = .bundled) throws -> Result {
        merge([try decode(handle, options: options, table: table)])
    }

    /// The calls of all parts in the order they were made, and their counts added up.
    private static func merge(_ parts: consuming [Part]) -> Result {
        var statistics = CaptureStatistics()
        for part in parts.indices { statistics.add(parts[part].statistics) }
        let damage = parts.indices.lazy.compactMap { parts[$0].damage }.first.map {
            Diagnostic.error("the capture is damaged after \(statistics.packets) packets (\($0)); the calls before the damage are kept",
                             at: .init(record: statistics.packets + 1))
        }
        // Each part's order is merged with the others', the first part first among equal times.
        // The calls are moved, not copied: a copy would retain every string of a call, and
        // releasing the parts would release them all again. Each part's calls move in one piece
        // to a buffer of its own, their slots in the part getting empty calls (cheap to release),
        // and from there one by one into place.
        let empty = ObservedCall(source: .pcap, time: Date(timeIntervalSince1970: 0), service: "", operation: "")
        var sources: [UnsafeMutableBufferPointer<ObservedCall>] = []
        defer { for source in sources { source.deallocate() } }
        for part in parts.indices {
            let source = UnsafeMutableBufferPointer<ObservedCall>.allocate(capacity: parts[part].calls.count)
            parts[part].calls.withUnsafeMutableBufferPointer { calls in
                _ = source.moveInitialize(fromContentsOf: calls)
                calls.initialize(repeating: empty)
            }
            sources.append(source)
        }
        let orders = (0..<parts.count).map { parts[$0].order }
        var calls: [ObservedCall] = []
        calls.reserveCapacity(sources.reduce(0) { $0 + $1.count })
        var next = [Int](repeating: 0, count: sources.count)
        while true {
            var earliest = -1
            for part in sources.indices where next[part] < orders[part].count {
                if earliest < 0 || orders[part][next[part]].time < orders[earliest][next[earliest]].time { earliest = part }
            }
            guard earliest >= 0, let base = sources[earliest].baseAddress else { break }
            calls.append((base + orders[earliest][next[earliest]].index).move())
            next[earliest] += 1
        }
        return Result(calls: calls, statistics: statistics, damage: damage)
    }
}
