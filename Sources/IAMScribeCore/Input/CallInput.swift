import Foundation

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
        /// Problems that did not stop the reading, for example a bad line (`line 3: invalid JSON`).
        public let problems: [String]
    }

    /// The formats iamscribe reads.
    public enum Format: String, Sendable {
        /// CSM events, one JSON object a line.
        case csmLines = "CSM events"
        /// An iamscribe session journal.
        case session = "session journal"
    }

    /// Reads one file, telling its format from its content.
    ///
    /// - Parameter path: The file, or `-` for standard input.
    /// - Throws: ``IAMScribeError`` when the file cannot be read.
    public static func read(path: String) throws -> FileResult {
        let data: Data
        do {
            if path == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            }
        } catch {
            throw IAMScribeError(.unreadableInput, "cannot read \(path)", underlying: error as NSError)
        }
        let bytes = [UInt8](data)
        if SessionJournal.looksLikeJournal(bytes) {
            let (calls, problems) = SessionJournal.read(bytes)
            return FileResult(path: path, format: .session, calls: calls, problems: problems)
        }
        let (calls, bad) = CSMLineReader.read(bytes)
        return FileResult(path: path, format: .csmLines, calls: calls,
                          problems: bad.map { "line \($0.line): \($0.rejection)" })
    }
}
