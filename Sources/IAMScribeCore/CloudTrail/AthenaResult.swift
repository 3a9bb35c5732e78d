#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The result of `iamscribe cloudtrail query`'s SQL, as Athena writes it to S3: CSV with a
/// header row, every value quoted (`""` inside a value), nulls as empty fields.
public enum AthenaResult {
    /// The columns the query selects, in order.
    public static let columns = [
        "principal", "identitytype", "identityaccount", "account", "eventsource", "eventname", "errorcode", "region",
        "resources", "requestparameters", "invokedby", "eventcategory", "calls", "first_seen", "last_seen",
    ]

    /// Whether a file starts with the query result's header row.
    static func looksLikeResult(_ head: [UInt8]) -> Bool {
        let text = String(decoding: head.prefix(64), as: UTF8.self)
        return text.hasPrefix("\"principal\",\"identitytype\"") || text.hasPrefix("principal,identitytype")
    }

    /// One row: the event it stands for, how many it stands for, and when the last was.
    struct Row {
        let line: Int
        let record: Swift.Result<CloudTrailRecord, RowProblem>
        let count: Int
        let lastSeen: Date?
    }

    struct RowProblem: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    /// Splits CSV as it streams in, one row at a time.
    struct Reader {
        private var field: [UInt8] = []
        private var fields: [String] = []
        private var quoted = false
        private var quoteSeen = false
        private var line = 1
        private var rowLine = 1
        private var header: [String: Int]?

        mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: (Row) throws -> Void) throws {
            for byte in bytes {
                if quoted {
                    if byte == UInt8(ascii: "\"") {
                        quoted = false
                        quoteSeen = true
                    } else {
                        if byte == 0x0A { line += 1 }
                        field.append(byte)
                    }
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""):
                    // `""` inside a quoted value is one quote.
                    if quoteSeen { field.append(byte) }
                    quoted = true
                case UInt8(ascii: ","):
                    endField()
                case 0x0A:
                    endField()
                    try endRow(emit)
                    line += 1
                    rowLine = line
                case 0x0D:
                    break
                default:
                    field.append(byte)
                }
                if byte != UInt8(ascii: "\"") { quoteSeen = false }
            }
        }

        mutating func finish(_ emit: (Row) throws -> Void) throws {
            if quoted { throw RowProblem(reason: "the file ends inside a quoted value (line \(rowLine))") }
            if !field.isEmpty || !fields.isEmpty {
                endField()
                try endRow(emit)
            }
        }

        private mutating func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            quoteSeen = false
        }

        private mutating func endRow(_ emit: (Row) throws -> Void) throws {
            defer { fields.removeAll(keepingCapacity: true) }
            if fields.count == 1 && fields[0].isEmpty { return }
            guard let header else {
                var index: [String: Int] = [:]
                for (position, name) in fields.enumerated() { index[name.lowercased()] = position }
                let missing = AthenaResult.columns.filter { index[$0] == nil }
                guard missing.isEmpty else {
                    throw RowProblem(reason: "not a result of iamscribe cloudtrail query: no column \(missing.joined(separator: ", "))")
                }
                self.header = index
                return
            }
            try emit(Self.row(fields, header: header, line: rowLine))
        }

        private static func row(_ fields: [String], header: [String: Int], line: Int) -> Row {
            func value(_ column: String) -> String {
                guard let index = header[column], index < fields.count else { return "" }
                return fields[index]
            }
            guard fields.count == header.count else {
                return Row(line: line, record: .failure(RowProblem(reason: "\(fields.count) values where the header has \(header.count)")),
                           count: 0, lastSeen: nil)
            }
            guard let count = Int(value("calls")), count > 0 else {
                return Row(line: line, record: .failure(RowProblem(reason: "calls is not a positive number")), count: 0, lastSeen: nil)
            }
            guard let first = CloudTrailRecord.time(value("first_seen")) else {
                return Row(line: line, record: .failure(RowProblem(reason: "first_seen is not a time: \(value("first_seen"))")), count: 0, lastSeen: nil)
            }
            var record = CloudTrailRecord()
            record.eventTime = first
            record.eventType = "AwsApiCall"
            record.eventSource = value("eventsource")
            record.eventName = value("eventname")
            let nonEmpty = { (text: String) in text.isEmpty ? nil : text }
            record.errorCode = nonEmpty(value("errorcode"))
            record.awsRegion = nonEmpty(value("region"))
            record.recipientAccountID = nonEmpty(value("account"))
            record.identityType = nonEmpty(value("identitytype"))
            record.identityAccountID = nonEmpty(value("identityaccount"))
            record.invokedBy = nonEmpty(value("invokedby"))
            record.eventCategory = nonEmpty(value("eventcategory"))
            let principal = value("principal")
            if principal.contains(":role/") { record.sessionIssuerARN = principal } else { record.identityARN = nonEmpty(principal) }
            record.resourceARNs = value("resources").split(separator: " ").map(String.init)
            let parameters = value("requestparameters")
            if parameters.hasPrefix("{") {
                var found: [String: String] = [:]
                Array(parameters.utf8).withUnsafeBytes { bytes in
                    for member in BodyMembers.json(bytes) { found[member.name] = member.value ?? "" }
                }
                record.parameters = found
            }
            return Row(line: line, record: .success(record), count: count, lastSeen: CloudTrailRecord.time(value("last_seen")))
        }
    }
}
