import Glibc
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOSSL
import NIOTLS

/// Waits on an intercepted connection for the TLS handshake, then sets up the HTTP version the
/// client chose by ALPN: HTTP/2 (``HTTP2Pipeline``) for `h2`, HTTP/1.1 otherwise. It takes itself
/// out once that is done, so neither version pays for it afterwards.
///
/// Until then it is the last handler, so a failed handshake (a client that does not trust the
/// CA) is counted here.
final class HTTPVersionSelector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let core: ProxyCore
    private let host: String
    private let port: Int
    private var chosen = false
    /// Bytes that came before the handshake's event (none are expected), passed on once chosen.
    private var early: [NIOAny] = []

    init(core: ProxyCore, host: String, port: Int) {
        self.core = core
        self.host = host
        self.port = port
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if chosen { context.fireChannelRead(data) } else { early.append(data) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard !chosen, let event = event as? TLSUserEvent, case .handshakeCompleted(let negotiated) = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        chosen = true
        do {
            let pipeline = context.pipeline.syncOperations
            if negotiated == "h2" {
                core.count { $0.http2 += 1 }
                try HTTP2Pipeline.configure(context.channel, after: self, core: core, host: host, port: port)
            } else {
                // HTTP/1.1: relayed as the bytes it came in (HTTP1Relay frames the messages). Its
                // writes need no joining (a read's bytes go as one slice): one handler less.
                try pipeline.addHandler(HTTP1Relay(core: core, host: host, port: port), position: .after(self))
                if let coalescer = try? pipeline.handler(type: WriteCoalescer.self) { pipeline.removeHandler(coalescer, promise: nil) }
            }
        } catch {
            core.reject("connection error")
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
        let held = early
        early = []
        for data in held { context.fireChannelRead(data) }
        if !held.isEmpty { context.fireChannelReadComplete() }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let reason = Self.reason(for: error) { core.reject(reason) }
        context.close(promise: nil)
    }

    /// Why an intercepted connection failed, as the statistics count it; nil for a client that
    /// only went away.
    static func reason(for error: Error) -> String? {
        switch error {
        case let error as NIOSSLError:
            if case .uncleanShutdown = error { return nil }
            return "TLS handshake with the client failed (does it trust iamscribe's CA?)"
        case is NIOSSLExtraError: return "TLS handshake with the client failed (does it trust iamscribe's CA?)"
        case let error as IOError where error.errnoCode == ECONNRESET || error.errnoCode == EPIPE: return nil
        default: return "connection error"
        }
    }
}
