import Foundation
import FuzzSupport
@testable import IAMScribeCore

// TODO: the AWS request stage is being changed to take an HTTP exchange (request head, body and
// response status). When it does, feed the exchanges this parser reads to that entry point instead
// of calling decodeHead/finish the way TCPConnection does today.

/// Hands what the HTTP parser reads to an ``AWSRequestDecoder``, as a TCP connection of the
/// capture pipeline does, and checks the calls it decodes.
private final class Decoder: HTTPStreamDelegate {
    let decoder: AWSRequestDecoder
    var pending: AWSRequestDecoder.Pending?
    var calls = 0

    init(decoder: AWSRequestDecoder) {
        self.decoder = decoder
    }

    func httpHead(_ parser: HTTPStreamParser, _ head: HTTPHead, framing: HTTPStreamParser.Framing) -> HTTPBodyPlan {
        if parser.role == .response {
            // The error code of a failed call comes from the response's header or body.
            if let type = head.value(of: .errorType) { _ = AWSErrorCode.fromErrorType(String(decoding: type, as: UTF8.self)) }
            return .framed(keep: 16_384)
        }
        switch decoder.decodeHead(head, time: Date(timeIntervalSince1970: 1_700_000_000)) {
        case .success(let pending):
            require(!pending.candidates.isEmpty, "a pending call without a candidate service")
            self.pending = pending
            return .framed(keep: 4096)
        case .failure:
            pending = nil
            return .framed(keep: 0)
        }
    }

    func httpMessageEnd(_ parser: HTTPStreamParser, body: UnsafeRawBufferPointer?, complete: Bool) {
        if parser.role == .response {
            if let body { _ = AWSErrorCode.fromBody(body) }
            return
        }
        guard let pending = pending.take(), complete else { return }
        if case .success(let call) = decoder.finish(pending, body: body) {
            require(!call.service.isEmpty && !call.operation.isEmpty, "a call without a service or operation")
            calls += 1
        }
    }

    func httpLostSync(_ parser: HTTPStreamParser, partialHead: Bool) {
        pending = nil
    }
}

/// HTTP requests (or, with the first byte odd, responses) through the HTTP parser into the AWS
/// request stage: service, operation, region, key id and resource parameters from the head, the
/// query and JSON, form, XML or CBOR bodies.
///
/// Input: a control byte (bit 0: a response stream), then the stream. The decoder is made anew
/// for each input, so that its caches carry nothing from one input to the next.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let control = input.byte()
    let delegate = Decoder(decoder: AWSRequestDecoder(table: .bundled))
    let parser = HTTPStreamParser(role: control & 1 == 0 ? .request : .response, delegate: delegate)
    parser.receive(input.rest)
    parser.finish()
    withExtendedLifetime(delegate) {}
    return 0
}
