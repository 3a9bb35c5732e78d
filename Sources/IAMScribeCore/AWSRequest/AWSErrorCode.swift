/// Reads the AWS error code of a failed response.
enum AWSErrorCode {
    /// The most bytes of a failed response's body read for its code; a larger body is not read.
    static let maximumBodyBytes = 16_384

    /// The code of a response: from its `x-amzn-ErrorType` header, else from its body (when
    /// kept, and no larger than ``maximumBodyBytes``); nil when the status is below 400.
    static func of(status: Int, errorType: String?, body: UnsafeRawBufferPointer?) -> String? {
        guard status >= 400 else { return nil }
        if let errorType, let code = fromErrorType(errorType) { return code }
        guard let body, body.count <= maximumBodyBytes else { return nil }
        return fromBody(body)
    }

    /// The code in an `x-amzn-ErrorType` header: `ResourceNotFoundException:http://...`.
    static func fromErrorType(_ value: String) -> String? {
        let code = value.split(separator: ":").first.map(String.init) ?? value
        return code.isEmpty ? nil : shorten(code)
    }

    /// The code in an error body: XML `<Code>`, or JSON `__type` / `code` / `Code`.
    static func fromBody(_ body: UnsafeRawBufferPointer) -> String? {
        let start = body.firstIndex { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        guard let start else { return nil }
        if body[start] == UInt8(ascii: "{") {
            let members = BodyMembers.json(body)
            for name in ["__type", "code", "Code"] {
                if let value = members.first(where: { $0.name == name })?.value, !value.isEmpty { return shorten(value) }
            }
            return nil
        }
        if body[start] == UInt8(ascii: "<"), let code = BodyMembers.xmlElement(body, named: "Code"), !code.isEmpty {
            return shorten(code)
        }
        return nil
    }

    /// `com.amazonaws.dynamodb.v20120810#ResourceNotFoundException` is `ResourceNotFoundException`.
    private static func shorten(_ code: String) -> String {
        let name = code.split(separator: "#").last.map(String.init) ?? code
        return String(name.prefix(128))
    }
}
