#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

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
    /// Lines are read by a small parser for the journal's own shape (a flat object of strings
    /// and numbers, and `parameters`, an object of strings): a `JSONDecoder` and an
    /// ISO 8601 date formatter a line made a 100,000-line journal take 10 s to load.
    ///
    /// - Returns: The calls, and an error for each line that could not be read (a torn last line
    ///   after a crash is one), located by its line number; the other lines still count. A header
    ///   of a newer version is a warning.
    public static func read(_ bytes: [UInt8]) -> (calls: [ObservedCall], diagnostics: [Diagnostic]) {
        var calls: [ObservedCall] = []
        var diagnostics: [Diagnostic] = []
        bytes.withUnsafeBytes { buffer in
            var number = 0
            var start = 0
            while start <= buffer.count {
                var end = start
                while end < buffer.count && buffer[end] != 0x0A { end += 1 }
                number += 1
                let line = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
                start = end + 1
                guard line.contains(where: { $0 != 0x20 && $0 != 0x0D }) else { continue }
                if number == 1 {
                    if case .object(let header)? = try? JSONValue.parse(Data(line)).value,
                       case .number(let number)? = header["version"], let version = Int(number), version > Self.version {
                        diagnostics.append(.warning("journal version \(version) is newer than this build reads (\(Self.version))",
                                                    at: .init(line: 1)))
                    }
                    continue
                }
                switch JournalLineParser.call(from: line) {
                case .success(let call): calls.append(call)
                case .failure(let problem):
                    diagnostics.append(.error("not a journal entry (\(problem.reason))", at: .init(line: number)))
                }
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
        if let account = call.account { out += ",\"account\":" + JSONText.quote(account) }
        if let arns = call.resourceARNs { out += ",\"resourceARNs\":[" + arns.map(JSONText.quote).joined(separator: ",") + "]" }
        return out + "}\n"
    }

    /// Reads a journal timestamp: `2026-11-29T00:25:33.594Z` (what this build writes) without a
    /// formatter, other ISO 8601 forms with one.
    static func date(from text: String) -> Date? {
        var utf8 = Array(text.utf8)
        if utf8.count == 24, utf8[4] == 0x2D, utf8[7] == 0x2D, utf8[10] == 0x54, utf8[13] == 0x3A, utf8[16] == 0x3A,
           utf8[19] == 0x2E, utf8[23] == 0x5A {
            func number(_ range: Range<Int>) -> Int? {
                var value = 0
                for index in range {
                    guard utf8[index] >= 0x30 && utf8[index] <= 0x39 else { return nil }
                    value = value * 10 + Int(utf8[index] - 0x30)
                }
                return value
            }
            if let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
               let minute = number(14..<16), let second = number(17..<19), let millis = number(20..<23),
               (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 {
                var parts = tm()
                parts.tm_year = Int32(year - 1900)
                parts.tm_mon = Int32(month - 1)
                parts.tm_mday = Int32(day)
                parts.tm_hour = Int32(hour)
                parts.tm_min = Int32(minute)
                parts.tm_sec = Int32(second)
                let seconds = Int64(timegm(&parts))
                return Date(timeIntervalSince1970: Double(seconds * 1000 + Int64(millis)) / 1000)
            }
        }
        utf8.removeAll()
        return (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
            ?? (try? Date.ISO8601FormatStyle().parse(text))
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
