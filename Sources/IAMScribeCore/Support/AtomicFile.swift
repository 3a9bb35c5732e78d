#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// Writes files so that a reader sees either the old content or the new, never a mix.
public enum AtomicFile {
    /// Writes `data` to a temporary file beside `path`, flushes it, and renames it over `path`.
    ///
    /// A `path` that exists and is not a regular file (a device such as `/dev/stdout`, a FIFO) is
    /// written in place: renaming over it would replace the device with a file.
    ///
    /// - Parameters:
    ///   - data: The new content.
    ///   - path: The file to replace.
    ///   - mode: The permission bits of the new file.
    /// - Throws: ``IAMScribeError`` with code `.unwritableOutput`.
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws {
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG, info.st_mode & S_IFMT != S_IFDIR {
            try writeInPlace(data, to: path)
            return
        }
        let (temporary, descriptor) = try createTemporary(beside: path, mode: mode)
        try commit(temporary, descriptor, to: path, failure: writeAll(data, to: descriptor))
    }

    /// Creates a new temporary file beside `path`, to be renamed over it.
    private static func createTemporary(beside path: String, mode: mode_t) throws -> (path: String, descriptor: Int32) {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp").path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw IAMScribeError(.unwritableOutput, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        return (temporary, descriptor)
    }

    /// Flushes and closes a written temporary file and renames it over `path`; on any failure
    /// (the one given, from writing, included) removes it and throws.
    private static func commit(_ temporary: String, _ descriptor: Int32, to path: String, failure: String?) throws {
        var failure = failure
        if failure == nil, fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
        close(descriptor)
        if failure == nil, rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw IAMScribeError(.unwritableOutput, "cannot write \(path): \(failure)")
        }
    }

    /// Writes a file's new content over its old, keeping the file itself (a device, a FIFO, or a
    /// file whose owner a replacement could not get).
    private static func writeInPlace(_ data: Data, to path: String, sync: Bool = false) throws {
        let descriptor = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw IAMScribeError(.unwritableOutput, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        var failure = writeAll(data, to: descriptor)
        if sync, failure == nil, fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
        close(descriptor)
        if let failure { throw IAMScribeError(.unwritableOutput, "cannot write \(path): \(failure)") }
    }

    /// A file's owner, group and mode, which a replacement of it gets.
    struct Ownership: Sendable {
        var mode: mode_t
        var owner: (user: uid_t, group: gid_t)?
    }

    /// Replaces a file atomically (a temporary file beside it, renamed over it) with the owner,
    /// group and mode given, whatever the umask.
    ///
    /// Without the privilege to give a new file that owner and group (someone else's file, or a
    /// group this user is not in), an existing file is written over in place instead, which keeps
    /// its owner, group and mode at the cost of atomicity; a new file keeps this user's.
    static func replace(_ path: String, with data: Data, ownership: Ownership) throws {
        let (temporary, descriptor) = try createTemporary(beside: path, mode: 0o600)
        var failure = writeAll(data, to: descriptor)
        if failure == nil, let owner = ownership.owner {
            var info = stat()
            let already = fstat(descriptor, &info) == 0 && info.st_uid == owner.user && info.st_gid == owner.group
            if !already, fchown(descriptor, owner.user, owner.group) != 0, FileManager.default.fileExists(atPath: path) {
                close(descriptor)
                unlink(temporary)
                try writeInPlace(data, to: path, sync: true)
                return
            }
        }
        if failure == nil, fchmod(descriptor, ownership.mode) != 0 { failure = String(cString: strerror(errno)) }
        try commit(temporary, descriptor, to: path, failure: failure)
    }

    /// Writes all of `data`; returns why it could not, or nil.
    private static func writeAll(_ data: Data, to descriptor: Int32) -> String? {
        data.withUnsafeBytes { buffer -> String? in
            guard let base = buffer.baseAddress else { return nil }
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                offset += written
            }
            return nil
        }
    }
}
