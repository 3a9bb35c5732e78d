#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import IAMScribeCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The HTTPS proxy: a listening socket whose connections each get an ``ExchangeHandler``.
///
/// Its event loops (one per core) run every connection; a malformed request or a failed
/// handshake closes that connection only, counted in ``statistics``.
final class ProxyServer: Sendable {
    let core: ProxyCore
    private let channel: Channel

    /// Binds the listening socket.
    ///
    /// - Throws: ``IAMScribeError`` when the address cannot be bound.
    init(core: ProxyCore) throws {
        self.core = core
        let configuration = core.configuration
        let group = core.group
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                core.count { $0.connections += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
                    let front = ExchangeHandler.FrontHandlers(decoder: decoder, encoder: HTTPResponseEncoder(),
                                                              pipelining: HTTPServerPipelineHandler(),
                                                              errors: HTTPServerProtocolErrorHandler())
                    try channel.pipeline.syncOperations.addHandlers([
                        front.decoder, front.encoder, front.pipelining, front.errors,
                        ExchangeHandler(core: core, mode: .front(front)),
                    ])
                }
            }
        do {
            channel = try bootstrap.bind(host: configuration.host, port: configuration.port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw IAMScribeError(.system, "cannot listen on \(configuration.host):\(configuration.port) for the proxy", underlying: DescribedError(error))
        }
    }

    /// The port the proxy listens on.
    var port: Int { channel.localAddress?.port ?? core.configuration.port }

    /// Stops listening and closes every connection.
    func stop() {
        try? channel.close().wait()
        try? core.group.syncShutdownGracefully()
    }
}
