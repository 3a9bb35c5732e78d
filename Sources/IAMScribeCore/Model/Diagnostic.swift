/// A problem found in an input, or a remark about one: a bad line of a CSM file, a damaged
/// capture, an action a policy names that the table does not know.
///
/// The core returns diagnostics beside its results and never prints them; the CLI renders them
/// (see swift-openapi-generator's `Diagnostics.swift`, which this follows). An input that gave an
/// error still gave what was read before or around it: the severity says how far to trust it, and
/// the command decides whether that fails it (`diff` does, unless `--allow-damaged`).
public struct Diagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    /// How serious a diagnostic is.
    public enum Severity: String, Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
        /// Information; nothing is wrong.
        case note
        /// Something to look at; what was read is whole.
        case warning
        /// Part of the input could not be read: what it gave is incomplete.
        case error

        private var rank: Int {
            switch self {
            case .note: 0
            case .warning: 1
            case .error: 2
            }
        }

        /// Whether `a` is less serious than `b`.
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }

        /// The severity as the CLI writes it: `note`, `warning` or `error`.
        public var description: String { rawValue }
    }

    /// Where in an input a diagnostic points; each part only when known.
    public struct Location: Sendable, Hashable, Codable, CustomStringConvertible {
        /// The file (as the user named it; `-` for standard input).
        public var file: String?
        /// The line, counted from 1.
        public var line: Int?
        /// The record (a packet of a capture), counted from 1.
        public var record: Int?
        /// The byte offset from the start of the file.
        public var offset: Int?

        /// Creates a location.
        ///
        /// - Parameters:
        ///   - file: The file.
        ///   - line: The line, from 1.
        ///   - record: The record, from 1.
        ///   - offset: The byte offset, from 0.
        public init(file: String? = nil, line: Int? = nil, record: Int? = nil, offset: Int? = nil) {
            self.file = file
            self.line = line
            self.record = record
            self.offset = offset
        }

        /// The location as the CLI writes it: `calls.jsonl: line 3`, `trace.pcap: record 151`.
        public var description: String {
            var parts: [String] = []
            if let file { parts.append(file) }
            if let line { parts.append("line \(line)") }
            if let record { parts.append("record \(record)") }
            if let offset { parts.append("byte \(offset)") }
            return parts.joined(separator: ": ")
        }
    }

    /// How serious it is.
    public var severity: Severity
    /// What was found, as a sentence without the location.
    public var message: String
    /// Where, when known.
    public var location: Location?

    /// Creates a diagnostic.
    ///
    /// - Parameters:
    ///   - severity: How serious it is.
    ///   - message: What was found.
    ///   - location: Where, when known.
    public init(_ severity: Severity, _ message: String, at location: Location? = nil) {
        self.severity = severity
        self.message = message
        self.location = location
    }

    /// A part of an input that could not be read.
    ///
    /// - Parameters:
    ///   - message: What was wrong.
    ///   - location: Where, when known.
    /// - Returns: A diagnostic of severity ``Severity/error``.
    public static func error(_ message: String, at location: Location? = nil) -> Diagnostic {
        Diagnostic(.error, message, at: location)
    }

    /// Something to look at in an input that was read whole.
    ///
    /// - Parameters:
    ///   - message: What to look at.
    ///   - location: Where, when known.
    /// - Returns: A diagnostic of severity ``Severity/warning``.
    public static func warning(_ message: String, at location: Location? = nil) -> Diagnostic {
        Diagnostic(.warning, message, at: location)
    }

    /// Information about an input.
    ///
    /// - Parameters:
    ///   - message: The information.
    ///   - location: Where, when known.
    /// - Returns: A diagnostic of severity ``Severity/note``.
    public static func note(_ message: String, at location: Location? = nil) -> Diagnostic {
        Diagnostic(.note, message, at: location)
    }

    /// The same diagnostic, located in `file` when it named no file.
    ///
    /// - Parameter file: The file it came from.
    /// - Returns: The diagnostic with its location's file set.
    public func inFile(_ file: String) -> Diagnostic {
        var copy = self
        var location = copy.location ?? Location()
        if location.file == nil { location.file = file }
        copy.location = location
        return copy
    }

    /// The same diagnostic with another severity (an error a command accepts becomes a warning).
    ///
    /// - Parameter severity: The new severity.
    /// - Returns: The diagnostic with that severity.
    public func withSeverity(_ severity: Severity) -> Diagnostic {
        var copy = self
        copy.severity = severity
        return copy
    }

    /// The diagnostic as one line, `error: calls.jsonl: line 3: invalid JSON: ...`: the severity
    /// first (as the CLI's other warnings), then the location, then the message.
    public var description: String {
        let place = location?.description ?? ""
        return "\(severity): " + (place.isEmpty ? "" : "\(place): ") + message
    }
}

extension Sequence<Diagnostic> {
    /// Whether one of the diagnostics is an error.
    public var containsError: Bool { contains { $0.severity == .error } }
}
