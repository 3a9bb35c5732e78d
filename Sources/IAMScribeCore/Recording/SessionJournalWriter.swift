#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// Appends calls to a session journal.
///
/// Lines are buffered and written with ``flush()``, which the recorder calls several times a
/// second: a `kill -9` loses at most what arrived since the last flush. The file is created with
/// mode 0600 (it holds access key ids) and only ever appended to.
public final class SessionJournalWriter {
    /// The journal's path.
    public let path: String
    /// The bytes the journal held when it was opened, when it is a regular file: what a new
    /// recording loads (later lines are this recording's own).
    public let loadableBytes: Int
    private let descriptor: Int32
    private var buffer = ""

    /// Opens (or creates) a journal for appending.
    ///
    /// - Parameter path: The journal file. An existing file must be a journal.
    /// - Throws: ``IAMScribeError`` when the file cannot be opened or is not a journal.
    public init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw IAMScribeError(.unwritableOutput, "cannot open the session journal \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        fstat(descriptor, &info)
        // A device or a pipe (/dev/full, a FIFO) is written to but never read back.
        loadableBytes = info.st_mode & S_IFMT == S_IFREG ? Int(info.st_size) : 0
        if loadableBytes > 0 {
            let head = try? InputFile.read(path: path, upTo: 4096)
            guard let head, SessionJournal.looksLikeJournal(head) else {
                close(descriptor)
                throw IAMScribeError(.invalidInput, "\(path) exists and is not an iamscribe session journal; choose another --session file")
            }
            // A journal torn by a crash may end mid-line: start on a fresh line.
            if let last = try? InputFile.read(path: path, upTo: 1, from: Int(info.st_size) - 1), last.first != 0x0A {
                buffer = "\n"
            }
        } else {
            buffer = SessionJournal.headerLine()
        }
        // Tighten a journal that an older run or the user left readable by others.
        fchmod(descriptor, 0o600)
        self.descriptor = descriptor
    }

    deinit {
        try? flush()
        close(descriptor)
    }

    /// Buffers one call.
    public func append(_ call: ObservedCall) {
        buffer += SessionJournal.line(for: call)
    }

    /// Writes the buffered lines.
    ///
    /// - Throws: ``IAMScribeError`` when the write fails; the lines stay buffered for the next try.
    public func flush() throws {
        guard !buffer.isEmpty else { return }
        var failure: Int32 = 0
        var written = 0
        buffer.utf8.withContiguousStorageIfAvailable { bytes in
            guard let base = bytes.baseAddress else { return }
            while written < bytes.count {
                let result = write(descriptor, base + written, bytes.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                written += result
            }
        }
        if failure != 0 {
            buffer = String(decoding: Array(buffer.utf8).dropFirst(written), as: UTF8.self)
            throw IAMScribeError(.unwritableOutput, "cannot write the session journal \(path): \(String(cString: strerror(failure)))")
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
