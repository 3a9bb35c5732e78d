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
        _ = bytes.withUnsafeBytes { buffer in
            CSMLines.forEach(in: buffer) { line, number in
                switch CSMEventParser.parse(line) {
                case .success(let event): calls += assembler.add(event)
                case .failure(let rejection): bad.append(BadLine(line: number, rejection: rejection))
                }
            }
        }
        calls += assembler.flush()
        return (calls, bad)
    }
}
