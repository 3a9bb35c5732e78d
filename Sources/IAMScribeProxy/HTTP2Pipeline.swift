import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOSSL

/// HTTP/2 on an intercepted connection whose client chose `h2`: every stream becomes the same
/// exchange as an HTTP/1.1 request.
///
/// The connection's pipeline is TLS, `NIOHTTP2Handler`, `HTTP2StreamMultiplexer` and an
/// ``HTTP2ConnectionHandler`` last. Each stream is a child channel of its own with
/// `HTTP2FramePayloadToHTTP1ServerCodec` (which turns `:authority` into `Host`, so SigV4
/// signatures still verify upstream), an ``HTTP2StreamAdapter`` and an ``ExchangeHandler``, which
/// relays it and records it as for any other request. The connection's ``UpstreamPool`` gives
/// each stream its upstream: a stream of one upstream HTTP/2 connection per endpoint when the
/// endpoint chose `h2` (request and response bodies may then flow at once: Kinesis
/// SubscribeToShard, Transcribe streaming, Bedrock's bidirectional streams), else an HTTP/1.1
/// connection of its own, kept for the next stream once its exchange ended.
///
/// Flow control is HTTP/2's own: a stream's window opens as its child channel reads, and the
/// exchange handler reads only while its upstream can take more, so a large upload waits in at
/// most one window per stream; a response is read from upstream only while the client's stream
/// is writable, which is while its window is open.
enum HTTP2Pipeline {
    /// A stream's window: how much of one request body may wait in the proxy.
    static let streamWindow = 256 * 1024
    /// The most streams a client may have open at once on one connection.
    static let maximumStreams = 100

    /// Adds the HTTP/2 handlers after `position` on a connection whose TLS handshake chose `h2`.
    static func configure(_ channel: Channel, after position: ChannelHandler, core: ProxyCore, host: String, port: Int) throws {
        let pool = NIOLoopBound(UpstreamPool(core: core, loop: channel.eventLoop), eventLoop: channel.eventLoop)
        let connection = HTTP2ConnectionHandler(core: core, pool: pool.value)
        var configuration = NIOHTTP2Handler.ConnectionConfiguration()
        configuration.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: maximumStreams),
            HTTP2Setting(parameter: .maxHeaderListSize, value: 64 * 1024),
            HTTP2Setting(parameter: .initialWindowSize, value: streamWindow),
        ]
        let http2 = NIOHTTP2Handler(mode: .server, frameDelegate: connection, connectionConfiguration: configuration)
        let multiplexer = HTTP2StreamMultiplexer(
            mode: .server, channel: channel, targetWindowSize: streamWindow,
            outboundBufferSizeHighWatermark: 64 * 1024, outboundBufferSizeLowWatermark: 32 * 1024
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                try stream.pipeline.syncOperations.addHandlers([
                    HTTP2FramePayloadToHTTP1ServerCodec(),
                    HTTP2StreamAdapter(core: core),
                    ExchangeHandler(core: core, mode: .intercepted(host: host, port: port), pool: pool.value),
                ])
            }
        }
        try channel.pipeline.syncOperations.addHandlers([http2, multiplexer, connection], position: .after(position))
    }
}

/// The last handler of an HTTP/2 connection: counts what went wrong on it and closes it only
/// for a connection error; a stream error resets that stream alone (`NIOHTTP2Handler` sends the
/// `RST_STREAM`), and the others go on.
///
/// Connection errors are told from stream errors by what `NIOHTTP2Handler` wrote before it
/// reported the error: a `GOAWAY` with an error code (it is the frame delegate).
final class HTTP2ConnectionHandler: ChannelInboundHandler, NIOHTTP2FrameDelegate {
    typealias InboundIn = HTTP2Frame

    private let core: ProxyCore
    private let pool: UpstreamPool
    private var goneAway = false

    init(core: ProxyCore, pool: UpstreamPool) {
        self.core = core
        self.pool = pool
    }

    func wroteFrame(_ frame: HTTP2Frame) {
        if case .goAway(_, let code, _) = frame.payload, code != .noError { goneAway = true }
    }

    /// Frames of the root stream (SETTINGS, PING) that the multiplexer passes on: HTTP/2's own.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if error is NIOHTTP2Errors.StreamError {
            // One of our own writes on a stream that had gone: that stream's channel heard of it.
            return
        }
        if error is NIOSSLError || error is NIOSSLExtraError || error is IOError || error is ChannelError {
            if let reason = HTTPVersionSelector.reason(for: error) { core.reject(reason) }
            context.close(promise: nil)
            return
        }
        if goneAway {
            core.reject("malformed HTTP/2 connection")
            context.close(promise: nil)
        } else {
            core.count { $0.http2StreamsReset["protocol error (\(type(of: error)))", default: 0] += 1 }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        pool.close()
        context.fireChannelInactive()
    }
}

/// Between a stream's HTTP/2-to-HTTP/1 codec and its ``ExchangeHandler``: presents the request
/// as HTTP/1.1, so that the exchange keeps its upstream connection alive for the pool (an
/// HTTP/2 stream ends on its own; it has no `Connection` header to say so), and resets the
/// stream alone when its request cannot be read (a missing `:path` or `:authority`).
final class HTTP2StreamAdapter: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private let core: ProxyCore

    init(core: ProxyCore) {
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        head.version = .http1_1
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        core.count { $0.http2StreamsReset["malformed HTTP/2 request", default: 0] += 1 }
        context.close(promise: nil)
    }
}
