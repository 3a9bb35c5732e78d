#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import Dispatch
import Glibc

/// Reads CloudTrail input: delivered log files (gzip or not), folders in the S3 delivery layout,
/// Lake and event history exports, and Athena results of `iamscribe cloudtrail query`.
///
/// Nothing is held whole: each file is read in chunks, inflated and split into records as the
/// chunks come, and each record is decoded and dropped. Only the distinct calls stay (a call
/// repeated a million times is one call, with the earliest time it was made). Files are shared
/// out to several threads; each share keeps its own calls and statistics, merged at the end in
/// a way that does not depend on which thread read what.
public enum CloudTrailReader {
    /// What was read.
    public struct Result: Sendable {
        /// The distinct calls, sorted by time, then service and operation.
        public var calls: [ObservedCall]
        /// The coverage report's counts.
        public var statistics: CloudTrailStatistics
        /// Errors, each naming its file and record: a corrupt gzip member, a bad record.
        public var diagnostics: [Diagnostic]
    }

    /// How to read.
    public struct Options: Sendable {
        /// Which events become calls.
        public var filter: CloudTrailFilter
        /// Threads that read files (0: one a processor).
        public var threads: Int
        /// Keep every request parameter of a call, not only those a policy can depend on
        /// (``CloudTrailParameterNames``): for tests that check the two give the same policy.
        package var keepsEveryParameter = false

        /// The parameter names calls keep, or nil for all.
        var parameterNames: CloudTrailParameterNames? { keepsEveryParameter ? nil : .bundled }

        public init(filter: CloudTrailFilter = CloudTrailFilter(), threads: Int = 0) {
            self.filter = filter
            self.threads = threads
        }
    }

    /// The most diagnostics kept of one file; the rest are counted in one more.
    static let diagnosticsPerFile = 20
    static let chunkSize = 1 << 20

    /// Whether the first bytes of a file are CloudTrail input (gzip data is looked into).
    ///
    /// - Parameter head: The first bytes (a few kilobytes are enough).
    /// - Returns: True for a delivered log file, a JSON array or JSON lines of CloudTrail events,
    ///   an Athena result of `cloudtrail query`, or gzip data holding one of those.
    public static func looksLikeCloudTrail(_ head: [UInt8]) -> Bool {
        if head.starts(with: [0x1F, 0x8B]) {
            var inflated: [UInt8] = []
            let inflater = GzipInflater(outputChunk: 1 << 14)
            try? inflater.inflate(head) { chunk in
                if inflated.count < 1 << 14 { inflated.append(contentsOf: chunk) }
            }
            return looksLikeCloudTrail(inflated)
        }
        if AthenaResult.looksLikeResult(head) { return true }
        guard let layout = try? CloudTrailRecordSplitter.layout(of: head) else { return false }
        if layout == .delivered { return true }
        // An array or lines of events: the first object names CloudTrail's fields.
        let text = head.prefix(8192)
        return contains(text, "\"eventVersion\"") || contains(text, "\"eventSource\"")
    }

    private static func contains(_ bytes: ArraySlice<UInt8>, _ needle: String) -> Bool {
        let pattern = Array(needle.utf8)
        guard bytes.count >= pattern.count else { return false }
        var index = bytes.startIndex
        while index + pattern.count <= bytes.endIndex {
            if bytes[index] == pattern[0] && bytes[index..<index + pattern.count].elementsEqual(pattern) { return true }
            index += 1
        }
        return false
    }

    /// Whether a folder is (part of) the S3 delivery layout: it holds `AWSLogs/`, or lies within
    /// `AWSLogs/…` (an account, `CloudTrail/`, a region or a day). Other folders are not read:
    /// a folder given by mistake (`/`) must not send the reader through the whole disk.
    public static func isTrailFolder(_ path: String) -> Bool {
        let components = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
        if components.contains("AWSLogs") { return true }
        return InputFile.isFolder(path + "/AWSLogs")
    }

    /// The files of a folder that may hold CloudTrail records, sorted; the delivery layout's
    /// digest files (`CloudTrail-Digest/`) are left out.
    ///
    /// - Throws: ``IAMScribeError`` when the folder cannot be listed.
    public static func files(inFolder folder: String) throws -> [String] {
        guard let relatives = try? FileManager.default.subpathsOfDirectory(atPath: folder) else {
            throw IAMScribeError(.unreadableInput, "cannot read the folder \(folder)")
        }
        var found: [String] = []
        for relative in relatives {
            let components = relative.split(separator: "/")
            if components.contains("CloudTrail-Digest") { continue }
            let lower = relative.lowercased()
            guard lower.hasSuffix(".json") || lower.hasSuffix(".json.gz") || lower.hasSuffix(".jsonl")
                || lower.hasSuffix(".jsonl.gz") || lower.hasSuffix(".csv") || lower.hasSuffix(".csv.gz") else { continue }
            let path = folder.hasSuffix("/") ? folder + relative : folder + "/" + relative
            if InputFile.isRegularFile(path) { found.append(path) }
        }
        return found.sorted()
    }

    /// Reads files and folders.
    ///
    /// - Parameters:
    ///   - paths: Files, or folders read recursively (``files(inFolder:)``).
    ///   - options: The filter and the threads.
    /// - Returns: The calls, the statistics, and an error for each part that could not be read.
    /// - Throws: ``IAMScribeError`` when a folder cannot be listed or holds no log file.
    public static func read(paths: [String], options: Options = Options()) throws -> Result {
        var found: [String] = []
        for path in paths {
            if InputFile.isFolder(path) {
                guard isTrailFolder(path) else {
                    throw IAMScribeError(.unreadableInput, "cannot read \(path): it is a folder, and not one of CloudTrail's delivery layout (AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/)")
                }
                let files = try Self.files(inFolder: path)
                if files.isEmpty {
                    throw IAMScribeError(.invalidInput, "\(path) holds no CloudTrail log files (*.json.gz, *.json, *.jsonl, *.csv)")
                }
                found += files
            } else {
                found.append(path)
            }
        }
        let maker = CloudTrailCallMaker(names: CloudTrailNames(table: .bundled), filter: options.filter, parameterNames: options.parameterNames)
        let files = found
        let processors = ProcessInfo.processInfo.activeProcessorCount
        let threads = max(1, min(files.count, options.threads > 0 ? options.threads : processors))
        let next = Mutex(0)
        let shares = Mutex<[Int: Share]>([:])
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            var share = Share()
            var maker = maker
            // One file alone: inflated on one thread, its records read on another.
            let pipelined = files.count == 1 && pipelines(options)
            while true {
                let index = next.withLock { value -> Int in
                    defer { value += 1 }
                    return value
                }
                guard index < files.count else { break }
                share.read(file: files[index], maker: &maker, pipelined: pipelined)
            }
            shares.withLock { $0[thread] = share }
        }
        var total = Share()
        for share in shares.withLock({ $0 }).sorted(by: { $0.key < $1.key }).map(\.value) { total.merge(share) }
        return total.result()
    }

    /// Reads a stream (standard input) whose first bytes were already read to tell its format.
    ///
    /// - Parameters:
    ///   - descriptor: The stream.
    ///   - head: The bytes already read from it.
    ///   - name: How diagnostics name it.
    ///   - options: The filter.
    public static func read(descriptor: Int32, head: [UInt8], name: String, options: Options = Options()) -> Result {
        var share = Share()
        var maker = CloudTrailCallMaker(names: CloudTrailNames(table: .bundled), filter: options.filter, parameterNames: options.parameterNames)
        share.read(descriptor: descriptor, head: head, name: name, maker: &maker, pipelined: pipelines(options))
        return share.result()
    }

    /// Reads CloudTrail input already in memory (a FIFO's or process substitution's content).
    public static func read(bytes: [UInt8], name: String, options: Options = Options()) -> Result {
        var share = Share()
        var maker = CloudTrailCallMaker(names: CloudTrailNames(table: .bundled), filter: options.filter, parameterNames: options.parameterNames)
        share.read(descriptor: -1, head: bytes, name: name, maker: &maker)
        return share.result()
    }

    /// What one thread read.
    struct Share {
        var calls: [ObservedCall: Date] = [:]
        var statistics = CloudTrailStatistics()
        var diagnostics: [Diagnostic] = []

        mutating func merge(_ other: Share) {
            for (call, time) in other.calls {
                if let known = calls[call], known <= time { continue }
                calls[call] = time
            }
            statistics.merge(other.statistics)
            diagnostics += other.diagnostics
        }

        func result() -> Result {
            var list = calls.map { call, time in
                var call = call
                call.time = time
                return call
            }
            list.sort { a, b in
                if a.time != b.time { return a.time < b.time }
                if a.service != b.service { return a.service < b.service }
                if a.operation != b.operation { return a.operation < b.operation }
                return SessionJournal.line(for: a) < SessionJournal.line(for: b)
            }
            let sortedDiagnostics = diagnostics.sorted { ($0.location?.file ?? "", $0.location?.record ?? 0) < ($1.location?.file ?? "", $1.location?.record ?? 0) }
            return Result(calls: list, statistics: statistics, diagnostics: sortedDiagnostics)
        }

        mutating func add(_ call: ObservedCall) {
            var key = call
            let time = call.time
            key.time = Date(timeIntervalSince1970: 0)
            if let known = calls[key], known <= time { return }
            calls[key] = time
        }

        mutating func read(file path: String, maker: inout CloudTrailCallMaker, pipelined: Bool = false) {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                diagnostics.append(.error("cannot read it: \(String(cString: strerror(errno)))", at: .init(file: path)))
                return
            }
            defer { close(descriptor) }
            read(descriptor: descriptor, head: [], name: path, maker: &maker, pipelined: pipelined)
        }

        mutating func read(descriptor: Int32, head: [UInt8], name: String, maker: inout CloudTrailCallMaker,
                           pipelined: Bool = false) {
            statistics.files += 1
            var reader = FileReader(name: name, maker: maker)
            defer { maker = reader.maker }
            if pipelined && descriptor >= 0 {
                readPipelined(descriptor: descriptor, head: head, reader: &reader)
                return
            }
            var chunk = [UInt8](repeating: 0, count: CloudTrailReader.chunkSize)
            do {
                if !head.isEmpty { try reader.feed(head, into: &self) }
                while descriptor >= 0 {
                    let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
                    if count < 0 {
                        if errno == EINTR { continue }
                        throw IAMScribeError(.unreadableInput, "cannot read it: \(String(cString: strerror(errno)))")
                    }
                    if count == 0 { break }
                    try reader.feed(count == chunk.count ? chunk : Array(chunk[0..<count]), into: &self)
                }
                try reader.finish(into: &self)
            } catch {
                diagnostics.append(.error("\(reader.position): \(error)", at: .init(file: name, record: reader.recordsSeen > 0 ? reader.recordsSeen : nil)))
            }
            finishDiagnostics(reader)
        }

        private mutating func finishDiagnostics(_ reader: FileReader) {
            if reader.badRecords > CloudTrailReader.diagnosticsPerFile {
                diagnostics.append(.error("\(reader.badRecords - CloudTrailReader.diagnosticsPerFile) more bad records not shown", at: .init(file: reader.name)))
            }
        }

        /// Reads a stream on two threads: a producer reads and inflates (when gzip), this thread
        /// splits and decodes. Whatever fails on either side ends both, the producer first.
        private mutating func readPipelined(descriptor: Int32, head: [UInt8], reader: inout FileReader) {
            let pipe = ChunkPipe(capacity: 8)
            let done = DispatchSemaphore(value: 0)
            let produce: @Sendable () -> Void = {
                defer { done.signal() }
                var inflater: GzipInflater?
                var decided = false
                var buffer = [UInt8](repeating: 0, count: CloudTrailReader.chunkSize)
                var pending = head
                do {
                    while true {
                        let input: [UInt8]
                        if !pending.isEmpty {
                            input = pending
                            pending = []
                        } else {
                            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
                            if count < 0 {
                                if errno == EINTR { continue }
                                throw IAMScribeError(.unreadableInput, "cannot read it: \(String(cString: strerror(errno)))")
                            }
                            if count == 0 { break }
                            input = Array(buffer[0..<count])
                        }
                        if !decided {
                            decided = true
                            if input.starts(with: [0x1F, 0x8B]) { inflater = GzipInflater() }
                        }
                        var open = true
                        if let inflater {
                            try inflater.inflate(input) { chunk in if open { open = pipe.put(.chunk(Array(chunk))) } }
                        } else {
                            open = pipe.put(.chunk(input))
                        }
                        if !open { return }
                    }
                    try inflater?.finish()
                    pipe.put(.end)
                } catch {
                    pipe.put(.failure("\(error)"))
                }
            }
            do {
                try OSThread.start(name: "trail-inflate", produce)
            } catch {
                pipe.put(.failure("\(error)"))
                done.signal()
            }
            defer { done.wait() }
            do {
                reading: while true {
                    switch pipe.take() {
                    case .chunk(let bytes): try reader.feedInflated(bytes, into: &self)
                    case .end: break reading
                    case .failure(let reason): throw IAMScribeError(.invalidInput, reason)
                    }
                }
                try reader.finish(into: &self)
            } catch {
                pipe.cancel()
                diagnostics.append(.error("\(reader.position): \(error)", at: .init(file: reader.name, record: reader.recordsSeen > 0 ? reader.recordsSeen : nil)))
            }
            finishDiagnostics(reader)
        }
    }

    /// Whether a single stream is worth two threads: more than one processor, and not `--threads 1`.
    static func pipelines(_ options: Options) -> Bool {
        options.threads != 1 && ProcessInfo.processInfo.activeProcessorCount > 1
    }

    /// One file's bytes on their way to records: inflated when gzip, split, decoded.
    struct FileReader {
        let name: String
        var maker: CloudTrailCallMaker
        var kind: Kind?
        var inflater: GzipInflater?
        var splitter = CloudTrailRecordSplitter()
        var athena = AthenaResult.Reader()
        var badRecords = 0
        var recordsSeen = 0

        enum Kind { case json, athena }

        /// Where reading stopped, for an error message.
        var position: String {
            recordsSeen == 0 ? "before the first record" : "after record \(recordsSeen)"
        }

        mutating func feed(_ bytes: [UInt8], into share: inout Share) throws {
            if kind == nil && inflater == nil && bytes.starts(with: [0x1F, 0x8B]) { inflater = GzipInflater() }
            if let inflater {
                try inflater.inflate(bytes) { chunk in try self.handle(chunk, into: &share) }
            } else {
                try bytes.withUnsafeBytes { try handle($0, into: &share) }
            }
        }

        /// Feeds bytes already inflated (by the pipe's producer).
        mutating func feedInflated(_ bytes: [UInt8], into share: inout Share) throws {
            try bytes.withUnsafeBytes { try handle($0, into: &share) }
        }

        mutating func finish(into share: inout Share) throws {
            try inflater?.finish()
            switch kind {
            case .json: try splitter.finish()
            case .athena:
                var athena = self.athena
                self.athena = AthenaResult.Reader()
                defer { self.athena = athena }
                try athena.finish { row in try self.take(row, into: &share) }
            case nil: break
            }
        }

        private mutating func handle(_ bytes: UnsafeRawBufferPointer, into share: inout Share) throws {
            if kind == nil {
                kind = AthenaResult.looksLikeResult(Array(bytes.prefix(64))) ? .athena : .json
            }
            switch kind {
            case .athena:
                var athena = self.athena
                self.athena = AthenaResult.Reader()
                defer { self.athena = athena }
                try athena.feed(bytes) { row in try self.take(row, into: &share) }
            default:
                // Taken out while it runs, so that its buffer is not shared (and copied) and the
                // closure may change the rest of this reader.
                var splitter = self.splitter
                self.splitter = CloudTrailRecordSplitter()
                defer { self.splitter = splitter }
                try splitter.feed(bytes) { record, number in
                    self.recordsSeen = number
                    guard let record else {
                        self.bad("record \(number) is larger than \(CloudTrailRecordSplitter.maximumRecordBytes >> 20) MB", number, &share)
                        return
                    }
                    do {
                        let decoded = try CloudTrailRecord(record)
                        guard decoded.eventTime != nil, decoded.eventSource != nil, decoded.eventName != nil else {
                            self.bad("record \(number) is not a CloudTrail event: it lacks eventTime, eventSource or eventName", number, &share)
                            return
                        }
                        if let call = self.maker.call(from: decoded, &share.statistics) { share.add(call) }
                    } catch {
                        self.bad("record \(number) is not a JSON object: \(error)", number, &share)
                    }
                }
            }
        }

        private mutating func take(_ row: AthenaResult.Row, into share: inout Share) throws {
            recordsSeen = row.line
            switch row.record {
            case .failure(let reason):
                bad("line \(row.line): \(reason)", row.line, &share)
            case .success(let record):
                // A row stands for `calls` events: they are counted as such, and taken once.
                let call = maker.call(from: record, weight: row.count, &share.statistics)
                share.statistics.note(time: row.lastSeen)
                if let call { share.add(call) }
            }
        }

        private mutating func bad(_ message: String, _ number: Int, _ share: inout Share) {
            badRecords += 1
            if badRecords <= CloudTrailReader.diagnosticsPerFile {
                share.diagnostics.append(.error(message, at: .init(file: name, record: number)))
            }
        }
    }
}
