import CZlib

/// Inflates gzip (or zlib) data chunk by chunk with zlib, across concatenated gzip members.
///
/// CloudTrail writes one gzip member a file, but `cat a.json.gz b.json.gz` (and some copy tools)
/// make several: each member's end starts the next. The stream is owned by this object and
/// freed in `deinit`.
final class GzipInflater {
    /// Why inflating stopped.
    struct Failure: Error, CustomStringConvertible {
        /// zlib's message, or what was wrong.
        let reason: String
        /// How many compressed bytes had been consumed when it went wrong.
        let offset: Int

        var description: String { "corrupt gzip data at compressed byte \(offset): \(reason)" }
    }

    private var stream = z_stream()
    private var output: [UInt8]
    private var consumed = 0
    /// Whether the last member ended exactly at the last byte given (a clean end).
    private(set) var atMemberEnd = true
    private var started = false

    /// Creates an inflater.
    ///
    /// - Parameter outputChunk: The most bytes handed on at once.
    init(outputChunk: Int = 1 << 18) {
        output = [UInt8](repeating: 0, count: outputChunk)
    }

    deinit {
        if started { inflateEnd(&stream) }
    }

    private func start() throws {
        // 15 + 32: a window of 2^15 bytes, and a gzip or zlib header detected automatically.
        let status = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw Failure(reason: "zlib could not start (\(status))", offset: consumed) }
        started = true
    }

    /// Inflates one chunk of compressed bytes.
    ///
    /// - Parameters:
    ///   - input: The compressed bytes, following those given before.
    ///   - body: Called with each chunk of inflated bytes, in order.
    /// - Throws: ``Failure`` when the data is not gzip or is corrupt; what `body` throws.
    func inflate(_ input: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        if !started { try start() }
        try input.withUnsafeBufferPointer { inputBuffer in
            guard let base = inputBuffer.baseAddress, inputBuffer.count > 0 else { return }
            var offset = 0
            while offset < inputBuffer.count {
                if atMemberEnd {
                    // Zero bytes after a member: padding some writers add, not a new member.
                    if inputBuffer[offset...].allSatisfy({ $0 == 0 }) { consumed += inputBuffer.count - offset; return }
                    atMemberEnd = false
                }
                stream.next_in = UnsafeMutablePointer(mutating: base + offset)
                stream.avail_in = UInt32(inputBuffer.count - offset)
                var status: Int32 = Z_OK
                repeat {
                    let produced: Int = try output.withUnsafeMutableBufferPointer { outputBuffer in
                        guard let outputBase = outputBuffer.baseAddress else { return 0 }
                        stream.next_out = outputBase
                        stream.avail_out = UInt32(outputBuffer.count)
                        status = CZlib.inflate(&stream, Z_NO_FLUSH)
                        return outputBuffer.count - Int(stream.avail_out)
                    }
                    if status != Z_OK && status != Z_STREAM_END && !(status == Z_BUF_ERROR && produced == 0) {
                        let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                        throw Failure(reason: message, offset: consumed + (inputBuffer.count - offset) - Int(stream.avail_in))
                    }
                    if produced > 0 {
                        try output.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
                    }
                } while status == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0)
                let used = (inputBuffer.count - offset) - Int(stream.avail_in)
                consumed += used
                offset += used
                if status == Z_STREAM_END {
                    atMemberEnd = true
                    inflateReset(&stream)
                } else if status == Z_BUF_ERROR {
                    break
                }
            }
        }
    }

    /// Checks that the data ended at the end of a member.
    ///
    /// - Throws: ``Failure`` when the last member was cut short.
    func finish() throws {
        if !atMemberEnd { throw Failure(reason: "the data ends in the middle of a gzip member (truncated file)", offset: consumed) }
    }
}
