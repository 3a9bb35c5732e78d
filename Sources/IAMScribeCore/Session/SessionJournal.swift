import Foundation

/// The session journal: observed calls as JSON lines, so a recording survives a crash and
/// continues across runs.
///
/// The first line is a header, `{"iamscribe":"session","version":1,"created":"…"}`; each further
/// line is one call (see README, "Session journal"). A journal never holds a secret key or a
/// session token; it holds access key ids, so it is created with mode 0600.
public enum SessionJournal {
    /// The format version this build writes and reads.
    public static let version = 1

    private static let marker = Array("\"iamscribe\":\"session\"".utf8)

    /// Whether `bytes` start with a journal header.
    public static func looksLikeJournal(_ bytes: [UInt8]) -> Bool {
        let firstLine = bytes.prefix { $0 != 0x0A }
        return firstLine.count >= marker.count
            && firstLine.indices.contains { index in firstLine[index...].starts(with: marker) }
    }

    /// The header line for a new journal.
    static func headerLine(created: Date = Date()) -> String {
        "{\"iamscribe\":\"session\",\"version\":\(version),\"created\":\"\(timestampFormatter.string(from: created))\"}\n"
    }

    /// Reads a journal.
    ///
    /// - Returns: The calls, and a problem for each line that could not be read (a torn last line
    ///   after a crash is one); the other lines still count.
    public static func read(_ bytes: [UInt8]) -> (calls: [ObservedCall], problems: [String]) {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = timestampFormatter.date(from: text) ?? ISO8601DateFormatter().date(from: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a timestamp: \(text)"))
            }
            return date
        }
        var calls: [ObservedCall] = []
        var problems: [String] = []
        for (index, line) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            guard line.contains(where: { $0 != 0x20 && $0 != 0x0D }) else { continue }
            if index == 0 {
                if let header = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                   let version = header["version"] as? Int, version > Self.version {
                    problems.append("line 1: journal version \(version) is newer than this build reads (\(Self.version))")
                }
                continue
            }
            do {
                calls.append(try decoder.decode(JournalEntry.self, from: Data(line)).call)
            } catch {
                problems.append("line \(number): not a journal entry (\(Self.describe(error)))")
            }
        }
        return (calls, problems)
    }

    /// One call as a journal line (with the trailing newline).
    static func line(for call: ObservedCall) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(timestampFormatter.string(from: date))
        }
        // Encoding a value of plain strings and numbers cannot fail.
        var data = (try? encoder.encode(JournalEntry(call: call))) ?? Data()
        data.append(0x0A)
        return data
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.dataCorrupted(let context):
            context.codingPath.map(\.stringValue).joined(separator: ".") + " " + context.debugDescription
        default: "\(error)"
        }
    }

    nonisolated(unsafe) static let timestampFormatter: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()
}

/// The JSON shape of one journal line.
struct JournalEntry: Codable {
    var call: ObservedCall

    private enum CodingKeys: String, CodingKey {
        case source, time, service, operation, region, httpStatus, errorCode, clientId, accessKeyId, endpoint, parameters
    }

    init(call: ObservedCall) { self.call = call }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        call = ObservedCall(
            source: try c.decode(ObservedCall.Source.self, forKey: .source),
            time: try c.decode(Date.self, forKey: .time),
            service: try c.decode(String.self, forKey: .service),
            operation: try c.decode(String.self, forKey: .operation),
            region: try c.decodeIfPresent(String.self, forKey: .region),
            httpStatus: try c.decodeIfPresent(Int.self, forKey: .httpStatus),
            errorCode: try c.decodeIfPresent(String.self, forKey: .errorCode),
            clientID: try c.decodeIfPresent(String.self, forKey: .clientId),
            accessKeyID: try c.decodeIfPresent(AccessKeyID.self, forKey: .accessKeyId),
            endpoint: try c.decodeIfPresent(String.self, forKey: .endpoint),
            parameters: try c.decodeIfPresent([String: String].self, forKey: .parameters))
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(call.source, forKey: .source)
        try c.encode(call.time, forKey: .time)
        try c.encode(call.service, forKey: .service)
        try c.encode(call.operation, forKey: .operation)
        try c.encodeIfPresent(call.region, forKey: .region)
        try c.encodeIfPresent(call.httpStatus, forKey: .httpStatus)
        try c.encodeIfPresent(call.errorCode, forKey: .errorCode)
        try c.encodeIfPresent(call.clientID, forKey: .clientId)
        try c.encodeIfPresent(call.accessKeyID, forKey: .accessKeyId)
        try c.encodeIfPresent(call.endpoint, forKey: .endpoint)
        try c.encodeIfPresent(call.parameters, forKey: .parameters)
    }
}
