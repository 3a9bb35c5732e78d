#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import IAMScribeCore
import NIOCore
import NIOHTTP1
import NIOSSL

/// The requests of a plain proxy connection, or of one stream of a decrypted HTTP/2 connection, as
/// HTTP/1-style parts: relays each to its upstream and the response back, streaming both bodies,
/// and records the exchange when the host is intercepted.
///
/// On a plain connection (``Mode/front``) it takes absolute-form requests and `CONNECT`: a
/// `CONNECT` to an intercepted host is answered, then TLS is terminated with a leaf for that host
/// and ``HTTPVersionSelector`` sets up what the client chose (``HTTP1Relay`` for HTTP/1.1; for
/// HTTP/2, one of these per stream, ``Mode/intercepted``); a `CONNECT` to any other host becomes
/// a byte-for-byte tunnel. Pipelined plain requests are answered in order over one kept-alive
/// upstream connection (`HTTPServerPipelineHandler` before it hands it one request at a time).
final class ExchangeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Where the connection's requests come from.
    enum Mode {
        /// A plain connection to the proxy; the handlers to take out when a `CONNECT` switches it.
        case front(FrontHandlers)
        /// Decrypted requests of a `CONNECT` tunnel to this host and port.
        case intercepted(host: String, port: Int)
    }

    /// The HTTP handlers of a plain connection, taken out when it becomes a tunnel.
    struct FrontHandlers {
        let decoder: ByteToMessageHandler<HTTPRequestDecoder>
        let encoder: HTTPResponseEncoder
        let pipelining: HTTPServerPipelineHandler
        let errors: HTTPServerProtocolErrorHandler
    }

    /// The exchange being relayed.
    private struct Current {
        let record: Bool
        let endpoint: ProxyConfiguration.Endpoint
        var exchange: HTTPExchange
        var keptBytes = 0
        var requestEnded = false
        var responseStarted = false
        var closeAfter: Bool
    }

    private let core: ProxyCore
    private let mode: Mode
    private var context: ChannelHandlerContext?
    private var current: Current?
    private var upstream: UpstreamHandler?
    private var upstreamChannel: Channel?
    private var upstreamEndpoint: ProxyConfiguration.Endpoint?
    private var connecting = false
    /// Request parts waiting for the upstream connection.
    private var waiting: [HTTPClientRequestPart] = []
    private var pendingRead = false
    private var connectTarget: (host: String, port: Int)?
    private var switching = false
    /// Request body parts written upstream since its last flush: flushed once the client's
    /// read is complete, so that a read's parts leave as one write (one TLS record when small).
    private var upstreamUnflushed = false
    /// The same for response body parts written to the client, flushed when the upstream's read is.
    private var clientUnflushed = false
    /// The upstreams shared by the streams of one HTTP/2 connection (none for HTTP/1.1).
    private let pool: UpstreamPool?
    /// Whether the upstream is a stream of an upstream HTTP/2 connection.
    private var upstreamIsStream = false
    /// The response ended before the request did, on an upstream HTTP/2 stream (full duplex):
    /// the rest of the request body still goes upstream.
    private var relayingRest = false
    /// An HTTP/2 request without a `content-length`, held back with the first part of its body
    /// until it is known whether the whole body fits in ``maximumHeldBytes`` (then it goes to an
    /// HTTP/1.1 upstream with a `content-length`, which S3 requires) or not (then chunked).
    private var held: Held?
    private var holdTimer: Scheduled<Void>?
    /// A held body ended while the upstream was still being set up: it is counted as given its
    /// length once the upstream turns out to be HTTP/1.1.
    private var countLengthWhenConnected = false

    /// What went upstream of the current request, kept until its answer begins: when an
    /// endpoint's `GOAWAY` leaves the upstream HTTP/2 stream unprocessed (RFC 9113, 6.8), the
    /// request goes again, whole, on a new connection. None once its body passed
    /// ``maximumReplayBytes`` (it cannot be sent again whole), nor on an HTTP/1.1 upstream.
    private var replay: Replay?
    /// How many times the current request was sent again.
    private var retries = 0

    private struct Replay {
        var head: HTTPRequestHead?
        /// A copy, not the parts as they came: a small part may hold on to a much larger read buffer.
        var body = ByteBuffer()
        var ended = false
        var trailers: HTTPHeaders?

        /// The request as it went upstream.
        var parts: [HTTPClientRequestPart] {
            var parts: [HTTPClientRequestPart] = []
            if let head { parts.append(.head(head)) }
            if body.readableBytes > 0 { parts.append(.body(.byteBuffer(body))) }
            if ended { parts.append(.end(trailers)) }
            return parts
        }
    }

    /// The most body bytes of a request kept to send it again.
    static let maximumReplayBytes = 64 << 10
    /// The most times a request the endpoint left unprocessed is sent again.
    static let maximumRetries = 2

    private struct Held {
        var head: HTTPRequestHead
        var parts: [ByteBuffer] = []
        var bytes = 0
        /// The hold lasted ``maximumHoldTime``: the body streams on chunked once the upstream is up.
        var expired = false
    }

    /// The most body bytes an HTTP/2 request without a `content-length` is held for.
    static let maximumHeldBytes = 1 << 20
    /// The longest such a request is held (a body that trickles, or one that waits for its answer).
    static let maximumHoldTime = TimeAmount.seconds(2)

    init(core: ProxyCore, mode: Mode, pool: UpstreamPool? = nil) {
        self.core = core
        self.mode = mode
        self.pool = pool
    }

    var clientWritable: Bool { context?.channel.isWritable ?? false }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        endHold()
        if !switching { releaseUpstream() }
    }

    /// The client side ended: an idle upstream connection goes back to the pool (an HTTP/2
    /// stream's), any other closes.
    private func releaseUpstream() {
        guard let channel = upstreamChannel else { return }
        if let pool, let upstream, let endpoint = upstreamEndpoint, current == nil, !connecting, !relayingRest {
            pool.release(.init(channel: channel, handler: upstream, stream: upstreamIsStream), endpoint: endpoint)
        } else {
            channel.close(promise: nil)
        }
        upstreamChannel = nil
        upstream = nil
    }

    // MARK: - Requests from the client

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            begin(head, context: context)
        case .body(let buffer):
            guard var current else {
                if relayingRest {
                    send(.body(.byteBuffer(buffer)), flush: false)
                    upstreamUnflushed = true
                }
                return
            }
            if current.record, current.exchange.body != nil {
                if current.keptBytes + buffer.readableBytes <= core.configuration.maximumBodyBytes {
                    current.exchange.body?.append(contentsOf: buffer.readableBytesView)
                    current.keptBytes += buffer.readableBytes
                } else {
                    // Too large to decode: it streams on, and only the head is decoded.
                    current.exchange.body = nil
                }
            }
            self.current = current
            if held != nil {
                hold(buffer)
                return
            }
            send(.body(.byteBuffer(buffer)), flush: false)
            upstreamUnflushed = true
        case .end(let trailers):
            if let target = connectTarget {
                connectTarget = nil
                open(target, context: context)
                return
            }
            guard current != nil else {
                if relayingRest {
                    relayingRest = false
                    upstreamUnflushed = false
                    send(.end(trailers), flush: true)
                }
                return
            }
            current?.requestEnded = true
            upstreamUnflushed = false
            // The whole body came while held: it goes with its length.
            if let held { releaseHeld(length: held.bytes) }
            send(.end(trailers), flush: true)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if upstreamUnflushed {
            upstreamUnflushed = false
            upstream?.flush()
        }
        context.fireChannelReadComplete()
    }

    private func begin(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let endpoint: ProxyConfiguration.Endpoint
        let record: Bool
        var uri = head.uri
        var headers = head.headers
        switch mode {
        case .intercepted(let host, let port):
            record = true
            endpoint = core.configuration.forwardTo ?? .init(host: host, port: port, tls: true)
            if !uri.hasPrefix("/") && uri != "*" {
                // An absolute-form target inside the tunnel: its path only goes upstream.
                uri = URLComponents(string: uri).map { Self.originForm($0) } ?? uri
            }
        case .front:
            if head.method == .CONNECT {
                guard let target = Self.authority(head.uri) else {
                    respond(context, status: .badRequest, "iamscribe: CONNECT needs host:port, not \(head.uri.prefix(200).debugDescription)")
                    core.reject("malformed CONNECT")
                    return
                }
                connectTarget = target
                return
            }
            guard let components = URLComponents(string: head.uri), components.scheme?.lowercased() == "http",
                  let host = components.host, !host.isEmpty else {
                respond(context, status: .badRequest,
                        "iamscribe is an HTTP proxy: send absolute-form requests (http://host/path) or CONNECT host:port")
                core.reject("not a proxy request")
                return
            }
            let port = components.port ?? 80
            record = core.configuration.intercepts(host)
            endpoint = record ? core.configuration.forwardTo ?? .init(host: host, port: port, tls: false)
                              : .init(host: host, port: port, tls: false)
            uri = Self.originForm(components)
            if !headers.contains(name: "host") { headers.add(name: "host", value: port == 80 ? host : "\(host):\(port)") }
        }
        // What concerns only this hop stays here (the client's proxy credentials among it).
        if Self.mayHaveProxyHeaders(headers) {
            for name in ["proxy-connection", "proxy-authorization", "proxy-authenticate"] { headers.remove(name: name) }
        }
        let exchange = HTTPExchange(method: head.method.rawValue, target: uri,
                                    headers: record ? headers.map { ($0.name, $0.value) } : [],
                                    body: record ? [] : nil, time: Date())
        current = Current(record: record, endpoint: endpoint, exchange: exchange, closeAfter: !head.isKeepAlive)
        var upstreamHead = HTTPRequestHead(version: .http1_1, method: head.method, uri: uri, headers: headers)
        if !head.isKeepAlive && head.version == .http1_1 { upstreamHead.headers.replaceOrAdd(name: "connection", value: "close") }
        if upstreamChannel == nil || upstreamEndpoint != endpoint {
            upstreamChannel?.close(promise: nil)
            if let pooled = pool?.take(endpoint) {
                pooled.handler.owner = self
                upstream = pooled.handler
                upstreamChannel = pooled.channel
                upstreamEndpoint = endpoint
                upstreamIsStream = false
            } else {
                connectUpstream(endpoint, context: context)
            }
        }
        // Kept for an upstream HTTP/2 stream (or one that may turn out to be).
        retries = 0
        replay = pool != nil && endpoint.tls && (connecting || upstreamIsStream) ? Replay() : nil
        if shouldHold(head, endpoint: endpoint) {
            held = Held(head: upstreamHead)
            holdTimer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.maximumHoldTime) { [self] in
                holdTimer = nil
                guard held != nil else { return }
                if connecting {
                    held?.expired = true
                } else {
                    releaseHeld(length: nil)
                }
            }
            return
        }
        send(.head(upstreamHead), flush: false)
    }

    // MARK: - HTTP/2 uploads without a length

    /// Whether a request is an HTTP/2 upload without a `content-length` that may go to an
    /// HTTP/1.1 upstream: `HTTP2FramePayloadToHTTP1ServerCodec` marked it chunked (HTTP/2 has no
    /// such framing) because its body had not ended with its headers. One that expects a
    /// `100 Continue` first is not held (its client would wait for the answer).
    private func shouldHold(_ head: HTTPRequestHead, endpoint: ProxyConfiguration.Endpoint) -> Bool {
        guard let pool, !upstreamIsStream || connecting, !pool.speaksHTTP2(endpoint) else { return false }
        let headers = head.headers
        return headers[canonicalForm: "transfer-encoding"].contains { $0.lowercased() == "chunked" }
            && !headers.contains(name: "content-length") && !headers.contains(name: "expect")
    }

    /// A body part of a held request: kept, or sent on with the head (chunked) once the held
    /// parts pass the limit and the upstream is known to be HTTP/1.1.
    private func hold(_ buffer: ByteBuffer) {
        held?.parts.append(buffer)
        held?.bytes += buffer.readableBytes
        if let held, held.bytes > Self.maximumHeldBytes, !connecting {
            releaseHeld(length: nil)
            upstreamUnflushed = true
        }
    }

    /// Sends the held head and body parts: with a `content-length` when the body ended within
    /// the hold, else as they are (chunked to HTTP/1.1; an HTTP/2 upstream needs no length).
    private func releaseHeld(length: Int?) {
        guard var releasing = held else { return }
        endHold()
        if upstreamIsStream {
            // An HTTP/2 upstream: no length needed.
        } else if let length {
            // Right for either version, should the upstream still being set up turn out HTTP/2.
            releasing.head.headers.remove(name: "transfer-encoding")
            releasing.head.headers.replaceOrAdd(name: "content-length", value: String(length))
            if connecting { countLengthWhenConnected = true } else { core.count { $0.uploadsGivenLength += 1 } }
        } else {
            core.count { $0.uploadsSentChunked += 1 }
        }
        send(.head(releasing.head), flush: false)
        for part in releasing.parts { send(.body(.byteBuffer(part)), flush: false) }
        if !connecting { upstream?.flush() }
        if pendingRead && !connecting, let context, upstream?.isWritable ?? false {
            pendingRead = false
            context.read()
        }
    }

    private func endHold() {
        held = nil
        holdTimer?.cancel()
        holdTimer = nil
    }

    private func send(_ part: HTTPClientRequestPart, flush: Bool) {
        if replay != nil { keepForReplay(part) }
        if connecting || upstream == nil {
            waiting.append(part)
        } else {
            upstream?.send(part, flush: flush)
        }
    }

    /// Keeps a part sent upstream to send it again; a body past ``maximumReplayBytes`` (or a
    /// part not in memory) lets the request go.
    private func keepForReplay(_ part: HTTPClientRequestPart) {
        guard var kept = replay else { return }
        // Taken out while it grows: its body is not copied again.
        replay = nil
        switch part {
        case .head(let head):
            kept.head = head
        case .body(.byteBuffer(let buffer)):
            guard kept.body.readableBytes + buffer.readableBytes <= Self.maximumReplayBytes else { return }
            kept.body.writeImmutableBuffer(buffer)
        case .body(.fileRegion):
            return
        case .end(let trailers):
            kept.ended = true
            kept.trailers = trailers
        }
        replay = kept
    }

    /// Sends the current request again on a new upstream (the pool opens a new connection, the
    /// one that sent `GOAWAY` being draining), when all of it that went upstream is still kept,
    /// no part of its answer came, and it was not sent again too often. Returns whether it did.
    private func retry(_ endpoint: ProxyConfiguration.Endpoint) -> Bool {
        guard let kept = replay, let context, let current, !current.responseStarted, !relayingRest,
              retries < Self.maximumRetries else { return false }
        retries += 1
        core.count { $0.http2UpstreamRetries += 1 }
        // Before it connects: the connection may be ready at once, and sends what waits.
        waiting = kept.parts
        connectUpstream(endpoint, context: context)
        return true
    }

    /// Connects upstream: through the pool for an HTTP/2 client's stream to a TLS endpoint (an
    /// upstream HTTP/2 stream or an HTTP/1.1 connection, as the endpoint chooses), else an
    /// HTTP/1.1 connection as for any HTTP/1.1 client.
    private func connectUpstream(_ endpoint: ProxyConfiguration.Endpoint, context: ChannelHandlerContext) {
        connecting = true
        upstream = nil
        upstreamChannel = nil
        upstreamEndpoint = endpoint
        upstreamIsStream = false
        let makeHandler = { [self] () -> UpstreamHandler in
            let handler = UpstreamHandler(owner: self)
            upstream = handler
            return handler
        }
        let opened = { [self] (result: Result<UpstreamPool.Connection, Error>) in connected(result, endpoint: endpoint) }
        if let pool, endpoint.tls {
            pool.open(endpoint, makeHandler: makeHandler, opened: opened)
        } else {
            UpstreamPool.connectHTTP1(endpoint, core: core, loop: context.eventLoop, makeHandler: makeHandler, opened: opened)
        }
    }

    private func connected(_ result: Result<UpstreamPool.Connection, Error>, endpoint: ProxyConfiguration.Endpoint) {
        // The client may have gone while it connected (an HTTP/2 stream reset): nothing to relay.
        guard upstreamEndpoint == endpoint, connecting, context != nil else {
            if case .success(let connection) = result { connection.channel.close(promise: nil) }
            return
        }
        connecting = false
        switch result {
        case .success(let connection):
            upstream = connection.handler
            upstreamChannel = connection.channel
            upstreamIsStream = connection.stream
            // An HTTP/1.1 upstream is never sent a request again: nothing to keep.
            if !connection.stream { replay = nil }
            if countLengthWhenConnected && !connection.stream { core.count { $0.uploadsGivenLength += 1 } }
            countLengthWhenConnected = false
            if let held, connection.stream || held.expired || held.bytes > Self.maximumHeldBytes {
                releaseHeld(length: nil)
            }
            let parts = waiting
            waiting = []
            for (index, part) in parts.enumerated() { upstream?.send(part, flush: index == parts.count - 1) }
            if pendingRead && held == nil && mayRead {
                pendingRead = false
                context?.read()
            }
        case .failure(let error):
            upstream = nil
            waiting = []
            endHold()
            fail(error, endpoint: endpoint)
        }
    }

    // MARK: - Responses from upstream

    func upstream(_ handler: UpstreamHandler, received part: HTTPClientResponsePart) {
        guard handler === upstream, let context else { return }
        // Its answer began (an informational one too): it is never sent again.
        replay = nil
        switch part {
        case .head(let head):
            if (100..<200).contains(head.status.code) && head.status != .switchingProtocols {
                // 100-continue and its kind go to the client; the final response follows.
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: head.status, headers: head.headers))), promise: nil)
                return
            }
            current?.responseStarted = true
            // An upstream HTTP/2 stream ends on its own: it says nothing of keep-alive.
            if !head.isKeepAlive && head.version.major < 2 { current?.closeAfter = true }
            if current?.record == true {
                current?.exchange.response = HTTPExchange.Response(status: Int(head.status.code),
                                                                   headers: head.headers.map { ($0.name, $0.value) },
                                                                   body: head.status.code >= 400 ? [] : nil)
            }
            var response = HTTPResponseHead(version: .http1_1, status: head.status, headers: head.headers)
            if current?.closeAfter == true { response.headers.replaceOrAdd(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(response)), promise: nil)
            clientUnflushed = true
        case .body(let buffer):
            if let kept = current?.exchange.response?.body?.count, kept < ProxyCore.maximumErrorBodyBytes {
                current?.exchange.response?.body?.append(contentsOf: buffer.readableBytesView.prefix(ProxyCore.maximumErrorBodyBytes - kept))
            }
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            clientUnflushed = true
        case .end(let trailers):
            guard let finished = current else { return }
            current = nil
            clientUnflushed = false
            if finished.record { core.record(finished.exchange) } else { core.count { $0.exchanges += 1 } }
            if !finished.closeAfter && !finished.requestEnded && upstreamIsStream {
                // Full duplex on an upstream HTTP/2 stream: the answer is complete, the rest of
                // the request still goes upstream.
                relayingRest = true
                context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
            } else if finished.closeAfter || !finished.requestEnded {
                upstreamChannel?.close(promise: nil)
                upstreamChannel = nil
                upstream = nil
                context.writeAndFlush(wrapOutboundOut(.end(trailers))).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            } else {
                context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
            }
        }
    }

    /// The upstream's read is complete: the response parts it gave go to the client in one write.
    func upstreamReadComplete(_ handler: UpstreamHandler) {
        guard handler === upstream, clientUnflushed else { return }
        clientUnflushed = false
        context?.flush()
    }

    func upstream(_ handler: UpstreamHandler, failed error: Error) {
        guard handler === upstream, let endpoint = upstreamEndpoint else { return }
        upstream = nil
        upstreamChannel = nil
        guard let unprocessed = error as? UnprocessedRequest else { return fail(error, endpoint: endpoint) }
        if retry(endpoint) { return }
        let why = replay == nil
            ? "iamscribe keeps the first \(Self.maximumReplayBytes >> 10) KiB of a request's body to send it again, and this one's was longer"
            : "iamscribe sent it again \(plural(retries, "time")), and each time it was left unprocessed"
        fail(UpstreamProxyHandler.Failure(reason: "\(unprocessed.reason) (\(why))"), endpoint: endpoint)
    }

    func upstreamClosed(_ handler: UpstreamHandler) {
        guard handler === upstream, let endpoint = upstreamEndpoint else { return }
        upstream = nil
        upstreamChannel = nil
        if relayingRest {
            // The endpoint stopped the request it had answered: the client's stream stops too.
            relayingRest = false
            context?.close(promise: nil)
            return
        }
        if current != nil {
            fail(UpstreamProxyHandler.Failure(reason: "\(endpoint.authority) closed the connection before it answered"), endpoint: endpoint)
        }
    }

    func upstreamBecameWritable(_ handler: UpstreamHandler) {
        guard handler === upstream, pendingRead, mayRead else { return }
        pendingRead = false
        context?.read()
    }

    /// The upstream failed: a request not yet answered gets a 502 that says why; one whose
    /// answer had begun can only be cut off.
    private func fail(_ error: Error, endpoint: ProxyConfiguration.Endpoint) {
        endHold()
        guard let context else { return }
        if relayingRest {
            // Answered, and the rest of its request cannot follow: the client's stream stops.
            relayingRest = false
            context.close(promise: nil)
            return
        }
        let reason = ProxyCore.explain(error, endpoint: endpoint)
        guard let failed = current else { return }
        current = nil
        replay = nil
        if failed.responseStarted {
            context.close(promise: nil)
            return
        }
        core.count {
            $0.upstreamFailures += 1
            $0.lastUpstreamFailure = reason
        }
        respond(context, status: .badGateway, "iamscribe: \(reason)")
    }

    /// Answers with a short text and closes the connection.
    private func respond(_ context: ChannelHandlerContext, status: HTTPResponseStatus, _ text: String) {
        let body = context.channel.allocator.buffer(string: text + "\n")
        var headers = HTTPHeaders([("content-type", "text/plain; charset=utf-8"), ("connection", "close")])
        headers.add(name: "content-length", value: String(body.readableBytes))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    // MARK: - The client connection

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { upstream?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if let held {
            // Held: reads go on until the hold is full.
            if held.bytes <= Self.maximumHeldBytes { context.read() } else { pendingRead = true }
        } else if mayRead {
            context.read()
        } else {
            pendingRead = true
        }
    }

    /// Whether more may be read from the client: not while the upstream connects or can take no more.
    private var mayRead: Bool {
        !connecting && (upstream?.isWritable ?? true)
    }

    func channelInactive(context: ChannelHandlerContext) {
        releaseUpstream()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        switch error {
        case is HTTPParserError:
            // HTTPServerProtocolErrorHandler before it answers with the 400.
            core.reject("malformed HTTP request")
        case let error as NIOSSLError:
            if case .uncleanShutdown = error { break }
            core.reject("TLS handshake with the client failed (does it trust iamscribe's CA?)")
        case is NIOSSLExtraError: core.reject("TLS handshake with the client failed (does it trust iamscribe's CA?)")
        case let error as IOError where error.errnoCode == ECONNRESET || error.errnoCode == EPIPE: break
        default: core.reject("connection error")
        }
        upstreamChannel?.close(promise: nil)
        context.close(promise: nil)
    }

    // MARK: - CONNECT

    /// Answers a `CONNECT` and turns the connection into an intercepted TLS session or a tunnel.
    private func open(_ target: (host: String, port: Int), context: ChannelHandlerContext) {
        guard case .front(let front) = mode else { return }
        if core.configuration.intercepts(target.host) {
            do {
                let tls = try core.serverContext(for: target.host)
                core.count { $0.intercepted += 1 }
                // HTTP/1.1 or HTTP/2, as the client's ALPN chooses (HTTPVersionSelector).
                try switchPipeline(context, front: front, add: [
                    NIOSSLServerHandler(context: tls),
                    WriteCoalescer(),
                    HTTPVersionSelector(core: core, host: target.host, port: target.port),
                ])
            } catch {
                respond(context, status: .internalServerError, "iamscribe: cannot intercept \(target.host): \(error)")
                core.reject("certificate not made")
            }
            return
        }
        // Any other host: a plain tunnel, bytes untouched; its TLS is between the client and the host.
        core.count { $0.tunnelled += 1 }
        connecting = true
        let endpoint = ProxyConfiguration.Endpoint(host: target.host, port: target.port, tls: false)
        let (clientGlue, upstreamGlue) = GlueHandler.pair()
        let upstreamBound = NIOLoopBound(upstreamGlue, eventLoop: context.eventLoop)
        core.connect(to: endpoint, on: context.eventLoop) { channel in
            try channel.pipeline.syncOperations.addHandler(upstreamBound.value)
        }.assumeIsolated().whenComplete { result in
            self.connecting = false
            switch result {
            case .success(let channel):
                do {
                    try self.switchPipeline(context, front: front, add: [clientGlue])
                } catch {
                    channel.close(promise: nil)
                    context.close(promise: nil)
                }
            case .failure(let error):
                let reason = ProxyCore.explain(error, endpoint: endpoint)
                self.core.count {
                    $0.upstreamFailures += 1
                    $0.lastUpstreamFailure = reason
                }
                self.respond(context, status: .badGateway, "iamscribe: \(reason)")
            }
        }
    }

    /// Answers the `CONNECT` with a 200, replaces the HTTP handlers with `handlers`, and passes
    /// on any bytes the client sent after its request.
    private func switchPipeline(_ context: ChannelHandlerContext, front: FrontHandlers, add handlers: [ChannelHandler]) throws {
        switching = true
        let pipeline = context.pipeline.syncOperations
        // Plain handlers are removed at once: the 200 below goes out as raw bytes.
        pipeline.removeHandler(front.errors, promise: nil)
        pipeline.removeHandler(front.pipelining, promise: nil)
        pipeline.removeHandler(front.encoder, promise: nil)
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: "HTTP/1.1 200 Connection established\r\n\r\n")), promise: nil)
        try pipeline.addHandlers(handlers)
        pipeline.removeHandler(context: context, promise: nil)
        // Last: its leftover bytes (a ClientHello sent early) go to the new handlers.
        pipeline.removeHandler(front.decoder, promise: nil)
        // A read held while the upstream connected was held by this handler, now gone.
        context.channel.read()
    }

    // MARK: - Targets

    /// `host:port` of a `CONNECT`, with `[...]` around an IPv6 address.
    static func authority(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains("/"), !host.contains(" ") else { return nil }
        return (host, port)
    }

    /// Whether a header's name may be one of the `proxy-` ones (a check of each name's first
    /// letter and length: cheaper than looking for each of the three by name).
    static func mayHaveProxyHeaders(_ headers: HTTPHeaders) -> Bool {
        headers.contains { name, _ in
            name.utf8.count >= "proxy-connection".utf8.count && (name.utf8.first ?? 0) | 0x20 == UInt8(ascii: "p")
        }
    }

    /// The origin form (`/path?query`) of an absolute URL.
    static func originForm(_ components: URLComponents) -> String {
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        return components.percentEncodedQuery.map { "\(path)?\($0)" } ?? path
    }
}
