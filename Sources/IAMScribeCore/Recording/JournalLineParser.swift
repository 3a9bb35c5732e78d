#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads one session journal line: a JSON object whose members are strings, numbers, and
/// `parameters` (an object of strings). Members it does not know are skipped, so a newer
/// writer's extra fields do not make a line unreadable.
enum JournalLineParser {
    /// Why a line is not a journal entry.
    struct Problem: Error {
        let reason: String
    }

    /// The call a line holds.
    static func call(from line: UnsafeRawBufferPointer) -> Result<ObservedCall, Problem> {
        var scanner = Scanner(bytes: line)
        do {
            return .success(try scanner.entry())
        } catch {
            return .failure(error)
        }
    }

    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        init(bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
        }

        mutating func entry() throws(Problem) -> ObservedCall {
            var source: ObservedCall.Source?
            var time: Date?
            var service: String?, operation: String?, region: String?, errorCode: String?
            var clientID: String?, accessKeyID: String?, endpoint: String?
            var httpStatus: Int?
            var parameters: [String: String]?
            var account: String?
            var resourceARNs: [String]?
            try expect(UInt8(ascii: "{"))
            skipSpace()
            if peek == UInt8(ascii: "}") {
                index += 1
            } else {
                while true {
                    let key = try string()
                    try expect(UInt8(ascii: ":"))
                    skipSpace()
                    switch key {
                    case "source":
                        let text = try string()
                        guard let value = ObservedCall.Source(rawValue: text) else { throw Problem(reason: "source: unknown source \(text)") }
                        source = value
                    case "time":
                        let text = try string()
                        guard let value = SessionJournal.date(from: text) else { throw Problem(reason: "time: not a timestamp: \(text)") }
                        time = value
                    case "service": service = try string()
                    case "operation": operation = try string()
                    case "region": region = isNull() ? nil : try string()
                    case "errorCode": errorCode = isNull() ? nil : try string()
                    case "clientId": clientID = isNull() ? nil : try string()
                    case "accessKeyId": accessKeyID = isNull() ? nil : try string()
                    case "endpoint": endpoint = isNull() ? nil : try string()
                    case "httpStatus": httpStatus = isNull() ? nil : try integer()
                    case "parameters": parameters = isNull() ? nil : try stringObject()
                    case "account": account = isNull() ? nil : try string()
                    case "resourceARNs": resourceARNs = isNull() ? nil : try stringArray()
                    default: try skipValue()
                    }
                    skipSpace()
                    guard let next = peek else { throw Problem(reason: "the line ends inside the object") }
                    index += 1
                    if next == UInt8(ascii: "}") { break }
                    guard next == UInt8(ascii: ",") else { throw Problem(reason: "expected , or } at byte \(index)") }
                }
            }
            skipSpace()
            guard index == bytes.count else { throw Problem(reason: "text after the object at byte \(index + 1)") }
            guard let source else { throw Problem(reason: "missing source") }
            guard let time else { throw Problem(reason: "missing time") }
            guard let service else { throw Problem(reason: "missing service") }
            guard let operation else { throw Problem(reason: "missing operation") }
            return ObservedCall(source: source, time: time, service: service, operation: operation, region: region,
                                httpStatus: httpStatus, errorCode: errorCode, clientID: clientID,
                                accessKeyID: accessKeyID.map(AccessKeyID.init), endpoint: endpoint, parameters: parameters,
                                account: account, resourceARNs: resourceARNs)
        }

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpace() {
            while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0D { index += 1 }
        }

        mutating func expect(_ byte: UInt8) throws(Problem) {
            skipSpace()
            guard peek == byte else {
                throw Problem(reason: peek == nil ? "the line ends early" : "expected \(Character(Unicode.Scalar(byte))) at byte \(index + 1)")
            }
            index += 1
        }

        /// Takes a `null`, if one comes next.
        mutating func isNull() -> Bool {
            guard bytes.count - index >= 4, bytes[index] == UInt8(ascii: "n"), bytes[index + 1] == UInt8(ascii: "u"),
                  bytes[index + 2] == UInt8(ascii: "l"), bytes[index + 3] == UInt8(ascii: "l") else { return false }
            index += 4
            return true
        }

        mutating func string() throws(Problem) -> String {
            try expect(UInt8(ascii: "\""))
            let start = index
            var escaped = false
            while let byte = peek, byte != UInt8(ascii: "\"") {
                if byte == UInt8(ascii: "\\") {
                    escaped = true
                    index += 1
                }
                index += 1
            }
            guard index < bytes.count else { throw Problem(reason: "the line ends inside a string") }
            let content = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
            index += 1
            if !escaped { return String(decoding: content, as: UTF8.self) }
            guard let text = JSONText.unescape(content) else { throw Problem(reason: "a bad escape in a string") }
            return text
        }

        mutating func integer() throws(Problem) -> Int {
            skipSpace()
            var negative = false
            if peek == UInt8(ascii: "-") {
                negative = true
                index += 1
            }
            var value = 0
            var digits = 0
            while let byte = peek, byte >= 0x30 && byte <= 0x39 {
                let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(Int(byte - 0x30))
                guard !overflow1 && !overflow2 else { throw Problem(reason: "a number out of range") }
                value = sum
                digits += 1
                index += 1
            }
            guard digits > 0 else { throw Problem(reason: "expected a number at byte \(index + 1)") }
            return negative ? -value : value
        }

        mutating func stringObject() throws(Problem) -> [String: String] {
            try expect(UInt8(ascii: "{"))
            var object: [String: String] = [:]
            skipSpace()
            if peek == UInt8(ascii: "}") {
                index += 1
                return object
            }
            while true {
                let key = try string()
                try expect(UInt8(ascii: ":"))
                object[key] = try string()
                skipSpace()
                guard let next = peek else { throw Problem(reason: "the line ends inside parameters") }
                index += 1
                if next == UInt8(ascii: "}") { return object }
                guard next == UInt8(ascii: ",") else { throw Problem(reason: "expected , or } at byte \(index)") }
            }
        }

        mutating func stringArray() throws(Problem) -> [String] {
            try expect(UInt8(ascii: "["))
            var items: [String] = []
            skipSpace()
            if peek == UInt8(ascii: "]") {
                index += 1
                return items
            }
            while true {
                items.append(try string())
                skipSpace()
                guard let next = peek else { throw Problem(reason: "the line ends inside resourceARNs") }
                index += 1
                if next == UInt8(ascii: "]") { return items }
                guard next == UInt8(ascii: ",") else { throw Problem(reason: "expected , or ] at byte \(index)") }
            }
        }

        /// Skips a value of a member this build does not read, nested or not.
        mutating func skipValue() throws(Problem) {
            skipSpace()
            var depth = 0
            repeat {
                guard let byte = peek else { throw Problem(reason: "the line ends inside a value") }
                switch byte {
                case UInt8(ascii: "\""): _ = try string()
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    index += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    guard depth > 0 else { return }
                    depth -= 1
                    index += 1
                case UInt8(ascii: ","):
                    if depth == 0 { return }
                    index += 1
                default: index += 1
                }
            } while depth > 0 || !(peek == UInt8(ascii: ",") || peek == UInt8(ascii: "}"))
        }
    }
}
