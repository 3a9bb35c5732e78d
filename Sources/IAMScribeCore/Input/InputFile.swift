#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// Reads a whole input file, whatever kind of file the path names: a regular file, or a stream
/// such as a FIFO, `/dev/stdin` or the `/dev/fd/N` of a shell's process substitution (`<(cat f)`),
/// which Foundation's `Data(contentsOf:)` refuses with a misleading "permission" error.
enum InputFile {
    /// Whether `path` names a regular file (after following symbolic links); false when it
    /// cannot be examined.
    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    /// Whether `path` names a folder (after following symbolic links).
    static func isFolder(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Reads every byte of a file or stream.
    ///
    /// Opening does not wait: a FIFO no program writes to yet is opened at once, `waiting` is
    /// told so, and the reading then waits for a writer and reads until it closes, as `cat` would.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - waiting: Told, once, when the file is a FIFO that has no writer yet.
    /// - Returns: The bytes.
    /// - Throws: ``IAMScribeError`` with code `.unreadableInput`, saying why in words (no such
    ///   file, permission denied, a folder).
    static func read(path: String, waiting: ((String) -> Void)? = nil) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw failure(path, errno) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw failure(path, errno) }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            throw IAMScribeError(.unreadableInput, "cannot read \(path): it is a folder")
        case S_IFREG:
            // A regular file never blocks; read it to its end (it may have grown since fstat).
            return try readToEnd(descriptor, path: path, capacity: Int(info.st_size), fifo: false, waiting: nil)
        default:
            return try readToEnd(descriptor, path: path, capacity: 1 << 16, fifo: info.st_mode & S_IFMT == S_IFIFO,
                                 waiting: waiting)
        }
    }

    /// Reads standard input to its end (`-` as an input path).
    ///
    /// - Throws: ``IAMScribeError`` with code `.unreadableInput` when reading fails.
    static func readStandardInput() throws -> [UInt8] {
        try readToEnd(STDIN_FILENO, path: "standard input", capacity: 1 << 16, fifo: false, waiting: nil)
    }

    /// Reads at most `count` bytes of a file from `offset`: fewer when the file ends first.
    ///
    /// - Throws: ``IAMScribeError`` with code `.unreadableInput` when the file cannot be opened or read.
    static func read(path: String, upTo count: Int, from offset: Int = 0) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path, errno) }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: max(count, 0))
        var filled = 0
        while filled < bytes.count {
            let got = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress.map { $0 + filled }, buffer.count - filled, off_t(offset + filled))
            }
            if got > 0 {
                filled += got
            } else if got == 0 {
                break
            } else if errno != EINTR {
                throw failure(path, errno)
            }
        }
        bytes.removeSubrange(filled...)
        return bytes
    }

    /// Reads a non-blocking descriptor until its writers are gone.
    ///
    /// `read` answers 0 both at the end and, on a FIFO, before any writer came; the two are told
    /// apart by `poll`, which reports nothing until a writer writes or leaves.
    private static func readToEnd(_ descriptor: Int32, path: String, capacity: Int, fifo: Bool,
                                  waiting: ((String) -> Void)?) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(capacity + 1)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var writerSeen = !fifo
        var told = false
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            }
            if count > 0 {
                bytes.append(contentsOf: chunk[0..<count])
                writerSeen = true
                continue
            }
            if count == 0 {
                if writerSeen { return bytes }
                // A FIFO without a writer yet, or one whose writer left without writing.
                if !told, !ready(descriptor, timeout: 0) {
                    waiting?("waiting for a program to write to the FIFO \(path)")
                    told = true
                }
                _ = ready(descriptor, timeout: -1)
                writerSeen = true
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN:
                writerSeen = true
                _ = ready(descriptor, timeout: -1)
            default:
                throw failure(path, errno)
            }
        }
    }

    /// Waits up to `timeout` milliseconds (-1: no limit) for data or a hang-up.
    private static func ready(_ descriptor: Int32, timeout: Int32) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while true {
            let result = poll(&entry, 1, timeout)
            if result < 0 && errno == EINTR { continue }
            return result > 0
        }
    }

    private static func failure(_ path: String, _ code: Int32) -> IAMScribeError {
        let reason: String
        switch code {
        case ENOENT: reason = "no such file"
        case EACCES, EPERM: reason = "permission denied"
        case EISDIR: reason = "it is a folder"
        default: reason = String(cString: strerror(code))
        }
        return IAMScribeError(.unreadableInput, "cannot read \(path): \(reason)")
    }

    /// The first bytes of a stream: up to `count`, or fewer when it ends sooner. A blocking read;
    /// the stream is left where the bytes end, so that the reading can go on from there.
    static func head(descriptor: Int32, count: Int) -> [UInt8] {
        var head = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < head.count {
            let read = head.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress.map { $0 + filled }, buffer.count - filled)
            }
            if read < 0 && errno == EINTR { continue }
            if read <= 0 { break }
            filled += read
        }
        return Array(head[0..<filled])
    }

    /// Opens a stream (a FIFO, `/dev/stdin`, a `/dev/fd/N`) for reading in blocking mode, once it
    /// has something to read or has ended: a FIFO no program writes to yet is waited for (and
    /// `waiting` told so), as ``read(path:waiting:)`` does, so that the caller can then read it
    /// chunk by chunk rather than whole.
    ///
    /// - Returns: The descriptor, which the caller closes, and the bytes already read from it
    ///   (a FIFO's first byte, read to tell a writer that has not written yet, `EAGAIN`, from
    ///   no writer at all, end of file).
    /// - Throws: ``IAMScribeError`` with code `.unreadableInput`, saying why in words.
    static func openStream(path: String, waiting: ((String) -> Void)? = nil) throws -> (descriptor: Int32, first: [UInt8]) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw failure(path, errno) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            close(descriptor)
            throw failure(path, code)
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            close(descriptor)
            throw IAMScribeError(.unreadableInput, "cannot read \(path): it is a folder")
        }
        var first: [UInt8] = []
        if info.st_mode & S_IFMT == S_IFIFO {
            var byte: UInt8 = 0
            var count = Glibc.read(descriptor, &byte, 1)
            while count < 0 && errno == EINTR { count = Glibc.read(descriptor, &byte, 1) }
            if count > 0 {
                first = [byte]
            } else if count == 0, !ready(descriptor, timeout: 0) {
                // No writer yet (a writer that has not written yet gives EAGAIN instead).
                waiting?("waiting for a program to write to the FIFO \(path)")
                _ = ready(descriptor, timeout: -1)
            }
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        return (descriptor, first)
    }

    /// Reads a blocking descriptor to its end.
    static func readRest(descriptor: Int32, path: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes.append(contentsOf: chunk[0..<count])
            } else if count == 0 {
                return bytes
            } else if errno != EINTR {
                throw failure(path, errno)
            }
        }
    }
}
