/// Reads pcap and pcapng capture files into calls.
public enum CaptureFile {
    /// What a capture file gave.
    public struct Result: Sendable {
        /// The calls, in the order their requests were sent.
        public var calls: [ObservedCall]
        /// What was seen besides the calls.
        public var statistics: CaptureStatistics
        /// Why reading stopped before the end of the file, when it did (a truncated or damaged
        /// file); the calls decoded before the damage are kept.
        public var damage: String?
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
            return try read(records, options: options, table: table)
        }
        return try read(PcapHandle(file: path), options: options, table: table)
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
        if reader == .fastest {
            let result = try bytes.withUnsafeBytes { memory -> Result? in
                guard let records = PcapFileReader(memory: memory) else { return nil }
                return try read(records, options: options, table: table)
            }
            if let result { return result }
        }
        return try read(PcapHandle(bytes: bytes, name: name), options: options, table: table)
    }

    /// Reads every packet of a source into calls; damage stops the reading and is reported.
    static func read(_ handle: some PacketSource, options: CaptureOptions = CaptureOptions(),
                     table: ActionTable = .bundled) throws -> Result {
        let pipeline = try PacketPipeline(linkType: handle.linkType, options: options, table: table)
        var damage: String?
        reading: while true {
            switch handle.next({ packet, wireLength, seconds, microseconds in
                pipeline.process(packet, wireLength: wireLength, time: Double(seconds) + Double(microseconds) / 1_000_000)
            }) {
            case .packet, .timeout: continue
            case .end: break reading
            case .failed(let reason):
                damage = "the capture is damaged after \(pipeline.statistics.packets) packets (\(reason)); the calls before the damage are kept"
                break reading
            }
        }
        pipeline.finish()
        // Calls complete when their responses come; the policy wants them in the order they were made.
        // The order is found on (time, index) pairs: moving whole calls about costs more than the sort.
        let completed = pipeline.takeCalls()
        let order = completed.indices.map { (time: completed[$0].time, index: $0) }.sorted { ($0.time, $0.index) < ($1.time, $1.index) }
        let calls = order.map { completed[$0.index] }
        return Result(calls: calls, statistics: pipeline.statistics, damage: damage)
    }
}
