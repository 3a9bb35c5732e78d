#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The fields of one CloudTrail event that a policy needs, read from its JSON in place.
///
/// The record format is AWS's (CloudTrail record contents, event version 1.0x); the other
/// fields (`responseElements`, `tlsDetails`, `additionalEventData`, …) are skipped unread.
struct CloudTrailRecord: Sendable {
    var eventVersion: String?
    var eventTime: Date?
    var eventSource: String?
    var eventName: String?
    var awsRegion: String?
    var eventType: String?
    var eventCategory: String?
    var errorCode: String?
    var recipientAccountID: String?
    var identityType: String?
    var identityARN: String?
    var identityAccountID: String?
    var accessKeyID: String?
    var invokedBy: String?
    var sessionIssuerARN: String?
    /// `requestParameters`' top-level members: short scalars with their text, others present as "".
    var parameters: [String: String]?
    /// `resources[].ARN`.
    var resourceARNs: [String] = []

    /// An empty record, for sources that give the fields one by one (an Athena result row).
    init() {}

    /// Reads a record.
    ///
    /// - Parameter bytes: One event object.
    /// - Throws: ``JSONSkimmer/Failure`` when it is not a well-formed JSON object.
    init(_ bytes: UnsafeRawBufferPointer) throws {
        var skimmer = JSONSkimmer(bytes)
        let isName = JSONSkimmer.isName
        try skimmer.rawMembers { reader, name in
            if isName(name, "eventVersion") {
                eventVersion = try reader.stringValue()
            } else if isName(name, "eventTime") {
                eventTime = try reader.stringValue().flatMap(Self.time)
            } else if isName(name, "eventSource") {
                eventSource = try reader.stringValue()
            } else if isName(name, "eventName") {
                eventName = try reader.stringValue()
            } else if isName(name, "awsRegion") {
                awsRegion = try reader.stringValue()
            } else if isName(name, "eventType") {
                eventType = try reader.stringValue()
            } else if isName(name, "eventCategory") {
                eventCategory = try reader.stringValue()
            } else if isName(name, "errorCode") {
                errorCode = try reader.stringValue()
            } else if isName(name, "recipientAccountId") {
                recipientAccountID = try reader.stringValue()
            } else if isName(name, "userIdentity") {
                guard reader.peek() == UInt8(ascii: "{") else { try reader.skipValue(); return }
                try readIdentity(&reader)
            } else if isName(name, "requestParameters") {
                guard reader.peek() == UInt8(ascii: "{") else { try reader.skipValue(); parameters = nil; return }
                let range = try reader.valueRange()
                var found: [String: String] = [:]
                for member in BodyMembers.json(UnsafeRawBufferPointer(rebasing: reader.bytes[range])) {
                    found[member.name] = member.value ?? ""
                }
                parameters = found
            } else if isName(name, "resources") {
                guard reader.peek() == UInt8(ascii: "[") else { try reader.skipValue(); return }
                try reader.items { item in
                    guard item.peek() == UInt8(ascii: "{") else { try item.skipValue(); return }
                    try item.rawMembers { resource, key in
                        if isName(key, "ARN"), let arn = try resource.stringValue() {
                            resourceARNs.append(arn)
                        } else {
                            try resource.skipValue()
                        }
                    }
                }
            } else {
                try reader.skipValue()
            }
        }
    }

    private mutating func readIdentity(_ reader: inout JSONSkimmer) throws {
        try reader.members { identity, key in
            switch key {
            case "type": identityType = try identity.stringValue()
            case "arn": identityARN = try identity.stringValue()
            case "accountId": identityAccountID = try identity.stringValue()
            case "accessKeyId": accessKeyID = try identity.stringValue()
            case "invokedBy": invokedBy = try identity.stringValue()
            case "sessionContext":
                guard identity.peek() == UInt8(ascii: "{") else { try identity.skipValue(); return }
                try identity.members { context, contextKey in
                    guard contextKey == "sessionIssuer", context.peek() == UInt8(ascii: "{") else { try context.skipValue(); return }
                    try context.members { issuer, issuerKey in
                        if issuerKey == "arn" { sessionIssuerARN = try issuer.stringValue() } else { try issuer.skipValue() }
                    }
                }
            default:
                try identity.skipValue()
            }
        }
    }

    /// Parses CloudTrail's `eventTime` (`2024-05-01T12:34:56Z`, fractional seconds and an
    /// offset accepted, as Lake exports and Athena write them).
    static func time(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { return nil }
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                fraction += Double(bytes[index] - UInt8(ascii: "0")) * scale
                scale /= 10
                index += 1
            }
        }
        var offset = 0
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "Z"):
                guard index == bytes.count - 1 else { return nil }
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let sign = bytes[index] == UInt8(ascii: "+") ? 1 : -1
                let colon = index + 3 < bytes.count && bytes[index + 3] == UInt8(ascii: ":") ? 1 : 0
                guard let hours = number(index + 1..<index + 3), let minutes = number(index + 3 + colon..<index + 5 + colon),
                      index + 5 + colon == bytes.count else { return nil }
                offset = sign * (hours * 3600 + minutes * 60)
            default:
                return nil
            }
        }
        // Days from the civil date (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146097 + dayOfEra - 719468
        return Date(timeIntervalSince1970: Double(days * 86400 + hour * 3600 + minute * 60 + second - offset) + fraction)
    }
}
