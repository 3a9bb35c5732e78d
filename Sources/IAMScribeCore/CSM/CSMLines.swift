#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// Splits CSM text into event lines: a file holds one event a line, and a datagram one event or
/// several separated by newlines. The file reader, the listener and the capture path all split
/// with this one function, so that they agree on what a line and a blank line are.
enum CSMLines {
    /// Calls `body` with each line of `bytes` that is not blank (spaces, tabs and carriage
    /// returns only), without its newline, and with its 1-based line number.
    ///
    /// - Parameters:
    ///   - bytes: The text; it need not end with a newline.
    ///   - body: Takes a line and its number.
    /// - Returns: The number of lines that were not blank.
    @inline(__always) @discardableResult
    static func forEach(in bytes: UnsafeRawBufferPointer,
                        _ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void) rethrows -> Int {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        var start = 0, number = 0, taken = 0
        while start < bytes.count {
            let end = memchr(base + start, 0x0A, bytes.count - start)
                .map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? bytes.count
            number += 1
            let line = UnsafeBufferPointer(start: base + start, count: end - start)
            if line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) {
                taken += 1
                try body(line, number)
            }
            start = end + 1
        }
        return taken
    }
}
