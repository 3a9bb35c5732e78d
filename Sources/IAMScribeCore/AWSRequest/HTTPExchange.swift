#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One HTTP request and, when it came, its response: what the AWS request stage takes from a
/// source that owns its bytes (a proxy, a log, a test).
///
/// Only what decoding needs: the request's method, target, headers and body, and the response's
/// status, headers and body (read only for the error code of a failed call). Header names match
/// case-insensitively; values are taken as they are, less surrounding spaces and tabs.
public struct HTTPExchange: Sendable {
    /// The response to a request.
    public struct Response: Sendable {
        /// The final status code (not a 1xx interim one).
        public var status: Int
        /// The header fields, in the order they came.
        public var headers: [(name: String, value: String)]
        /// The body, or nil when it was not kept. Read only when the status is 400 or more and
        /// no `x-amzn-ErrorType` header names the error, and only up to 16 KiB.
        public var body: [UInt8]?

        /// Creates a response.
        ///
        /// - Parameters:
        ///   - status: The final status code.
        ///   - headers: The header fields, in order.
        ///   - body: The body, or nil when it was not kept.
        public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil) {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    /// The request method (`GET`, `POST`...).
    public var method: String
    /// The request target: origin form (`/path?query`) or absolute form (`http://host/path?query`).
    public var target: String
    /// The request's header fields, in the order they came.
    public var headers: [(name: String, value: String)]
    /// The request body, or nil when it was too large to keep.
    public var body: [UInt8]?
    /// When the request was made.
    public var time: Date
    /// The response, when one came.
    public var response: Response?

    /// Creates an exchange.
    ///
    /// - Parameters:
    ///   - method: The request method.
    ///   - target: The request target, in origin or absolute form.
    ///   - headers: The request's header fields, in order.
    ///   - body: The request body (empty when there is none), or nil when it was too large to keep.
    ///   - time: When the request was made.
    ///   - response: The response, when one came.
    public init(method: String, target: String, headers: [(name: String, value: String)], body: [UInt8]? = [],
                time: Date = Date(), response: Response? = nil) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.time = time
        self.response = response
    }
}

extension HTTPExchange {
    /// Calls `body` with the request's head as an ``HTTPHead`` over a copy of its bytes, laid out
    /// as the capture's HTTP parser lays out a head it read: the same fields (at most
    /// ``HTTPHead/maximumFields``), the same trimming, the same common fields noted.
    func withHead<T>(_ body: (HTTPHead) -> T) -> T {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(method.utf8.count + target.utf8.count + headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 2 })
        bytes.append(contentsOf: method.utf8)
        let method = 0..<bytes.count
        bytes.append(contentsOf: target.utf8)
        let target = method.upperBound..<bytes.count
        var ranges: [(name: Range<Int>, value: Range<Int>)] = []
        ranges.reserveCapacity(min(headers.count, HTTPHead.maximumFields))
        for (name, value) in headers.prefix(HTTPHead.maximumFields) {
            let nameStart = bytes.count
            bytes.append(contentsOf: name.utf8)
            let valueStart = bytes.count
            bytes.append(contentsOf: value.utf8)
            ranges.append((nameStart..<valueStart, valueStart..<bytes.count))
        }
        return bytes.withUnsafeBytes { bytes in
            var common = HTTPHead.CommonFields()
            var fields: [HTTPHead.Field] = []
            fields.reserveCapacity(ranges.count)
            for range in ranges {
                let field = HTTPHead.Field(name: range.name, value: HTTPBytes.trim(bytes, range.value))
                if let known = HTTPHead.CommonField.named(UnsafeRawBufferPointer(rebasing: bytes[field.name])) {
                    common.note(known, at: fields.count)
                }
                fields.append(field)
            }
            return fields.withUnsafeBufferPointer { fields in
                body(HTTPHead(bytes: bytes, method: method, target: target, status: 0, fields: fields, common: common))
            }
        }
    }
}

extension HTTPExchange.Response {
    /// The value of the first header field of a name, compared case-insensitively.
    func value(of name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }
}
