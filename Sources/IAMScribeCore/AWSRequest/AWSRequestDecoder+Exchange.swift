#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The stage's entry for sources that own their bytes: one ``HTTPExchange`` in, one call out,
/// through the same two steps the capture takes.
extension AWSRequestDecoder {
    /// Decodes one HTTP exchange into the AWS call it makes, with its parameters and, when the
    /// exchange has a response, its status and error code.
    ///
    /// - Parameter exchange: The request and its response.
    /// - Returns: The call, or why the request is not one (not an AWS request; an AWS service
    ///   whose operation cannot be told).
    public func decode(_ exchange: HTTPExchange) -> Result<ObservedCall, Failure> {
        let decoded = exchange.withHead { decode($0, body: exchange.body, time: exchange.time) }
        return Self.withResponse(decoded, exchange.response)
    }

    /// Decodes one HTTP/1.x request as it came on the wire (a relay that forwards bytes unchanged
    /// has no parsed copy): its head, read as the capture reads one, and its body.
    ///
    /// - Parameters:
    ///   - requestHead: The request line and header lines, through the blank line.
    ///   - body: The body (de-chunked), or nil when it was too large to keep.
    ///   - time: When the request was made.
    ///   - response: The response, when one came.
    /// - Returns: The call, or why the request is not one.
    public func decode(requestHead: [UInt8], body: [UInt8]?, time: Date, response: HTTPExchange.Response?) -> Result<ObservedCall, Failure> {
        var fields: [HTTPHead.Field] = []
        fields.reserveCapacity(24)
        let decoded: Result<ObservedCall, Failure> = requestHead.withUnsafeBytes { bytes in
            guard let parsed = HTTPHead.parse(bytes, request: true, fields: &fields) else { return .failure(.notAWS) }
            return fields.withUnsafeBufferPointer { fields in
                decode(HTTPHead(bytes: bytes, method: parsed.method, target: parsed.target, status: 0, fields: fields, common: parsed.common),
                       body: body, time: time)
            }
        }
        return Self.withResponse(decoded, response)
    }

    /// A request's call from its head and body. The body is read as the capture reads it: only
    /// when it matters (or names the operation), and only when it is small enough to keep.
    private func decode(_ head: HTTPHead, body: [UInt8]?, time: Date) -> Result<ObservedCall, Failure> {
        decodeHead(head, time: time).flatMap { pending in
            let wanted = pending.bodyMatters || pending.operation == nil
            guard wanted, let body, body.count <= maximumBodyBytes else { return finish(pending, body: nil) }
            return body.withUnsafeBytes { finish(pending, body: $0) }
        }
    }

    /// A decoded call with its response's status and error code.
    private static func withResponse(_ decoded: Result<ObservedCall, Failure>, _ response: HTTPExchange.Response?) -> Result<ObservedCall, Failure> {
        guard let response else { return decoded }
        return decoded.map { call in
            var call = call
            call.httpStatus = response.status
            let errorType = response.value(of: "x-amzn-errortype").map { $0.trimming([" ", "\t"]) }
            call.errorCode = withOptionalBytes(response.body) {
                AWSErrorCode.of(status: response.status, errorType: errorType, body: $0)
            }
            return call
        }
    }
}
