/// Reads a fuzzer's input as a few control bytes followed by data, so that one input can choose
/// options (a role, a link type, piece sizes) as well as carry the bytes under test.
///
/// Reading past the end gives zeros and empty slices: every input is a valid one.
public struct FuzzInput {
    /// The bytes not read yet.
    public private(set) var rest: UnsafeRawBufferPointer

    /// Wraps the input libFuzzer hands to `LLVMFuzzerTestOneInput`.
    public init(_ data: UnsafePointer<UInt8>, _ size: Int) {
        rest = UnsafeRawBufferPointer(start: data, count: size)
    }

    /// Whether every byte has been read.
    public var isEmpty: Bool { rest.isEmpty }

    /// The next byte, or 0 at the end.
    public mutating func byte() -> UInt8 {
        guard let first = rest.first else { return 0 }
        rest = UnsafeRawBufferPointer(rebasing: rest[1...])
        return first
    }

    /// The next two bytes as a big-endian number, 0 at the end.
    public mutating func uint16() -> Int {
        Int(byte()) << 8 | Int(byte())
    }

    /// The next `count` bytes, or as many as are left.
    public mutating func bytes(_ count: Int) -> UnsafeRawBufferPointer {
        let taken = min(count, rest.count)
        defer { rest = UnsafeRawBufferPointer(rebasing: rest[taken...]) }
        return UnsafeRawBufferPointer(rebasing: rest[..<taken])
    }

    /// The lines of the rest (split at `\n`, the separators dropped, empty lines kept).
    public func lines() -> [UnsafeRawBufferPointer] {
        rest.split(separator: 0x0A, omittingEmptySubsequences: false).map { UnsafeRawBufferPointer(rebasing: $0) }
    }
}

/// Stops the fuzzer with a message when an invariant does not hold: libFuzzer reports the trap as
/// a crash and keeps the input.
///
/// `precondition` would do the same in a debug build, but is not checked the same way in every
/// configuration; this always traps.
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                    file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError(message(), file: file, line: line) }
}
