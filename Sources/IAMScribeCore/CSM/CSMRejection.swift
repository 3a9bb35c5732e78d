/// Why a CSM datagram or line was not taken. Each reason is counted separately.
public enum CSMRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not a JSON object, or not valid JSON.
    case invalidJSON(String)
    /// A required field is absent.
    case missingField(String)
    /// A field has the wrong JSON type.
    case wrongFieldType(String)
    /// `Version` is not 1.
    case unsupportedVersion
    /// `Type` is neither `ApiCall` nor `ApiCallAttempt`.
    case unknownType
    /// The datagram is larger than the limit.
    case oversized(Int)
    /// The event's `ClientId` is not the one accepted.
    case otherClientID
    /// The datagram is empty, or holds only white space.
    case empty

    /// A short, stable name for counting (`invalid-json`, `missing-field`, ...).
    public var reasonKey: String {
        switch self {
        case .invalidJSON: "invalid-json"
        case .missingField: "missing-field"
        case .wrongFieldType: "wrong-field-type"
        case .unsupportedVersion: "unsupported-version"
        case .unknownType: "unknown-type"
        case .oversized: "oversized"
        case .otherClientID: "other-client-id"
        case .empty: "empty"
        }
    }

    public var description: String {
        switch self {
        case .invalidJSON(let detail): "invalid JSON: \(detail)"
        case .missingField(let field): "missing field \(field)"
        case .wrongFieldType(let field): "field \(field) has the wrong type"
        case .unsupportedVersion: "unsupported Version (only 1 is known)"
        case .unknownType: "Type is neither ApiCall nor ApiCallAttempt"
        case .oversized(let size): "oversized datagram (\(size) bytes)"
        case .otherClientID: "ClientId is not the one accepted"
        case .empty: "empty datagram"
        }
    }
}
