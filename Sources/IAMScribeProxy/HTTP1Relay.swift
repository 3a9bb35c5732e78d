#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import IAMScribeCore
import NIOCore

/// One decrypted HTTP/1.1 connection (a `CONNECT` tunnel to an intercepted host whose client chose
/// HTTP/1.1): relays each request upstream and its response back as the bytes they came in,
/// finding where each message begins and ends with an ``HTTP1Framer`` rather than decoding it
/// into parts and encoding it again, and records each exchange.
///
/// Bytes are changed only where a relay must: a request target in absolute form becomes origin
/// form, and `Proxy-*` fields (which concern the hop to the proxy) are left out. Requests are
/// answered in order over one kept-alive upstream connection; requests pipelined behind the one
/// being relayed wait, up to ``maximumQueuedBytes``, after which the connection stops reading
/// until they can go. Bodies stream both ways, each side reading only while the other can take
/// more; only the first ``ProxyConfiguration/maximumBodyBytes`` of a request body and
/// ``ProxyCore/maximumErrorBodyBytes`` of a failed response's are kept, for the AWS request stage.
/// A `101 Switching Protocols` turns the connection into a byte-for-byte tunnel.
final class HTTP1Relay: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The exchange being relayed.
    private struct Exchange {
        /// The request's head as it went upstream.
        let head: [UInt8]
        let time: Date
        let isHEAD: Bool
        /// The request body's content so far; nil once it is too large to keep.
        var body: [UInt8]? = []
        var requestEnded = false
        var responseStarted = false
        /// An interim response (100 Continue...) came; its end is not the exchange's.
        var interim = false
        var closeAfter: Bool
        var status = 0
        var errorType: String?
        /// A failed response's body so far (nil for a success).
        var errorBody: [UInt8]?
    }

    /// The most bytes of pipelined requests held before the connection stops reading.
    static let maximumQueuedBytes = 64 * 1024

    private let core: ProxyCore
    private let endpoint: ProxyConfiguration.Endpoint
    private var requests = HTTP1Framer(role: .request)
    private var context: ChannelHandlerContext?
    private var current: Exchange?
    private var upstream: HTTP1RelayUpstream?
    private var upstreamChannel: Channel?
    private var connecting = false
    /// Bytes for the upstream while it connects.
    private var waiting: [ByteBuffer] = []
    /// Bytes of requests pipelined behind the exchange being relayed.
    private var queued: ByteBuffer?
    private var pendingRead = false
    private var upstreamUnflushed = false
    private var clientUnflushed = false
    /// After a `101 Switching Protocols`: bytes pass both ways unframed.
    private var tunnel = false
    /// The connection is being closed (a malformed request, a failed upstream): nothing more is read.
    private var closing = false

    init(core: ProxyCore, host: String, port: Int) {
        self.core = core
        endpoint = core.configuration.forwardTo ?? .init(host: host, port: port, tls: true)
    }

    var clientWritable: Bool { context?.channel.isWritable ?? false }

    /// Whether the response awaited answers a `HEAD` request (it has no body, whatever it says).
    var awaitsAnswerToHEAD: Bool { current?.isHEAD ?? false }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        closeUpstream()
    }

    /// Closes the upstream connection, let go of first: closing it tells ``upstreamClosed(_:)``
    /// at once, which must not take it for the upstream going away by itself.
    private func closeUpstream() {
        let channel = upstreamChannel
        upstreamChannel = nil
        upstream = nil
        channel?.close(promise: nil)
    }

    // MARK: - Requests from the client

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if tunnel {
            sendUpstream(buffer)
        } else if closing {
            return
        } else if queued != nil || current?.requestEnded == true {
            queue(&buffer)
        } else {
            relay(&buffer, context: context)
        }
    }

    private func queue(_ buffer: inout ByteBuffer) {
        guard buffer.readableBytes > 0 else { return }
        if var joined = queued {
            queued = nil
            joined.writeBuffer(&buffer)
            queued = joined
        } else {
            queued = buffer
        }
    }

    /// Frames the client's bytes and relays them, up to the end of a request whose response has
    /// not ended (what follows it waits in ``queued``). Consecutive bytes forwarded unchanged go
    /// upstream as one slice of the read (one write, one TLS record when small), not one a part.
    private func relay(_ buffer: inout ByteBuffer, context: ChannelHandlerContext) {
        var run = ForwardRun(buffer)
        defer { run.emit(upTo: buffer.readerIndex, to: sendUpstream) }
        while !closing {
            if current?.requestEnded == true {
                run.emit(upTo: buffer.readerIndex, to: sendUpstream)
                queue(&buffer)
                run.restart(buffer)
                return
            }
            let before = buffer.readerIndex
            let event: HTTP1Framer.Event?
            do {
                event = try requests.next(&buffer)
            } catch {
                run.restart(buffer)
                malformed(error, context: context)
                return
            }
            guard let event else {
                // What was taken waits in the framer for the rest of its head or line.
                run.emit(upTo: before, to: sendUpstream)
                run.restart(buffer)
                return
            }
            if !requests.lastEventContiguous {
                // Joined with an earlier read's bytes: sent as they are, below.
                run.emit(upTo: before, to: sendUpstream)
                run.restart(buffer)
            }
            switch event {
            case .head(let head):
                if let rewritten = begin(head, context: context) {
                    // (A joined head's run was emitted above; `before` is an index of the old read.)
                    if requests.lastEventContiguous { run.emit(upTo: before, to: sendUpstream) }
                    sendUpstream(rewritten)
                    run.restart(buffer)
                } else if !requests.lastEventContiguous {
                    sendUpstream(head.bytes)
                }
            case .body(let bytes):
                if let kept = current?.body?.count {
                    if kept + bytes.readableBytes <= core.configuration.maximumBodyBytes {
                        current?.body?.append(contentsOf: bytes.readableBytesView)
                    } else {
                        // Too large to decode: it streams on, and only the head is decoded.
                        current?.body = nil
                    }
                }
            case .framing(let bytes):
                if current == nil {
                    // Empty lines before a request are not passed on.
                    if requests.lastEventContiguous { run.emit(upTo: before, to: sendUpstream) }
                    run.restart(buffer)
                } else if !requests.lastEventContiguous {
                    sendUpstream(bytes)
                }
            case .end:
                current?.requestEnded = true
                run.emit(upTo: buffer.readerIndex, to: sendUpstream)
                flushUpstream()
            }
        }
    }

    /// Starts an exchange (and the upstream connection, if there is none); returns the head to
    /// send instead of the one that came, when it must change.
    private func begin(_ head: HTTP1Framer.Head, context: ChannelHandlerContext) -> ByteBuffer? {
        let rewritten = head.absoluteTarget || !head.proxyFieldLines.isEmpty ? Self.rewritten(head, allocator: context.channel.allocator) : nil
        current = Exchange(head: Array((rewritten ?? head.bytes).readableBytesView), time: Date(), isHEAD: head.method == "HEAD",
                           closeAfter: !head.keepAlive)
        if upstream == nil && !connecting { connectUpstream(context: context) }
        return rewritten
    }

    /// A head with its target in origin form and without its `Proxy-*` fields.
    static func rewritten(_ head: HTTP1Framer.Head, allocator: ByteBufferAllocator) -> ByteBuffer {
        var out = allocator.buffer(capacity: head.bytes.readableBytes)
        head.bytes.withUnsafeReadableBytes { bytes in
            var position = 0
            if head.absoluteTarget {
                let target = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[head.target]), as: UTF8.self)
                out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[0..<head.target.lowerBound]))
                out.writeString(URLComponents(string: target).map { ExchangeHandler.originForm($0) } ?? target)
                position = head.target.upperBound
            }
            for line in head.proxyFieldLines {
                out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[position..<line.lowerBound]))
                position = line.upperBound
            }
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[position...]))
        }
        return out
    }

    private func sendUpstream(_ bytes: ByteBuffer) {
        if let upstream, !connecting {
            upstream.write(bytes)
            upstreamUnflushed = true
        } else {
            waiting.append(bytes)
        }
    }

    private func flushUpstream() {
        guard upstreamUnflushed else { return }
        upstreamUnflushed = false
        upstream?.flush()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushUpstream()
        context.fireChannelReadComplete()
    }

    /// A request that cannot be framed: answered with a 400 that says why (unless its response
    /// has begun), and the connection closes.
    private func malformed(_ error: Error, context: ChannelHandlerContext) {
        core.reject("malformed HTTP request")
        closing = true
        closeUpstream()
        if current?.responseStarted == true {
            context.close(promise: nil)
        } else {
            respond(context, status: "400 Bad Request", "iamscribe: malformed HTTP request: \(error)")
        }
        current = nil
    }

    /// Answers with a short text and closes the connection.
    private func respond(_ context: ChannelHandlerContext, status: String, _ text: String) {
        let body = text + "\n"
        let head = "HTTP/1.1 \(status)\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\ncontent-length: \(body.utf8.count)\r\n\r\n"
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: head + body))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    // MARK: - The upstream connection

    private func connectUpstream(context: ChannelHandlerContext) {
        connecting = true
        let handler = HTTP1RelayUpstream(owner: self)
        let bound = NIOLoopBound(handler, eventLoop: context.eventLoop)
        // No WriteCoalescer: a read's bytes already go as one write.
        core.connect(to: endpoint, on: context.eventLoop) { channel in
            try channel.pipeline.syncOperations.addHandler(bound.value)
        }.assumeIsolated().whenComplete { result in
            self.connected(result, handler: handler)
        }
    }

    private func connected(_ result: Result<Channel, Error>, handler: HTTP1RelayUpstream) {
        connecting = false
        guard let context, !closing else {
            if case .success(let channel) = result { channel.close(promise: nil) }
            return
        }
        switch result {
        case .success(let channel):
            upstream = handler
            upstreamChannel = channel
            let parts = waiting
            waiting = []
            for part in parts { handler.write(part) }
            handler.flush()
            if pendingRead && mayRead {
                pendingRead = false
                context.read()
            }
        case .failure(let error):
            waiting = []
            fail(error)
        }
    }

    // MARK: - Responses from upstream

    /// What the upstream's response was, event by event; its bytes come through
    /// ``forwardToClient(_:)`` (an interim head's and a message's last bytes before the event).
    /// Returns false for bytes nobody asked for, which are not to be forwarded.
    func upstream(_ handler: HTTP1RelayUpstream, received event: HTTP1Framer.Event) -> Bool {
        guard handler === upstream, let context else { return false }
        guard var exchange = current else {
            // Bytes nobody asked for: the connection is not to be trusted with the next request.
            closeUpstream()
            return false
        }
        switch event {
        case .head(let head):
            if head.isInterim {
                // 100 Continue and its kind go to the client at once; the final response follows.
                exchange.interim = true
                current = exchange
                context.flush()
                return true
            }
            exchange.responseStarted = true
            exchange.status = head.status
            exchange.errorType = head.errorType
            if head.status >= 400 { exchange.errorBody = [] }
            if !head.keepAlive { exchange.closeAfter = true }
            current = exchange
        case .body(let bytes):
            if let kept = exchange.errorBody?.count, kept < ProxyCore.maximumErrorBodyBytes {
                current?.errorBody?.append(contentsOf: bytes.readableBytesView.prefix(ProxyCore.maximumErrorBodyBytes - kept))
            }
        case .framing:
            break
        case .end:
            if exchange.interim {
                current?.interim = false
                return true
            }
            finish(exchange, context: context)
        }
        return true
    }

    /// Bytes of the upstream's response (or, after a 101, of its tunnel), passed on as they are.
    func forwardToClient(_ bytes: ByteBuffer) {
        context?.write(wrapOutboundOut(bytes), promise: nil)
        clientUnflushed = true
    }

    /// The response has ended: the exchange is recorded, and the requests queued behind it go on
    /// (or the connection closes, or becomes a tunnel after a 101).
    private func finish(_ exchange: Exchange, context: ChannelHandlerContext) {
        current = nil
        let response = HTTPExchange.Response(status: exchange.status, headers: exchange.errorType.map { [("x-amzn-errortype", $0)] } ?? [],
                                             body: exchange.errorBody)
        core.record(requestHead: exchange.head, body: exchange.body, time: exchange.time, response: response)
        clientUnflushed = false
        context.flush()
        if exchange.status == 101 {
            tunnel = true
            upstream?.tunnel = true
            if let rest = queued {
                queued = nil
                sendUpstream(rest)
                flushUpstream()
            }
            resumeReadingIfHeld(context)
            return
        }
        if exchange.closeAfter || !exchange.requestEnded {
            // The response ended before its request did (an upload refused early), or either side
            // said close: both connections close (the client's once what was written is out).
            closing = true
            closeUpstream()
            context.close(promise: nil)
            return
        }
        if var rest = queued {
            queued = nil
            relay(&rest, context: context)
            flushUpstream()
        }
        resumeReadingIfHeld(context)
    }

    private func resumeReadingIfHeld(_ context: ChannelHandlerContext) {
        if pendingRead && mayRead {
            pendingRead = false
            context.read()
        }
    }

    /// The upstream's read is complete: the response bytes it gave go to the client in one write.
    func upstreamReadComplete(_ handler: HTTP1RelayUpstream) {
        guard handler === upstream, clientUnflushed else { return }
        clientUnflushed = false
        context?.flush()
    }

    func upstream(_ handler: HTTP1RelayUpstream, failed error: Error) {
        guard handler === upstream else { return }
        closeUpstream()
        fail(error)
    }

    func upstreamClosed(_ handler: HTTP1RelayUpstream) {
        guard handler === upstream else { return }
        upstream = nil
        upstreamChannel = nil
        if tunnel {
            context?.close(promise: nil)
        } else if current != nil {
            fail(UpstreamProxyHandler.Failure(reason: "\(endpoint.authority) closed the connection before it answered"))
        }
    }

    func upstreamBecameWritable(_ handler: HTTP1RelayUpstream) {
        guard handler === upstream, let context else { return }
        resumeReadingIfHeld(context)
    }

    /// The upstream failed: a request not yet answered gets a 502 that says why; one whose answer
    /// had begun can only be cut off.
    private func fail(_ error: Error) {
        guard let context, let failed = current else { return }
        current = nil
        closing = true
        if failed.responseStarted {
            context.close(promise: nil)
            return
        }
        let reason = ProxyCore.explain(error, endpoint: endpoint)
        core.count {
            $0.upstreamFailures += 1
            $0.lastUpstreamFailure = reason
        }
        respond(context, status: "502 Bad Gateway", "iamscribe: \(reason)")
    }

    // MARK: - The client connection

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { upstream?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if mayRead {
            context.read()
        } else {
            pendingRead = true
        }
    }

    /// Whether more may be read from the client: not while the upstream connects or can take no
    /// more, nor while enough pipelined requests wait.
    private var mayRead: Bool {
        !connecting && (upstream?.isWritable ?? true) && (queued?.readableBytes ?? 0) < Self.maximumQueuedBytes
    }

    func channelInactive(context: ChannelHandlerContext) {
        closeUpstream()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let reason = HTTPVersionSelector.reason(for: error) { core.reject(reason) }
        closeUpstream()
        context.close(promise: nil)
    }
}

/// The upstream end of an ``HTTP1Relay``: frames the responses and hands each event to the relay,
/// reading only while the relay's client can take more.
final class HTTP1RelayUpstream: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private weak var owner: HTTP1Relay?
    private var context: ChannelHandlerContext?
    private var responses = HTTP1Framer(role: .response)
    private var pendingRead = false
    private var failed = false
    /// After a `101 Switching Protocols`: bytes pass unframed.
    var tunnel = false

    init(owner: HTTP1Relay) {
        self.owner = owner
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func write(_ bytes: ByteBuffer) {
        context?.write(wrapOutboundOut(bytes), promise: nil)
    }

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
        var buffer = unwrapInboundIn(data)
        guard let owner, !failed else { return }
        // Consecutive bytes forwarded unchanged go to the client as one slice of the read.
        var run = ForwardRun(buffer)
        while !tunnel {
            if responses.betweenMessages { responses.nextAnswersHEAD = owner.awaitsAnswerToHEAD }
            let before = buffer.readerIndex
            let event: HTTP1Framer.Event
            do {
                guard let next = try responses.next(&buffer) else {
                    run.emit(upTo: before, to: owner.forwardToClient)
                    return
                }
                event = next
            } catch {
                failed = true
                owner.upstream(self, failed: error)
                context.close(promise: nil)
                return
            }
            if !responses.lastEventContiguous {
                run.emit(upTo: before, to: owner.forwardToClient)
                run.restart(buffer)
                switch event {
                case .head(let head): owner.forwardToClient(head.bytes)
                case .body(let bytes), .framing(let bytes): owner.forwardToClient(bytes)
                case .end: break
                }
            }
            switch event {
            case .head(let head) where head.isInterim:
                // Passed on at once (the relay flushes it): the client may be waiting for it.
                run.emit(upTo: buffer.readerIndex, to: owner.forwardToClient)
            case .end:
                run.emit(upTo: buffer.readerIndex, to: owner.forwardToClient)
            case .head, .body, .framing:
                // Passed on with what follows: a read's response bytes in one write (one TLS
                // record when small), and a head only once the relay knows it was awaited.
                break
            }
            guard owner.upstream(self, received: event) else { return }
        }
        run.emit(upTo: buffer.readerIndex, to: owner.forwardToClient)
        // After a 101: the rest of the read is the tunnel's.
        if buffer.readableBytes > 0 { owner.forwardToClient(buffer) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        owner?.upstreamReadComplete(self)
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // A body that runs to the end of the connection ends here.
        if !failed, !tunnel, let owner, let event = try? responses.finish() {
            owner.upstream(self, received: event)
        }
        owner?.upstreamClosed(self)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        failed = true
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

/// Consecutive bytes of one read that are forwarded unchanged: written on as one slice of the
/// read rather than one write a message part.
struct ForwardRun {
    private var source: ByteBuffer
    private var start: Int

    init(_ buffer: ByteBuffer) {
        source = buffer
        start = buffer.readerIndex
    }

    /// Writes the run's bytes up to `end` (an index in the read it began in), if any.
    mutating func emit(upTo end: Int, to send: (ByteBuffer) -> Void) {
        if end > start, let bytes = source.getSlice(at: start, length: end - start) { send(bytes) }
        start = max(start, end)
    }

    /// Starts again at `buffer`'s reader index (bytes before it are not forwarded, or were).
    mutating func restart(_ buffer: ByteBuffer) {
        source = buffer
        start = buffer.readerIndex
    }
}
