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
        let decoded = exchange.withHead { head in
            decodeHead(head, time: exchange.time).flatMap { pending in
                // The body is read as the capture reads it: only when it matters (or names the
                // operation), and only when it is small enough to keep.
                let wanted = pending.bodyMatters || pending.operation == nil
                guard wanted, let body = exchange.body, body.count <= maximumBodyBytes else { return finish(pending, body: nil) }
                return body.withUnsafeBytes { finish(pending, body: $0) }
            }
        }
        guard let response = exchange.response else { return decoded }
        return decoded.map { call in
            var call = call
            call.httpStatus = response.status
            let errorType = response.value(of: "x-amzn-errortype").map { $0.trimming([" ", "\t"]) }
            call.errorCode = Self.withOptionalBytes(response.body) {
                AWSErrorCode.of(status: response.status, errorType: errorType, body: $0)
            }
            return call
        }
    }
}
