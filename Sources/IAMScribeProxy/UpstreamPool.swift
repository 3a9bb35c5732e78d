import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOSSL
import NIOTLS

/// The upstream connections of one HTTP/2 client connection: an HTTP/2 connection per endpoint
/// that speaks it, and idle HTTP/1.1 connections kept for the next streams of those that do not.
///
/// The first stream to a TLS endpoint opens a connection that offers `h2` and `http/1.1` by ALPN;
/// streams that come while it is being set up wait for what the endpoint chose.
/// - `h2` (endpoints that speak it, AWS's streaming APIs among them): every stream of the client
///   connection to that endpoint is carried on a stream of its own of that one upstream
///   connection (`HTTP2StreamMultiplexer`, with
///   `HTTP2FramePayloadToHTTP1ClientCodec` so the ``UpstreamHandler`` still sees HTTP/1-style
///   parts). Request and response bodies flow at the same time, each under HTTP/2's flow control;
///   a stream reset upstream ends that stream alone.
/// - `http/1.1` (moto, LocalStack, older endpoints): one connection carries one exchange at a
///   time, so each stream takes a connection of its own and gives it back when its exchange ended
///   cleanly: a client that sends its calls one after another over one HTTP/2 connection (the Go
///   SDK does) pays for one upstream TLS handshake, not one per call. The endpoint is remembered,
///   and later connections to it offer `http/1.1` only.
/// A plain (`http://`) endpoint is HTTP/1.1. Every stream of a connection runs on that
/// connection's event loop, and so does the pool: it needs no lock.
final class UpstreamPool {
    /// An upstream connection (or an HTTP/2 stream of one) and the handler at its end.
    struct Connection {
        let channel: Channel
        let handler: UpstreamHandler
        /// Whether `channel` is a stream of an upstream HTTP/2 connection: it carries one
        /// exchange and is never kept idle.
        var stream = false
    }

    /// An upstream HTTP/2 connection.
    final class HTTP2Upstream {
        let channel: Channel
        let multiplexer: HTTP2StreamMultiplexer
        /// The endpoint sent `GOAWAY`: its open streams go on, new ones take a new connection.
        var draining = false
        /// The lowest last stream id of the endpoint's `GOAWAY` frames: streams above it were
        /// opened before the frame came and never processed.
        var lastStreamID: HTTP2StreamID?

        init(channel: Channel, multiplexer: HTTP2StreamMultiplexer) {
            self.channel = channel
            self.multiplexer = multiplexer
        }

        var usable: Bool { channel.isActive && !draining }
    }

    private enum HTTP2State {
        /// A connection offering `h2` is being set up; what waits for its outcome (the upstream
        /// when it chose `h2`, nil when it chose HTTP/1.1).
        case probing([(Result<HTTP2Upstream?, Error>) -> Void])
        case ready(HTTP2Upstream)
    }

    /// The most idle connections kept for one endpoint; more are closed when they come back.
    static let maximumIdlePerEndpoint = 16

    private let core: ProxyCore
    private let loop: EventLoop
    private var idle: [ProxyConfiguration.Endpoint: [Connection]] = [:]
    private var http2: [ProxyConfiguration.Endpoint: HTTP2State] = [:]
    /// Endpoints whose TLS chose HTTP/1.1 when offered `h2`.
    private var http1Only: Set<ProxyConfiguration.Endpoint> = []
    /// Upstream HTTP/2 connections that sent `GOAWAY` and were replaced: their open streams
    /// finish on them, and they close with the pool if the endpoint has not closed them first.
    private var drained: [HTTP2Upstream] = []
    private var closed = false

    init(core: ProxyCore, loop: EventLoop) {
        self.core = core
        self.loop = loop
    }

    /// An idle connection to `endpoint` that is still open, if there is one.
    func take(_ endpoint: ProxyConfiguration.Endpoint) -> Connection? {
        while var connections = idle[endpoint], let connection = connections.popLast() {
            idle[endpoint] = connections.isEmpty ? nil : connections
            if connection.channel.isActive { return connection }
        }
        return nil
    }

    /// Whether an exchange to `endpoint` would go on an upstream HTTP/2 connection already set up.
    func speaksHTTP2(_ endpoint: ProxyConfiguration.Endpoint) -> Bool {
        if case .ready(let upstream) = http2[endpoint] { return upstream.usable }
        return false
    }

    /// Keeps a connection whose exchange ended cleanly for the next stream (or closes it when
    /// the pool is full or its client connection has gone); an HTTP/2 stream just closes.
    func release(_ connection: Connection, endpoint: ProxyConfiguration.Endpoint) {
        guard !closed, !connection.stream, connection.channel.isActive,
              idle[endpoint, default: []].count < Self.maximumIdlePerEndpoint else {
            connection.channel.close(promise: nil)
            return
        }
        connection.handler.owner = nil
        // A read held while the last client stream could take no more is let go: idle, it reads.
        connection.handler.resumeReading()
        idle[endpoint, default: []].append(connection)
    }

    /// The client connection ended: every idle connection closes, every upstream HTTP/2
    /// connection too, and any released later.
    func close() {
        closed = true
        let connections = Array(idle.values.joined())
        idle = [:]
        for connection in connections { connection.channel.close(promise: nil) }
        let states = http2
        http2 = [:]
        for case .ready(let upstream) in states.values { upstream.channel.close(promise: nil) }
        for upstream in drained { upstream.channel.close(promise: nil) }
        drained = []
    }

    /// What an exchange is told once its upstream is set up (on the loop).
    typealias Opened = (Result<Connection, Error>) -> Void

    /// A new upstream for one exchange to a TLS endpoint: a stream of its HTTP/2 connection, or
    /// an HTTP/1.1 connection of its own. `makeHandler` makes the ``UpstreamHandler`` at its end
    /// (called on the loop while the pipeline is set up); `opened` is called once, on the loop.
    func open(_ endpoint: ProxyConfiguration.Endpoint, makeHandler: @escaping () -> UpstreamHandler, opened: @escaping Opened) {
        guard !closed else { return opened(.failure(ChannelError.ioOnClosedChannel)) }
        switch http2[endpoint] {
        case .ready(let upstream) where upstream.usable:
            return stream(on: upstream, endpoint: endpoint, makeHandler: makeHandler, opened: opened)
        case .probing(var waiting):
            waiting.append { [self] outcome in
                switch outcome {
                case .success(let upstream?): stream(on: upstream, endpoint: endpoint, makeHandler: makeHandler, opened: opened)
                case .success(nil): Self.connectHTTP1(endpoint, core: core, loop: loop, makeHandler: makeHandler, opened: opened)
                case .failure(let error): opened(.failure(error))
                }
            }
            http2[endpoint] = .probing(waiting)
            return
        case .ready, nil:
            break
        }
        if http1Only.contains(endpoint) {
            return Self.connectHTTP1(endpoint, core: core, loop: loop, makeHandler: makeHandler, opened: opened)
        }
        probe(endpoint, makeHandler: makeHandler, opened: opened)
    }

    /// One probe's exchange: told once, whichever of the handshake or the connect ends first.
    private final class Probe {
        let makeHandler: () -> UpstreamHandler
        var opened: Opened?

        init(makeHandler: @escaping () -> UpstreamHandler, opened: @escaping Opened) {
            self.makeHandler = makeHandler
            self.opened = opened
        }
    }

    /// Opens a connection offering `h2`; sets it up as the endpoint chose, for this exchange and
    /// the ones that wait for it.
    private func probe(_ endpoint: ProxyConfiguration.Endpoint, makeHandler: @escaping () -> UpstreamHandler, opened: @escaping Opened) {
        if case .ready(let replaced) = http2[endpoint] {
            drained.removeAll { !$0.channel.isActive }
            if replaced.channel.isActive { drained.append(replaced) }
        }
        http2[endpoint] = .probing([])
        let bound = NIOLoopBound((pool: self, probe: Probe(makeHandler: makeHandler, opened: opened)), eventLoop: loop)
        core.connect(to: endpoint, on: loop, offerHTTP2: true) { channel in
            try channel.pipeline.syncOperations.addHandler(UpstreamProtocolHandler { outcome, handler, channel in
                bound.value.pool.chose(outcome, endpoint: endpoint, channel: channel, after: handler, probe: bound.value.probe)
            })
        }.assumeIsolated().whenFailure { error in
            bound.value.pool.chose(.failure(error), endpoint: endpoint, channel: nil, after: nil, probe: bound.value.probe)
        }
    }

    /// What the probe's TLS chose (or how it failed): sets up its pipeline and answers the waiting.
    private func chose(_ outcome: Result<String?, Error>, endpoint: ProxyConfiguration.Endpoint, channel: Channel?,
                       after position: ChannelHandler?, probe: Probe) {
        guard let opened = probe.opened else { return }
        probe.opened = nil
        var waiting: [(Result<HTTP2Upstream?, Error>) -> Void] = []
        if case .probing(let list) = http2[endpoint] {
            waiting = list
            http2[endpoint] = nil
        }
        do {
            let chosen = try outcome.get()
            guard let channel, let position, !closed else { throw ChannelError.ioOnClosedChannel }
            if chosen == "h2" {
                let upstream = try Self.configureHTTP2(channel, after: position)
                http2[endpoint] = .ready(upstream)
                core.count { $0.http2UpstreamConnections += 1 }
                stream(on: upstream, endpoint: endpoint, makeHandler: probe.makeHandler, opened: opened)
                for wait in waiting { wait(.success(upstream)) }
            } else {
                http1Only.insert(endpoint)
                let handler = probe.makeHandler()
                try Self.addHTTP1Handlers(channel, endpoint: endpoint, handler: handler, position: .after(position))
                opened(.success(Connection(channel: channel, handler: handler)))
                for wait in waiting { wait(.success(nil)) }
            }
        } catch {
            channel?.close(promise: nil)
            opened(.failure(error))
            for wait in waiting { wait(.failure(error)) }
        }
    }

    /// A new stream on an upstream HTTP/2 connection, with the HTTP/1-style codec and a handler.
    private func stream(on upstream: HTTP2Upstream, endpoint: ProxyConfiguration.Endpoint,
                        makeHandler: @escaping () -> UpstreamHandler, opened: @escaping Opened) {
        let promise = loop.makePromise(of: Channel.self)
        let made = NIOLoopBound(HandlerBox(make: makeHandler), eventLoop: loop)
        let refusal = NIOLoopBound(RefusedStreamHandler(upstream: upstream, endpoint: endpoint), eventLoop: loop)
        upstream.multiplexer.createStreamChannel(promise: promise) { stream in
            stream.eventLoop.makeCompletedFuture {
                let box = made.value
                let handler = box.make()
                box.handler = handler
                try stream.pipeline.syncOperations.addHandlers([refusal.value, HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: .https),
                                                                handler])
            }
        }
        core.count { $0.http2UpstreamStreams += 1 }
        promise.futureResult.assumeIsolated().whenComplete { result in
            opened(result.flatMap { channel in
                guard let handler = made.value.handler else { return .failure(ChannelError.ioOnClosedChannel) }
                return .success(Connection(channel: channel, handler: handler, stream: true))
            })
        }
    }

    /// Adds `NIOHTTP2Handler`, the client multiplexer and an ``HTTP2UpstreamRootHandler`` after `position`.
    private static func configureHTTP2(_ channel: Channel, after position: ChannelHandler) throws -> HTTP2Upstream {
        let http2 = NIOHTTP2Handler(mode: .client, initialSettings: [
            HTTP2Setting(parameter: .enablePush, value: 0),
            HTTP2Setting(parameter: .maxHeaderListSize, value: 64 * 1024),
            HTTP2Setting(parameter: .initialWindowSize, value: HTTP2Pipeline.streamWindow),
        ])
        let multiplexer = HTTP2StreamMultiplexer(
            mode: .client, channel: channel, targetWindowSize: HTTP2Pipeline.streamWindow,
            outboundBufferSizeHighWatermark: 64 * 1024, outboundBufferSizeLowWatermark: 32 * 1024,
            inboundStreamInitializer: nil)
        let upstream = HTTP2Upstream(channel: channel, multiplexer: multiplexer)
        try channel.pipeline.syncOperations.addHandlers([http2, multiplexer, HTTP2UpstreamRootHandler(upstream: upstream)],
                                                        position: .after(position))
        return upstream
    }

    /// An HTTP/1.1 connection of its own for one exchange (offering `http/1.1` only by ALPN).
    static func connectHTTP1(_ endpoint: ProxyConfiguration.Endpoint, core: ProxyCore, loop: EventLoop,
                             makeHandler: @escaping () -> UpstreamHandler, opened: @escaping Opened) {
        let made = NIOLoopBound(HandlerBox(make: makeHandler), eventLoop: loop)
        core.connect(to: endpoint, on: loop) { channel in
            let box = made.value
            let handler = box.make()
            box.handler = handler
            try addHTTP1Handlers(channel, endpoint: endpoint, handler: handler, position: .last)
        }.assumeIsolated().whenComplete { result in
            opened(result.flatMap { channel in
                guard let handler = made.value.handler else { return .failure(ChannelError.ioOnClosedChannel) }
                return .success(Connection(channel: channel, handler: handler))
            })
        }
    }

    /// The HTTP/1.1 client handlers of an upstream connection, and `handler` last.
    static func addHTTP1Handlers(_ channel: Channel, endpoint: ProxyConfiguration.Endpoint, handler: UpstreamHandler,
                                 position: ChannelPipeline.SynchronousOperations.Position) throws {
        var handlers: [ChannelHandler] = []
        if endpoint.tls { handlers.append(WriteCoalescer()) }
        handlers.append(HTTPRequestEncoder())
        handlers.append(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes,
                                                                 informationalResponseStrategy: .forward)))
        handlers.append(handler)
        try channel.pipeline.syncOperations.addHandlers(handlers, position: position)
    }

    /// The handler a pipeline initializer makes, kept for the future that completes after it.
    private final class HandlerBox {
        let make: () -> UpstreamHandler
        var handler: UpstreamHandler?

        init(make: @escaping () -> UpstreamHandler) {
            self.make = make
        }
    }
}

/// Waits on a new upstream TLS connection for the handshake and tells what ALPN chose (or how
/// the connection failed before), then takes itself out: the pool sets up the rest.
final class UpstreamProtocolHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private var chosen: ((Result<String?, Error>, UpstreamProtocolHandler, Channel) -> Void)?

    init(chosen: @escaping (Result<String?, Error>, UpstreamProtocolHandler, Channel) -> Void) {
        self.chosen = chosen
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? TLSUserEvent, case .handshakeCompleted(let negotiated) = event, let chosen else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        self.chosen = nil
        // Synchronously: the bytes that follow the handshake (the server's SETTINGS) come after,
        // through the handlers it adds.
        chosen(.success(negotiated), self, context.channel)
        context.fireUserInboundEventTriggered(event)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let chosen else {
            context.fireErrorCaught(error)
            return
        }
        self.chosen = nil
        chosen(.failure(error), self, context.channel)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let chosen {
            self.chosen = nil
            chosen(.failure(ChannelError.eof), self, context.channel)
        }
        context.fireChannelInactive()
    }
}

/// The last handler of an upstream HTTP/2 connection: marks it draining on `GOAWAY` (its open
/// streams go on; the next take a new connection, and so do the requests of the streams the
/// frame left unprocessed, sent again by their ``ExchangeHandler``) and closes it on a
/// connection error. Its
/// streams hear of a close on their own channels: each answers its client (a 502, or a reset
/// once its response had begun).
final class HTTP2UpstreamRootHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame

    private let upstream: UpstreamPool.HTTP2Upstream

    init(upstream: UpstreamPool.HTTP2Upstream) {
        self.upstream = upstream
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Read before the streams it leaves unprocessed hear of their closing.
        if case .goAway(let last, _, _) = unwrapInboundIn(data).payload {
            upstream.draining = true
            upstream.lastStreamID = min(upstream.lastStreamID ?? last, last)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A stream's own error reached its stream channel; any other ends the connection.
        if error is NIOHTTP2Errors.StreamError { return }
        upstream.draining = true
        context.close(promise: nil)
    }
}

/// The first handler of an upstream HTTP/2 stream: when the stream is closed because it was
/// opened after the last one the endpoint's `GOAWAY` processes, its error is an
/// ``UnprocessedRequest`` (the request was never processed: ``ExchangeHandler`` sends it again
/// when it can, else its 502 says why) instead of naming an HTTP/2 error code.
final class RefusedStreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload

    private let upstream: UpstreamPool.HTTP2Upstream
    private let endpoint: ProxyConfiguration.Endpoint

    init(upstream: UpstreamPool.HTTP2Upstream, endpoint: ProxyConfiguration.Endpoint) {
        self.upstream = upstream
        self.endpoint = endpoint
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let closed = error as? NIOHTTP2Errors.StreamClosed, let last = upstream.lastStreamID, closed.streamID > last else {
            return context.fireErrorCaught(error)
        }
        let reason = "\(endpoint.authority) sent GOAWAY before it processed this request (HTTP/2 stream "
            + "\(Int(closed.streamID)) after its last, \(Int(last))): it was not processed and can be sent again"
        context.fireErrorCaught(UnprocessedRequest(reason: reason))
    }
}

/// A request on an upstream HTTP/2 stream that the endpoint's `GOAWAY` left unprocessed
/// (RFC 9113, 6.8): safe to send again.
struct UnprocessedRequest: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
