import NIOCore
import NIOHTTP1

/// The end of an upstream connection: hands each response part to the ``ExchangeHandler`` that
/// owns the connection, and reads only while that handler's client can take more.
final class UpstreamHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    /// The exchange handler it answers to; none while it waits idle in an ``UpstreamPool``.
    weak var owner: ExchangeHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    init(owner: ExchangeHandler) {
        self.owner = owner
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Writes a request part upstream.
    func send(_ part: HTTPClientRequestPart, flush: Bool) {
        guard let context else { return }
        context.write(wrapOutboundOut(part), promise: nil)
        if flush { context.flush() }
    }

    /// Flushes the request parts written so far.
    func flush() { context?.flush() }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    /// The client can take more: reads resume if they were held.
    func resumeReading() {
        if pendingRead {
            pendingRead = false
            context?.read()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        owner?.upstream(self, received: unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        owner?.upstreamReadComplete(self)
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        owner?.upstreamClosed(self)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        owner?.upstream(self, failed: error)
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { owner?.upstreamBecameWritable(self) }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if owner?.clientWritable ?? true {
            context.read()
        } else {
            pendingRead = true
        }
    }
}
