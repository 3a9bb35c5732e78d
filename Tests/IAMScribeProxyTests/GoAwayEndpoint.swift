import Foundation
@testable import IAMScribeProxy
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import NIOSSL
import Synchronization

/// An HTTP/2 endpoint over TLS (SwiftNIO) whose first connections process nothing: on each, once
/// a stream's request has ended or `refuseAfter` bytes of its body came, it sends `GOAWAY` with
/// last stream id 0 (RFC 9113, 6.8: no stream was processed, each may be sent again) and closes
/// the connection. The connections after those answer each request once it ended, with a JSON
/// line naming the connection (1, 2, ... in the order they were accepted), the path and the
/// body bytes received. What Go's net/http cannot do: its `GOAWAY` names the last stream it read.
/// With `closesAfterGoAway` false, a connection that went away stays open until the proxy closes it.
final class GoAwayEndpoint {
    /// What the endpoint did, read by the tests.
    final class Seen: Sendable {
        let connections = Mutex(0)
        /// Connections closed (by either side).
        let closed = Mutex(0)
        let goAways = Mutex(0)
        /// The body bytes each refused request had sent when its connection went away.
        let refusedAfter = Mutex<[Int]>([])
    }

    /// One connection: whether its `GOAWAY` went.
    final class Connection: Sendable {
        let ordinal: Int
        let refuses: Bool
        let closesAfterGoAway: Bool
        let wentAway = Mutex(false)

        init(ordinal: Int, refuses: Bool, closesAfterGoAway: Bool) {
            self.ordinal = ordinal
            self.refuses = refuses
            self.closesAfterGoAway = closesAfterGoAway
        }
    }

    let seen = Seen()
    let port: Int
    let caFile: String
    private let folder: String
    private let channel: Channel

    /// - Parameters:
    ///   - refusing: how many connections, the first ones, process nothing.
    ///   - refuseAfter: the body bytes after which a refusing connection goes away, if the
    ///     request has not ended before.
    ///   - closesAfterGoAway: whether a connection closes once its `GOAWAY` went.
    init(refusing: Int, refuseAfter: Int = .max, closesAfterGoAway: Bool = true) throws {
        folder = try ProxyTestSupport.temporaryFolder("goaway-endpoint")
        let authority = try CertificateAuthority.open(folder: folder)
        let leaf = try authority.leafPEM(for: "localhost")
        caFile = CertificateAuthority.certificatePath(in: folder)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(leaf.certificate.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(leaf.key.utf8), format: .pem)))
        tls.applicationProtocols = ["h2"]
        let context = try NIOSSLContext(configuration: tls)
        let seen = seen
        channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                let ordinal = seen.connections.withLock { count in
                    count += 1
                    return count
                }
                let connection = Connection(ordinal: ordinal, refuses: ordinal <= refusing, closesAfterGoAway: closesAfterGoAway)
                channel.closeFuture.whenComplete { _ in seen.closed.withLock { $0 += 1 } }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                }.flatMap {
                    channel.configureHTTP2Pipeline(mode: .server) { stream in
                        stream.eventLoop.makeCompletedFuture {
                            try stream.pipeline.syncOperations.addHandler(
                                GoAwayStreamHandler(connection: connection, refuseAfter: refuseAfter, seen: seen))
                        }
                    }.map { _ in }
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        port = channel.localAddress?.port ?? 0
    }

    /// A proxy that sends every intercepted request here, trusting this endpoint's CA.
    func proxy() throws -> RunningProxy {
        try RunningProxy(forwardTo: "https://localhost:\(port)", upstreamCAFile: caFile)
    }

    deinit {
        try? channel.close().wait()
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// One stream of ``GoAwayEndpoint``: refused with the connection's `GOAWAY`, or answered.
final class GoAwayStreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private let connection: GoAwayEndpoint.Connection
    private let refuseAfter: Int
    private let seen: GoAwayEndpoint.Seen
    private var path = ""
    private var received = 0
    private var done = false

    init(connection: GoAwayEndpoint.Connection, refuseAfter: Int, seen: GoAwayEndpoint.Seen) {
        self.connection = connection
        self.refuseAfter = refuseAfter
        self.seen = seen
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let headers):
            if let path = headers.headers.first(name: ":path") { self.path = path }
            if headers.endStream { ended(context) }
        case .data(let data):
            received += data.data.readableBytes
            if data.endStream {
                ended(context)
            } else if connection.refuses && received >= refuseAfter {
                refuse(context)
            }
        default:
            break
        }
    }

    private func ended(_ context: ChannelHandlerContext) {
        if connection.refuses { return refuse(context) }
        guard !done else { return }
        done = true
        let line = #"{"connection":\#(connection.ordinal),"path":"\#(path)","received":\#(received)}"# + "\n"
        let body = context.channel.allocator.buffer(string: line)
        context.write(wrapOutboundOut(.headers(.init(headers: [":status": "200", "content-type": "application/json",
                                                                "content-length": String(body.readableBytes)]))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.data(.init(data: .byteBuffer(body), endStream: true))), promise: nil)
    }

    /// `GOAWAY` with last stream id 0 for the whole connection (once), then it closes.
    private func refuse(_ context: ChannelHandlerContext) {
        guard !done else { return }
        done = true
        seen.refusedAfter.withLock { $0.append(received) }
        guard let parent = context.channel.parent, !connection.wentAway.withLock({ $0 }) else { return }
        connection.wentAway.withLock { $0 = true }
        seen.goAways.withLock { $0 += 1 }
        let goAway = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: .rootStream, errorCode: .noError, opaqueData: nil))
        let closes = connection.closesAfterGoAway
        parent.writeAndFlush(goAway).whenComplete { _ in
            if closes { parent.close(promise: nil) }
        }
    }
}
