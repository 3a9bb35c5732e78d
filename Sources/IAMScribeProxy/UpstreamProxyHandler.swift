import NIOCore

/// Opens a tunnel through `--upstream-proxy`: sends `CONNECT host:port`, waits for a 2xx, then
/// steps aside so that TLS and HTTP run through the tunnel.
final class UpstreamProxyHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Why the tunnel was not opened.
    struct Failure: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    private let target: ProxyConfiguration.Endpoint
    private let proxy: ProxyConfiguration.Endpoint
    private let ready: EventLoopPromise<Void>
    private var received: ByteBuffer?
    private var done = false

    /// The longest proxy answer head read.
    static let maximumHead = 16 * 1024

    init(target: ProxyConfiguration.Endpoint, proxy: ProxyConfiguration.Endpoint, ready: EventLoopPromise<Void>) {
        self.target = target
        self.proxy = proxy
        self.ready = ready
    }

    func channelActive(context: ChannelHandlerContext) {
        let request = "CONNECT \(target.authority) HTTP/1.1\r\nHost: \(target.authority)\r\n\r\n"
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: request)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard !done else {
            context.fireChannelRead(data)
            return
        }
        if received == nil { received = buffer } else { received?.writeBuffer(&buffer) }
        guard let bytes = received?.readableBytesView else { return }
        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else {
            if bytes.count > Self.maximumHead { fail(context, "the upstream proxy \(proxy.authority) sent an answer head over 16 KiB") }
            return
        }
        let head = String(decoding: bytes[bytes.startIndex..<end.lowerBound], as: UTF8.self)
        let statusLine = head.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]), (200..<300).contains(status) else {
            fail(context, "the upstream proxy \(proxy.authority) refused CONNECT \(target.authority): \(statusLine.prefix(200))")
            return
        }
        done = true
        let rest = received?.getSlice(at: end.upperBound, length: bytes.endIndex - end.upperBound)
        received = nil
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        ready.succeed(())
        if let rest, rest.readableBytes > 0 { context.fireChannelRead(NIOAny(rest)) }
    }

    private func fail(_ context: ChannelHandlerContext, _ reason: String) {
        done = true
        ready.fail(Failure(reason: reason))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done { fail(context, "the upstream proxy \(proxy.authority) closed the connection before answering CONNECT") }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if !done { fail(context, "the upstream proxy \(proxy.authority) failed: \(error)") }
        context.fireErrorCaught(error)
    }
}
