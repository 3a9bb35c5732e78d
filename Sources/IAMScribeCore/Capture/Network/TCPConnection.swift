#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The two ends of a TCP connection, in a fixed order so both directions find the same entry.
struct ConnectionKey: Equatable {
    let first: IPAddress
    let second: IPAddress
    let firstPort: UInt16
    let secondPort: UInt16
}

/// One TCP connection: its two byte streams, what they carry, and the HTTP requests waiting for
/// their responses.
///
/// Which end is the client comes from the SYN when the capture has it, else from the content (a
/// request line, a status line, a TLS ClientHello). HTTP responses pair with requests in order,
/// as HTTP/1.1 sends them; once either stream loses its framing the pairing can no longer be
/// trusted, so the calls that follow are emitted without a status.
///
/// Its stored properties are `@exclusivity(unchecked)`, for the reason in `Capture/UNSAFE.md`.
final class TCPConnection {
    enum Kind {
        case undetermined
        case http
        /// TLS whose ClientHello is not read yet.
        case tls
        /// Nothing more to read: TLS after its ClientHello, or neither HTTP nor TLS.
        case ignored
    }

    /// A request, from its head to its response.
    final class Exchange {
        @exclusivity(unchecked) var pending: AWSRequestDecoder.Pending?
        @exclusivity(unchecked) var call: ObservedCall?
        @exclusivity(unchecked) var isHead = false
        @exclusivity(unchecked) var expectsContinue = false
        @exclusivity(unchecked) var requestDone = false
        @exclusivity(unchecked) var responded = false
        @exclusivity(unchecked) var status: Int?
        @exclusivity(unchecked) var errorCode: String?
    }

    @exclusivity(unchecked) private(set) var kind: Kind = .undetermined
    /// Whether the key's first end is the client; nil until known.
    @exclusivity(unchecked) private var clientIsFirst: Bool?
    @exclusivity(unchecked) private var firstStream: TCPStreamReassembler
    @exclusivity(unchecked) private var secondStream: TCPStreamReassembler
    @exclusivity(unchecked) private var requests: HTTPStreamParser?
    @exclusivity(unchecked) private var responses: HTTPStreamParser?
    @exclusivity(unchecked) private var waiting: [Exchange] = []
    @exclusivity(unchecked) private var currentRequest: Exchange?
    @exclusivity(unchecked) private var currentResponse: Exchange?
    @exclusivity(unchecked) private var pairingLost = false
    @exclusivity(unchecked) private var clientHello: [UInt8] = []
    @exclusivity(unchecked) private var undecidedPayloads = 0
    /// Where each direction's FIN ends its stream, once seen.
    @exclusivity(unchecked) private var finAt: (first: UInt32?, second: UInt32?) = (nil, nil)
    @exclusivity(unchecked) private(set) var lastActivity: Double
    @exclusivity(unchecked) private var now: Double
    private unowned let context: CaptureContext

    init(context: CaptureContext, time: Double) {
        self.context = context
        firstStream = TCPStreamReassembler(maximumBuffered: context.options.maximumOutOfOrderBytes)
        secondStream = TCPStreamReassembler(maximumBuffered: context.options.maximumOutOfOrderBytes)
        lastActivity = time
        now = time
    }

    /// Takes one segment.
    ///
    /// - Returns: Whether the connection ended (reset, or both ends closed).
    func segment(fromFirst: Bool, sequence: UInt32, flags: UInt8, payload: UnsafeRawBufferPointer, missing: Int, time: Double) -> Bool {
        lastActivity = time
        now = time
        let syn = flags & 0x02 != 0, ack = flags & 0x10 != 0, fin = flags & 0x01 != 0, reset = flags & 0x04 != 0
        if syn {
            if clientIsFirst == nil { clientIsFirst = ack ? !fromFirst : fromFirst }
            if fromFirst { firstStream.synchronize(initialSequence: sequence) } else { secondStream.synchronize(initialSequence: sequence) }
        }
        if payload.count + missing > 0, kind != .ignored {
            let start = syn ? sequence &+ 1 : sequence
            if fromFirst {
                firstStream.accept(sequence: start, payload: payload, missing: missing) { deliver($0, fromFirst: true) }
            } else {
                secondStream.accept(sequence: start, payload: payload, missing: missing) { deliver($0, fromFirst: false) }
            }
        }
        if reset {
            close()
            return true
        }
        if fin {
            // The stream ends where the FIN's payload ends; segments before it may still come.
            let end = (syn ? sequence &+ 1 : sequence) &+ UInt32(truncatingIfNeeded: payload.count + missing)
            if fromFirst { finAt.first = end } else { finAt.second = end }
        }
        if let first = finAt.first, let second = finAt.second, firstStream.next == first, secondStream.next == second {
            close()
            return true
        }
        return false
    }

    /// Ends the connection: bytes held behind holes are delivered, open messages end, and waiting
    /// requests are emitted without a status.
    func close() {
        if kind != .ignored {
            firstStream.finish { deliver($0, fromFirst: true) }
            secondStream.finish { deliver($0, fromFirst: false) }
        }
        requests?.finish()
        responses?.finish()
        for exchange in waiting where exchange.requestDone { emit(exchange) }
        waiting.removeAll()
        kind = .ignored
    }

    // MARK: - Streams

    private func deliver(_ chunk: TCPStreamReassembler.Chunk, fromFirst: Bool) {
        switch chunk {
        case .bytes(let bytes):
            if kind == .undetermined { decide(bytes, fromFirst: fromFirst) }
            switch kind {
            case .http:
                if fromFirst == clientIsFirst { requests?.receive(bytes) } else { responses?.receive(bytes) }
            case .tls:
                if fromFirst == clientIsFirst { readClientHello(bytes) }
            case .undetermined, .ignored:
                break
            }
        case .gap(let count):
            guard kind == .http else { return }
            if fromFirst == clientIsFirst { requests?.gap(count) } else { responses?.gap(count) }
        }
    }

    /// Tells what the connection carries from the first bytes of either end.
    private func decide(_ bytes: UnsafeRawBufferPointer, fromFirst: Bool) {
        let isClient = clientIsFirst.map { $0 == fromFirst }
        if isClient != false, HTTPBytes.startsWithMethod(bytes) {
            clientIsFirst = fromFirst
            startHTTP()
        } else if isClient != true, HTTPBytes.hasPrefix(bytes, "HTTP/1.") {
            clientIsFirst = !fromFirst
            startHTTP()
        } else if isClient != false, TLSClientHello.looksLikeHandshake(bytes) {
            clientIsFirst = fromFirst
            kind = .tls
            context.statistics.tlsConnections += 1
        } else {
            // A capture that starts mid-stream shows bodies first; a message start may follow.
            undecidedPayloads += 1
            if undecidedPayloads > 16 || isClient == true {
                kind = .ignored
                context.statistics.otherConnections += 1
            }
        }
    }

    private func startHTTP() {
        kind = .http
        requests = HTTPStreamParser(role: .request, delegate: self)
        responses = HTTPStreamParser(role: .response, delegate: self)
    }

    private func readClientHello(_ bytes: UnsafeRawBufferPointer) {
        let result: TLSClientHello.Result
        if clientHello.isEmpty {
            result = TLSClientHello.parse(bytes)
            if result == .needMore { clientHello.append(contentsOf: bytes) }
        } else {
            clientHello.append(contentsOf: bytes)
            result = clientHello.withUnsafeBytes { TLSClientHello.parse($0) }
        }
        switch result {
        case .needMore:
            if clientHello.count > 20_000 {
                kind = .ignored
                clientHello = []
            }
        case .notClientHello:
            kind = .ignored
            clientHello = []
        case .serverName(let name):
            if let name { context.sawTLS(serverName: name) }
            kind = .ignored
            clientHello = []
        }
    }

    // MARK: - Exchanges

    private func emit(_ exchange: Exchange) {
        // Taken, not copied: a copy would retain each string of the call only to release it.
        guard var call = exchange.call.take() else { return }
        call.httpStatus = exchange.status
        call.errorCode = exchange.errorCode
        context.calls.append(call)
    }

    /// Emits every finished request still waiting, without a status, and stops pairing.
    private func losePairing() {
        pairingLost = true
        for exchange in waiting where exchange.requestDone { emit(exchange) }
        waiting.removeAll { $0.requestDone }
        currentResponse = nil
    }
}

extension TCPConnection: HTTPStreamDelegate {
    func httpHead(_ parser: HTTPStreamParser, _ head: HTTPHead, framing: HTTPStreamParser.Framing) -> HTTPBodyPlan {
        parser.role == .request ? requestHead(head) : responseHead(head)
    }

    private func requestHead(_ head: HTTPHead) -> HTTPBodyPlan {
        let exchange = Exchange()
        exchange.isHead = HTTPBytes.hasPrefix(head.slice(head.method), "HEAD")
        exchange.expectsContinue = head.value(of: .expect).map { HTTPBytes.contains($0, "100-continue") } ?? false
        var keep = 0
        switch context.decoder.decodeHead(head, time: Date(timeIntervalSince1970: now)) {
        case .success(let pending):
            exchange.pending = pending
            if pending.bodyMatters || pending.operation == nil { keep = context.options.maximumBodyBytes }
        case .failure(.notAWS):
            context.statistics.unidentifiedRequests += 1
        case .failure(.unknownOperation):
            context.statistics.unknownOperations += 1
        }
        currentRequest = exchange
        if !pairingLost { waiting.append(exchange) }
        return .framed(keep: keep)
    }

    private func responseHead(_ head: HTTPHead) -> HTTPBodyPlan {
        let status = head.status
        if status < 200 {
            if status == 101 { kind = .ignored }
            return .none
        }
        let noBody = status == 204 || status == 304
        guard !pairingLost, let exchange = waiting.first(where: { !$0.responded }) else {
            currentResponse = nil
            return noBody ? .none : .framed(keep: 0)
        }
        exchange.status = status
        if status >= 400, let type = head.value(of: .errorType) {
            exchange.errorCode = AWSErrorCode.fromErrorType(String(decoding: type, as: UTF8.self))
        }
        currentResponse = exchange
        if exchange.expectsContinue, !exchange.requestDone, exchange === currentRequest {
            // A final status to `Expect: 100-continue`: the client sends no body.
            requests?.abandonBodyIfNotStarted()
        }
        return noBody || exchange.isHead ? .none : .framed(keep: status >= 400 && exchange.errorCode == nil ? AWSErrorCode.maximumBodyBytes : 0)
    }

    func httpMessageEnd(_ parser: HTTPStreamParser, body: UnsafeRawBufferPointer?, complete: Bool) {
        if parser.role == .request {
            guard let exchange = currentRequest else { return }
            currentRequest = nil
            exchange.requestDone = true
            if !complete {
                context.statistics.skippedMissingData += 1
                exchange.pending = nil
            } else if let pending = exchange.pending.take() {
                context.statistics.httpRequests += 1
                switch context.decoder.finish(pending, body: body) {
                case .success(let call): exchange.call = call
                case .failure: context.statistics.unknownOperations += 1
                }
            } else {
                context.statistics.httpRequests += 1
            }
            if exchange.responded || pairingLost { emit(exchange) }
        } else {
            guard let exchange = currentResponse else { return }
            currentResponse = nil
            if exchange.errorCode == nil, let status = exchange.status, status >= 400, let body {
                exchange.errorCode = AWSErrorCode.fromBody(body)
            }
            exchange.responded = true
            if let index = waiting.firstIndex(where: { $0 === exchange }) { waiting.remove(at: index) }
            if exchange.requestDone { emit(exchange) }
        }
    }

    func httpLostSync(_ parser: HTTPStreamParser, partialHead: Bool) {
        if partialHead, parser.role == .request { context.statistics.skippedMissingData += 1 }
        losePairing()
    }
}
