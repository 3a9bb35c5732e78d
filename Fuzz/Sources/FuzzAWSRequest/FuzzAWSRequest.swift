import Foundation
import FuzzSupport
@testable import IAMScribeCore

/// Hands what the HTTP parser reads to an ``AWSRequestDecoder``, as a TCP connection of the
/// capture pipeline does, and checks the calls it decodes.
private final class Decoder: HTTPStreamDelegate {
    let decoder: AWSRequestDecoder
    /// A second decoder, fed the same requests as owned ``HTTPExchange``s (the proxy's entry):
    /// both entries must give the same call.
    let exchanges = AWSRequestDecoder(table: .bundled)
    var pending: AWSRequestDecoder.Pending?
    var exchange: HTTPExchange?
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
        let time = Date(timeIntervalSince1970: 1_700_000_000)
        exchange = HTTPExchange(
            method: head.methodString, target: String(decoding: head.slice(head.target), as: UTF8.self),
            headers: head.fields.map {
                (String(decoding: head.slice($0.name), as: UTF8.self), String(decoding: head.slice($0.value), as: UTF8.self))
            },
            time: time)
        switch decoder.decodeHead(head, time: time) {
        case .success(let pending):
            require(!pending.candidates.isEmpty, "a pending call without a candidate service")
            self.pending = pending
            return .framed(keep: 4096)
        case .failure(let failure):
            pending = nil
            // The exchange entry must fail the same way, on the head alone.
            if let exchange = exchange.take() {
                if case .success = exchanges.decode(exchange) {
                    require(false, "the exchange entry decodes a request whose head the capture's refused (\(failure))")
                }
            }
            return .framed(keep: 0)
        }
    }

    func httpMessageEnd(_ parser: HTTPStreamParser, body: UnsafeRawBufferPointer?, complete: Bool) {
        if parser.role == .response {
            if let body { _ = AWSErrorCode.fromBody(body) }
            return
        }
        guard let pending = pending.take(), complete else { return }
        let captured = decoder.finish(pending, body: body)
        if case .success(let call) = captured {
            require(!call.service.isEmpty && !call.operation.isEmpty, "a call without a service or operation")
            calls += 1
        }
        guard var exchange = exchange.take() else { return }
        exchange.body = body.map { Array($0) }
        let owned = exchanges.decode(exchange)
        switch (captured, owned) {
        case (.success(let a), .success(let b)):
            require(a.service == b.service && a.operation == b.operation && a.region == b.region
                    && a.parameters == b.parameters, "the exchange entry decodes another call than the capture's")
        case (.failure(let a), .failure(let b)):
            require(a == b, "the exchange entry fails otherwise than the capture's")
        default:
            require(false, "one entry decodes a call, the other does not")
        }
    }

    func httpLostSync(_ parser: HTTPStreamParser, partialHead: Bool) {
        pending = nil
        exchange = nil
    }
}

/// HTTP requests (or, with the first byte odd, responses) through the HTTP parser into the AWS
/// request stage: service, operation, region, key id and resource parameters from the head, the
/// query and JSON, form, XML or CBOR bodies. Each request goes through both of the stage's entries,
/// the capture's borrowed head and body and an owned ``HTTPExchange``, which must agree.
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
