#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// Reads observed calls from the files `generate` (and later `diff`) take.
public enum CallInput {
    /// What one file gave.
    public struct FileResult: Sendable {
        /// The file.
        public let path: String
        /// The format it was read as.
        public let format: Format
        /// The calls it held.
        public let calls: [ObservedCall]
        /// What was wrong with the file, each located in it: an error for each part that could
        /// not be read (a bad line, a damaged capture), which the calls therefore lack.
        public let diagnostics: [Diagnostic]
        /// For a capture file: what it held besides the calls (TLS endpoints, skipped requests).
        public var capture: CaptureStatistics? = nil
        /// For CloudTrail input: what the trail held besides the calls (the coverage report).
        public var cloudTrail: CloudTrailStatistics? = nil

        /// Whether part of the file could not be read (some diagnostic is an error).
        public var isDamaged: Bool { diagnostics.containsError }

        /// Whether the file gave errors and nothing else: no call was read from it.
        public var isUnreadable: Bool { calls.isEmpty && isDamaged }
    }

    /// The formats iamscribe reads.
    public enum Format: String, Sendable {
        /// CSM events, one JSON object a line.
        case csmLines = "CSM events"
        /// An iamscribe session journal.
        case session = "session journal"
        /// A pcap capture file.
        case pcap = "pcap capture"
        /// A pcapng capture file.
        case pcapng = "pcapng capture"
        /// CloudTrail events: a log file (gzip or not), a folder of them, an export, or the
        /// result of `iamscribe cloudtrail query`.
        case cloudTrail = "CloudTrail events"
    }

    /// Reads one file, telling its format from its content.
    ///
    /// A FIFO, `/dev/stdin` or the `/dev/fd/N` of process substitution is read as a stream, to
    /// its end; a FIFO no program writes to yet is waited for.
    ///
    /// CloudTrail input is streamed (a folder is read recursively, on several threads), never
    /// held whole; its calls come out distinct, each with the earliest time it was made.
    ///
    /// - Parameters:
    ///   - path: The file or CloudTrail folder, or `-` for standard input.
    ///   - capture: How to decode a capture file (its CSM ports, for example).
    ///   - cloudTrail: Which CloudTrail events become calls, and the threads that read them.
    ///   - waiting: Told when the reading waits for a program to open a FIFO for writing.
    /// - Throws: ``IAMScribeError`` when the file cannot be read.
    public static func read(path: String, capture: CaptureOptions = CaptureOptions(),
                            cloudTrail: CloudTrailReader.Options = CloudTrailReader.Options(),
                            waiting: ((String) -> Void)? = nil) throws -> FileResult {
        if path != "-" {
            if InputFile.isFolder(path), CloudTrailReader.isTrailFolder(path) {
                return cloudTrailResult(path: path, try CloudTrailReader.read(paths: [path], options: cloudTrail))
            }
            if InputFile.isRegularFile(path), CloudTrailReader.looksLikeCloudTrail(head(path: path)) {
                return cloudTrailResult(path: path, try CloudTrailReader.read(paths: [path], options: cloudTrail))
            }
        }
        // A capture file can be large: libpcap reads it from disk rather than from memory. Only a
        // regular file is looked into first: a stream's first bytes, once read, are gone.
        if path != "-", InputFile.isRegularFile(path), let format = captureFormat(path: path) {
            return fileResult(path: path, format: format, try CaptureFile.read(path: path, options: capture))
        }
        var bytes: [UInt8]
        if path == "-" {
            // Standard input is told by its first bytes; CloudTrail input then streams on.
            let first = InputFile.head(descriptor: 0, count: 1 << 16)
            if CloudTrailReader.looksLikeCloudTrail(first) {
                return cloudTrailResult(path: path, CloudTrailReader.read(descriptor: 0, head: first, name: path, options: cloudTrail))
            }
            bytes = first + (try InputFile.readRest(descriptor: 0, path: path))
        } else if InputFile.isRegularFile(path) {
            bytes = try InputFile.read(path: path, waiting: waiting)
        } else {
            // A FIFO, `/dev/stdin` or process substitution: told by its first bytes like standard
            // input, so that CloudTrail streams on rather than being held whole.
            let (descriptor, opened) = try InputFile.openStream(path: path, waiting: waiting)
            defer { Glibc.close(descriptor) }
            let first = opened + InputFile.head(descriptor: descriptor, count: (1 << 16) - opened.count)
            if CloudTrailReader.looksLikeCloudTrail(first) {
                return cloudTrailResult(path: path, CloudTrailReader.read(descriptor: descriptor, head: first, name: path, options: cloudTrail))
            }
            bytes = first + (try InputFile.readRest(descriptor: descriptor, path: path))
        }
        if CloudTrailReader.looksLikeCloudTrail(Array(bytes.prefix(1 << 16))) {
            return cloudTrailResult(path: path, CloudTrailReader.read(bytes: bytes, name: path, options: cloudTrail))
        }
        if let format = CaptureFile.format(of: bytes) {
            return fileResult(path: path, format: format, try CaptureFile.read(bytes: bytes, name: path, options: capture))
        }
        if SessionJournal.looksLikeJournal(bytes) {
            let (calls, diagnostics) = SessionJournal.read(bytes)
            return FileResult(path: path, format: .session, calls: calls, diagnostics: diagnostics.map { $0.inFile(path) })
        }
        let (calls, bad) = CSMLineReader.read(bytes)
        return FileResult(path: path, format: .csmLines, calls: calls,
                          diagnostics: bad.map { .error("\($0.rejection)", at: .init(file: path, line: $0.line)) })
    }

    private static func cloudTrailResult(path: String, _ result: CloudTrailReader.Result) -> FileResult {
        var file = FileResult(path: path, format: .cloudTrail, calls: result.calls, diagnostics: result.diagnostics)
        file.cloudTrail = result.statistics
        return file
    }

    /// The first 64 KB of a file (fewer when it is shorter).
    private static func head(path: String) -> [UInt8] {
        (try? InputFile.read(path: path, upTo: 1 << 16)) ?? []
    }

    private static func captureFormat(path: String) -> CaptureFile.Format? {
        guard let head = try? InputFile.read(path: path, upTo: 4) else { return nil }
        return CaptureFile.format(of: head)
    }

    private static func fileResult(path: String, format: CaptureFile.Format, _ result: CaptureFile.Result) -> FileResult {
        var file = FileResult(path: path, format: format == .pcap ? .pcap : .pcapng, calls: result.calls,
                              diagnostics: result.damage.map { [$0.inFile(path)] } ?? [])
        file.capture = result.statistics
        return file
    }
}
