import NIOCore

/// Joins the small writes between two flushes into one buffer, placed just after a TLS handler,
/// so that an HTTP message's head and body go out as one TLS record rather than one each: a
/// record costs a seal here and an open at the peer, whatever its size. A write that would make
/// the joined buffer larger than a record's plaintext passes through unjoined.
final class WriteCoalescer: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// The most bytes joined: a TLS record's plaintext at most.
    static let limit = 16 * 1024

    private var pending: ByteBuffer?
    private var promise: EventLoopPromise<Void>?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .byteBuffer(var buffer) = unwrapOutboundIn(data) else {
            emit(context)
            context.write(data, promise: promise)
            return
        }
        if var joined = pending {
            guard joined.readableBytes + buffer.readableBytes <= Self.limit else {
                emit(context)
                hold(buffer, promise: promise, context: context)
                return
            }
            // The head's buffer is this handler's alone once written: appending to it copies
            // only the body's bytes (a buffer shared with a reader is copied first, once).
            pending = nil
            joined.writeBuffer(&buffer)
            pending = joined
            chain(promise)
        } else {
            hold(buffer, promise: promise, context: context)
        }
    }

    func flush(context: ChannelHandlerContext) {
        emit(context)
        context.flush()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        emit(context)
        context.close(mode: mode, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        emit(context)
    }

    /// Keeps a buffer small enough to join the next write; a larger one goes on at once.
    private func hold(_ buffer: ByteBuffer, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        guard buffer.readableBytes < Self.limit else {
            context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
            return
        }
        pending = buffer
        chain(promise)
    }

    /// Adds a write's promise to those of the joined buffer.
    private func chain(_ next: EventLoopPromise<Void>?) {
        guard let next else { return }
        if let promise {
            promise.futureResult.cascade(to: next)
        } else {
            promise = next
        }
    }

    /// Writes the joined buffer on.
    private func emit(_ context: ChannelHandlerContext) {
        guard let buffer = pending else { return }
        let promise = self.promise
        pending = nil
        self.promise = nil
        context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
    }
}
