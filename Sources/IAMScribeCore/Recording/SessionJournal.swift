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
        "{\"iamscribe\":\"session\",\"version\":\(version),\"created\":\"\(timestamp(created))\"}\n"
    }

    /// Reads a journal.
    ///
    /// - Returns: The calls, and an error for each line that could not be read (a torn last line
    ///   after a crash is one), located by its line number; the other lines still count. A header
    ///   of a newer version is a warning.
    public static func read(_ bytes: [UInt8]) -> (calls: [ObservedCall], diagnostics: [Diagnostic]) {
        let decoder = JSONDecoder()
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a timestamp: \(text)"))
            }
            return date
        }
        var calls: [ObservedCall] = []
        var diagnostics: [Diagnostic] = []
        for (index, line) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            guard line.contains(where: { $0 != 0x20 && $0 != 0x0D }) else { continue }
            if index == 0 {
                if let header = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                   let version = header["version"] as? Int, version > Self.version {
                    diagnostics.append(.warning("journal version \(version) is newer than this build reads (\(Self.version))",
                                                at: .init(line: 1)))
                }
                continue
            }
            do {
                calls.append(try decoder.decode(JournalEntry.self, from: Data(line)).call)
            } catch {
                diagnostics.append(.error("not a journal entry (\(Self.describe(error)))", at: .init(line: number)))
            }
        }
        return (calls, diagnostics)
    }

    /// One call as a journal line (with the trailing newline). Written by hand: it is on the
    /// recording path, and the field order stays stable for people reading the file.
    static func line(for call: ObservedCall) -> String {
        var out = "{\"source\":\"\(call.source.rawValue)\",\"time\":\"\(Self.timestamp(call.time))\""
        out += ",\"service\":" + JSONText.quote(call.service) + ",\"operation\":" + JSONText.quote(call.operation)
        if let region = call.region { out += ",\"region\":" + JSONText.quote(region) }
        if let status = call.httpStatus { out += ",\"httpStatus\":\(status)" }
        if let error = call.errorCode { out += ",\"errorCode\":" + JSONText.quote(error) }
        if let client = call.clientID { out += ",\"clientId\":" + JSONText.quote(client) }
        if let key = call.accessKeyID { out += ",\"accessKeyId\":" + JSONText.quote(key.value) }
        if let endpoint = call.endpoint { out += ",\"endpoint\":" + JSONText.quote(endpoint) }
        if let parameters = call.parameters {
            out += ",\"parameters\":{" + parameters.sorted { $0.key < $1.key }
                .map { JSONText.quote($0.key) + ":" + JSONText.quote($0.value) }.joined(separator: ",") + "}"
        }
        return out + "}\n"
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.dataCorrupted(let context):
            context.codingPath.map(\.stringValue).joined(separator: ".") + " " + context.debugDescription
        default: "\(error)"
        }
    }

    /// The earliest and latest times a journal line can write, in milliseconds since 1970:
    /// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z (a year has four digits).
    static let timestampRange: ClosedRange<Int64> = -62_167_219_200_000...253_402_300_799_999

    /// `2026-11-29T00:25:33.594Z`: UTC with milliseconds, formatted without a shared formatter so
    /// that any thread may call it. A time outside ``timestampRange`` is written as its nearer end,
    /// so that the text is always a well-formed date.
    static func timestamp(_ date: Date) -> String {
        let raw = (date.timeIntervalSince1970 * 1000).rounded(.down)
        let milliseconds = raw.isNaN ? 0 : Int64(min(max(raw, Double(timestampRange.lowerBound)), Double(timestampRange.upperBound)))
        // Floor division: a time before 1970 has a negative quotient, never a negative fraction.
        var (whole, fraction) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        if fraction < 0 {
            whole -= 1
            fraction += 1000
        }
        var seconds = time_t(whole)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return digits.count < width ? String(repeating: "0", count: width - digits.count) + digits : digits
        }
        return "\(padded(Int(parts.tm_year) + 1900, 4))-\(padded(Int(parts.tm_mon) + 1, 2))-\(padded(Int(parts.tm_mday), 2))"
            + "T\(padded(Int(parts.tm_hour), 2)):\(padded(Int(parts.tm_min), 2)):\(padded(Int(parts.tm_sec), 2)).\(padded(Int(fraction), 3))Z"
    }

}

/// The JSON shape of one journal line.
struct JournalEntry: Decodable {
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
}
