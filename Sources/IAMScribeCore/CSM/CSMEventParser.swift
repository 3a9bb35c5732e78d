/// Parses CSM events from the JSON bytes an SDK sends.
///
/// CSM events are flat JSON objects. This parser reads them in one pass without building a
/// general JSON tree, allocating strings only for the fields iamscribe keeps: the listener's
/// throughput depends on it. Nested values are validated and skipped.
public enum CSMEventParser {
    /// Parses one event.
    ///
    /// - Parameter bytes: One JSON object (surrounding white space allowed).
    /// - Returns: The event, or why it was rejected.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<CSMEvent, CSMRejection> {
        var reader = Reader(bytes: bytes)
        return reader.event()
    }

    /// Parses one event from an array of bytes.
    public static func parse(_ bytes: [UInt8]) -> Result<CSMEvent, CSMRejection> {
        bytes.withUnsafeBufferPointer { parse($0) }
    }

    /// Parses one event from a string.
    public static func parse(_ text: String) -> Result<CSMEvent, CSMRejection> {
        parse(Array(text.utf8))
    }
}

/// The fields iamscribe reads, identified from the key's bytes.
private enum Field {
    case version, clientID, type, service, api, timestamp, region
    case finalHTTPStatus, httpStatus, finalAWSException, finalSDKException, awsException, sdkException
    case accessKey, fqdn, other

    init(_ key: UnsafeBufferPointer<UInt8>) {
        switch key.count {
        case 3: self = Self.match(key, "Api") ? .api : .other
        case 4: self = Self.match(key, "Type") ? .type : (Self.match(key, "Fqdn") ? .fqdn : .other)
        case 6: self = Self.match(key, "Region") ? .region : .other
        case 7: self = Self.match(key, "Version") ? .version : (Self.match(key, "Service") ? .service : .other)
        case 8: self = Self.match(key, "ClientId") ? .clientID : .other
        case 9: self = Self.match(key, "Timestamp") ? .timestamp : (Self.match(key, "AccessKey") ? .accessKey : .other)
        case 12: self = Self.match(key, "AwsException") ? .awsException : (Self.match(key, "SdkException") ? .sdkException : .other)
        case 14: self = Self.match(key, "HttpStatusCode") ? .httpStatus : .other
        case 17: self = Self.match(key, "FinalAwsException") ? .finalAWSException
            : (Self.match(key, "FinalSdkException") ? .finalSDKException : .other)
        case 19: self = Self.match(key, "FinalHttpStatusCode") ? .finalHTTPStatus : .other
        default: self = .other
        }
    }

    private static func match(_ key: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> Bool {
        name.withUTF8Buffer { name in
            name.count == key.count && zip(name, key).allSatisfy { $0 == $1 }
        }
    }

    var name: String {
        switch self {
        case .version: "Version"
        case .clientID: "ClientId"
        case .type: "Type"
        case .service: "Service"
        case .api: "Api"
        case .timestamp: "Timestamp"
        case .region: "Region"
        case .finalHTTPStatus: "FinalHttpStatusCode"
        case .httpStatus: "HttpStatusCode"
        case .finalAWSException: "FinalAwsException"
        case .finalSDKException: "FinalSdkException"
        case .awsException: "AwsException"
        case .sdkException: "SdkException"
        case .accessKey: "AccessKey"
        case .fqdn: "Fqdn"
        case .other: "?"
        }
    }

    var isString: Bool {
        switch self {
        case .version, .timestamp, .finalHTTPStatus, .httpStatus, .other: false
        default: true
        }
    }
}

private enum Value {
    case string(String)
    case number(Double)
    case null
    case other
}

private struct Reader {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0
    /// Scratch space for keys with escapes; most keys are compared in place.
    var keyScratch: [UInt8] = []

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func event() -> Result<CSMEvent, CSMRejection> {
        var version: Double?
        var kind: String?
        var service: String?
        var api: String?
        var event = CSMEvent(kind: .apiCall, service: "", api: "")
        var finalAWS: String?, finalSDK: String?, aws: String?, sdk: String?
        var finalStatus: Int?, status: Int?
        do {
            skipSpace()
            guard peek() == UInt8(ascii: "{") else { throw CSMRejection.invalidJSON("not a JSON object") }
            position += 1
            skipSpace()
            if peek() == UInt8(ascii: "}") {
                position += 1
            } else {
                while true {
                    skipSpace()
                    let field = try key()
                    skipSpace()
                    guard peek() == UInt8(ascii: ":") else { throw CSMRejection.invalidJSON("expected ':' at byte \(position)") }
                    position += 1
                    skipSpace()
                    let value = try self.value(keep: field != .other, asString: field.isString)
                    switch (field, value) {
                    case (.other, _): break
                    // SDKs send null for "none"; a null required field is reported as missing below.
                    case (_, .null): break
                    case (.version, .number(let number)): version = number
                    case (.type, .string(let text)): kind = text
                    case (.service, .string(let text)): service = text
                    case (.api, .string(let text)): api = text
                    case (.clientID, .string(let text)): event.clientID = text
                    case (.region, .string(let text)): event.region = text
                    case (.timestamp, .number(let number)): event.timestamp = Int64(exactly: number.rounded())
                    case (.finalHTTPStatus, .number(let number)): finalStatus = Int(exactly: number)
                    case (.httpStatus, .number(let number)): status = Int(exactly: number)
                    case (.finalAWSException, .string(let text)): finalAWS = text
                    case (.finalSDKException, .string(let text)): finalSDK = text
                    case (.awsException, .string(let text)): aws = text
                    case (.sdkException, .string(let text)): sdk = text
                    case (.accessKey, .string(let text)): event.accessKey = text
                    case (.fqdn, .string(let text)): event.fqdn = text
                    default: throw CSMRejection.wrongFieldType(field.name)
                    }
                    skipSpace()
                    guard let next = peek() else { throw CSMRejection.invalidJSON("unexpected end") }
                    position += 1
                    if next == UInt8(ascii: "}") { break }
                    guard next == UInt8(ascii: ",") else { throw CSMRejection.invalidJSON("expected ',' or '}' at byte \(position - 1)") }
                }
            }
            skipSpace()
            guard position == bytes.count else { throw CSMRejection.invalidJSON("trailing bytes after the object") }
        } catch let rejection as CSMRejection {
            return .failure(rejection)
        } catch {
            return .failure(.invalidJSON("\(error)"))
        }
        guard let version else { return .failure(.missingField("Version")) }
        guard version == 1 else { return .failure(.unsupportedVersion) }
        guard let kind else { return .failure(.missingField("Type")) }
        guard let parsedKind = CSMEvent.Kind(rawValue: kind) else { return .failure(.unknownType) }
        guard let service, !service.isEmpty else { return .failure(.missingField("Service")) }
        guard let api, !api.isEmpty else { return .failure(.missingField("Api")) }
        event.kind = parsedKind
        event.service = service
        event.api = api
        switch parsedKind {
        case .apiCall:
            event.httpStatus = finalStatus
            event.exception = nonEmpty(finalAWS) ?? nonEmpty(finalSDK)
        case .apiCallAttempt:
            event.httpStatus = status
            event.exception = nonEmpty(aws) ?? nonEmpty(sdk)
        }
        return .success(event)
    }

    private func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }

    func peek() -> UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    mutating func skipSpace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    mutating func key() throws -> Field {
        guard peek() == UInt8(ascii: "\"") else { throw CSMRejection.invalidJSON("expected a key at byte \(position)") }
        position += 1
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let key = UnsafeBufferPointer(rebasing: bytes[start..<position])
                position += 1
                return Field(key)
            }
            if byte == UInt8(ascii: "\\") {
                // Keys with escapes are not CSM field names iamscribe reads; validate and skip.
                position = start - 1
                _ = try string(keep: false)
                return .other
            }
            if byte < 0x20 { throw CSMRejection.invalidJSON("control character in a key") }
            position += 1
        }
        throw CSMRejection.invalidJSON("unterminated key")
    }

    mutating func value(keep: Bool, asString: Bool) throws -> Value {
        guard let byte = peek() else { throw CSMRejection.invalidJSON("missing value") }
        switch byte {
        case UInt8(ascii: "\""):
            let text = try string(keep: keep)
            return text.map(Value.string) ?? .other
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            try skipNested()
            return .other
        case UInt8(ascii: "t"):
            try literal("true")
            return .other
        case UInt8(ascii: "f"):
            try literal("false")
            return .other
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default:
            return .number(try number())
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let matched = word.withUTF8Buffer { word -> Bool in
            guard position + word.count <= bytes.count else { return false }
            for (offset, byte) in word.enumerated() where bytes[position + offset] != byte { return false }
            return true
        }
        guard matched else { throw CSMRejection.invalidJSON("invalid literal at byte \(position)") }
        position += word.withUTF8Buffer { $0.count }
    }

    mutating func number() throws -> Double {
        let start = position
        if peek() == UInt8(ascii: "-") { position += 1 }
        var digits = 0
        while let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { position += 1; digits += 1 }
        guard digits > 0 else { throw CSMRejection.invalidJSON("invalid value at byte \(start)") }
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            var fraction = 0
            while let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { position += 1; fraction += 1 }
            guard fraction > 0 else { throw CSMRejection.invalidJSON("invalid number at byte \(start)") }
        }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { position += 1 }
            var exponent = 0
            while let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { position += 1; exponent += 1 }
            guard exponent > 0 else { throw CSMRejection.invalidJSON("invalid number at byte \(start)") }
        }
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
        if isInteger, slice.count <= 18 {
            var value: Int64 = 0
            var negative = false
            for byte in slice {
                if byte == UInt8(ascii: "-") { negative = true } else { value = value * 10 + Int64(byte - 48) }
            }
            return Double(negative ? -value : value)
        }
        guard let value = Double(String(decoding: slice, as: UTF8.self)) else {
            throw CSMRejection.invalidJSON("invalid number at byte \(start)")
        }
        return value
    }

    /// Reads a string; returns it when `keep` is set, else only validates it.
    mutating func string(keep: Bool) throws -> String? {
        position += 1  // the opening quote
        let start = position
        var hasEscape = false
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let end = position
                position += 1
                guard keep else { return nil }
                if !hasEscape {
                    return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
                }
                guard let text = JSONText.unescape(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start..<end]))) else {
                    throw CSMRejection.invalidJSON("bad escape in a string")
                }
                return text
            }
            if byte == UInt8(ascii: "\\") {
                hasEscape = true
                position += 2
                continue
            }
            if byte < 0x20 { throw CSMRejection.invalidJSON("control character in a string at byte \(position)") }
            position += 1
        }
        throw CSMRejection.invalidJSON("unterminated string")
    }

    /// Skips a nested object or array, validating its structure.
    mutating func skipNested() throws {
        var depth = 0
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                guard depth <= 64 else { throw CSMRejection.invalidJSON("nested too deeply") }
                position += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                position += 1
                if depth == 0 { return }
            case UInt8(ascii: "\""):
                _ = try string(keep: false)
            default:
                position += 1
            }
        }
        throw CSMRejection.invalidJSON("unterminated object or array")
    }
}
