/// Reads CSM events written one JSON object a line, as SDKs send them (or as a listener dumps them).
public enum CSMLineReader {
    /// A line that was not taken.
    public struct BadLine: Sendable, Hashable {
        /// The 1-based line number.
        public let line: Int
        /// Why it was rejected.
        public let rejection: CSMRejection
    }

    /// Parses every line, assembling events into calls.
    ///
    /// - Parameter bytes: The file's content.
    /// - Returns: The calls, in input order, and the rejected lines. Blank lines are skipped.
    public static func read(_ bytes: [UInt8]) -> (calls: [ObservedCall], badLines: [BadLine]) {
        var assembler = CSMCallAssembler()
        var calls: [ObservedCall] = []
        var bad: [BadLine] = []
        bytes.withUnsafeBufferPointer { buffer in
            var lineNumber = 0
            var start = 0
            while start <= buffer.count {
                var end = start
                while end < buffer.count && buffer[end] != 0x0A { end += 1 }
                lineNumber += 1
                let line = UnsafeBufferPointer(rebasing: buffer[start..<end])
                if line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) {
                    switch CSMEventParser.parse(line) {
                    case .success(let event): calls += assembler.add(event)
                    case .failure(let rejection): bad.append(BadLine(line: lineNumber, rejection: rejection))
                    }
                }
                if end == buffer.count { break }
                start = end + 1
            }
        }
        calls += assembler.flush()
        return (calls, bad)
    }
}
