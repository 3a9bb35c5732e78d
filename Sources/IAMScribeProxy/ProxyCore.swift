#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import IAMScribeCore
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// What every connection of one proxy shares: its configuration and CA, the TLS contexts, the
/// statistics, and the AWS request stage its exchanges go to.
final class ProxyCore: Sendable {
    let configuration: ProxyConfiguration
    let authority: CertificateAuthority
    /// The TLS client context for upstream connections: the system's roots plus `--upstream-ca`,
    /// offering only `http/1.1` by ALPN (an HTTP/1.1 client's requests, and HTTP/2 streams to an
    /// endpoint known to speak HTTP/1.1 only).
    let upstreamTLS: NIOSSLContext
    /// The same roots offering `h2` first: for the upstream connection of an HTTP/2 client's
    /// streams, which ``UpstreamPool`` makes HTTP/2 when the endpoint chooses it.
    let upstreamTLSHTTP2: NIOSSLContext
    private let serverContexts = Mutex<[String: NIOSSLContext]>([:])
    /// The event loops every connection runs on (one per core, at most four).
    let group: MultiThreadedEventLoopGroup
    /// Each event loop's own AWS request decoder (a decoder caches what it resolved, so it is
    /// not shared between threads): an exchange is decoded on its connection's loop, with no lock.
    private let decoders: [ObjectIdentifier: NIOLoopBoundBox<AWSRequestDecoder>]
    /// The decoder for an exchange recorded off the event loops (none is, today).
    private let decoder: Mutex<AWSRequestDecoder>
    private let stats = Mutex(ProxyStatistics())
    private let deliver: @Sendable ([ObservedCall]) -> Void

    /// The most bytes of a failed response's body kept for its error code.
    static let maximumErrorBodyBytes = 16 * 1024

    init(configuration: ProxyConfiguration, authority: CertificateAuthority, table: ActionTable,
         deliver: @escaping @Sendable ([ObservedCall]) -> Void) throws {
        self.configuration = configuration
        self.authority = authority
        self.deliver = deliver
        decoder = Mutex(AWSRequestDecoder(table: table, source: .proxy, maximumBodyBytes: configuration.maximumBodyBytes))
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.applicationProtocols = ["http/1.1"]
        if let file = configuration.upstreamCAFile {
            do {
                let roots = try NIOSSLCertificate.fromPEMFile(file)
                guard !roots.isEmpty else {
                    throw IAMScribeError(.invalidConfiguration, "--upstream-ca \(file) holds no PEM certificate")
                }
                tls.additionalTrustRoots = [.certificates(roots)]
            } catch let error as IAMScribeError {
                throw error
            } catch {
                throw IAMScribeError(.invalidConfiguration, "cannot read --upstream-ca \(file) as PEM certificates", underlying: DescribedError(error))
            }
        }
        do {
            upstreamTLS = try NIOSSLContext(configuration: tls)
            tls.applicationProtocols = ["h2", "http/1.1"]
            upstreamTLSHTTP2 = try NIOSSLContext(configuration: tls)
        } catch {
            throw IAMScribeError(.invalidConfiguration, "cannot set up upstream TLS", underlying: DescribedError(error))
        }
        // Last: nothing below throws, so the threads never outlive a failed init.
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, min(4, System.coreCount)))
        var decoders: [ObjectIdentifier: NIOLoopBoundBox<AWSRequestDecoder>] = [:]
        for loop in group.makeIterator() {
            decoders[ObjectIdentifier(loop)] = .makeBoxSendingValue(
                AWSRequestDecoder(table: table, source: .proxy, maximumBodyBytes: configuration.maximumBodyBytes), eventLoop: loop)
        }
        self.decoders = decoders
    }

    var statistics: ProxyStatistics { stats.withLock { $0 } }

    func count(_ update: (inout ProxyStatistics) -> Void) {
        stats.withLock { update(&$0) }
    }

    func reject(_ reason: String) {
        stats.withLock { $0.rejected[reason, default: 0] += 1 }
    }

    /// The TLS server context for a host: a leaf certificate for the `CONNECT` target, and one for
    /// the name the client's SNI asks for when that differs.
    func serverContext(for host: String) throws -> NIOSSLContext {
        let host = host.lowercased()
        if let context = serverContexts.withLock({ $0[host] }) { return context }
        let leaf = try authority.leaf(for: host)
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: leaf.chain.map { .certificate($0) },
                                                          privateKey: .privateKey(leaf.key))
        // The client chooses; HTTPVersionSelector sets up what it chose.
        tls.applicationProtocols = ["h2", "http/1.1"]
        tls.sslContextCallback = { [authority] values, promise in
            guard let name = values.serverHostname?.lowercased(), name != host else {
                promise.succeed(.noChanges)
                return
            }
            do {
                let other = try authority.leaf(for: name)
                var override = NIOSSLContextConfigurationOverride()
                override.certificateChain = other.chain.map { .certificate($0) }
                override.privateKey = .privateKey(other.key)
                promise.succeed(override)
            } catch {
                promise.fail(error)
            }
        }
        let context = try NIOSSLContext(configuration: tls)
        serverContexts.withLock { contexts in
            if contexts.count >= CertificateAuthority.maximumLeaves { contexts.removeAll() }
            contexts[host] = context
        }
        return context
    }

    /// Decodes one finished exchange and hands its call on.
    func record(_ exchange: HTTPExchange) {
        record { $0.decode(exchange) }
    }

    /// Decodes one finished exchange relayed as bytes (``HTTP1Relay``) and hands its call on.
    func record(requestHead: [UInt8], body: [UInt8]?, time: Date, response: HTTPExchange.Response?) {
        record { $0.decode(requestHead: requestHead, body: body, time: time, response: response) }
    }

    /// Decodes with this event loop's own decoder (or the shared one off the loops), counts the
    /// outcome and delivers the call.
    private func record(_ decode: (AWSRequestDecoder) -> Result<ObservedCall, AWSRequestDecoder.Failure>) {
        let result: Result<ObservedCall, AWSRequestDecoder.Failure>
        if let loop = MultiThreadedEventLoopGroup.currentEventLoop, let own = decoders[ObjectIdentifier(loop)] {
            result = decode(own.value)
        } else {
            result = decoder.withLock { decode($0) }
        }
        stats.withLock { stats in
            stats.exchanges += 1
            stats.lastActivity = Date()
            switch result {
            case .success: stats.calls += 1
            case .failure(.notAWS): stats.notAWS += 1
            case .failure(.unknownOperation): stats.unknownOperation += 1
            }
        }
        if case .success(let call) = result { deliver([call]) }
    }

    /// Opens a connection to an endpoint (through `--upstream-proxy` when given), with TLS when
    /// the endpoint speaks it; the handlers `initializer` adds come after.
    ///
    /// - Parameter offerHTTP2: Whether TLS offers `h2` before `http/1.1` by ALPN.
    /// - Returns: The channel, once connected (and, through a proxy, once the tunnel is up).
    func connect(to endpoint: ProxyConfiguration.Endpoint, on loop: EventLoop, offerHTTP2: Bool = false,
                 initializer: @escaping @Sendable (Channel) throws -> Void) -> EventLoopFuture<Channel> {
        let tls = offerHTTP2 ? upstreamTLSHTTP2 : upstreamTLS
        @Sendable func finish(_ channel: Channel) throws {
            if endpoint.tls {
                let hostname = CertificateAuthority.ipAddressBytes(endpoint.host) == nil ? endpoint.host : nil
                try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: hostname))
            }
            try initializer(channel)
        }
        let bootstrap = ClientBootstrap(group: loop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(30))
        guard let proxy = configuration.upstreamProxy else {
            return bootstrap.channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try finish(channel) }
            }.connect(host: endpoint.host, port: endpoint.port)
        }
        let tunnel = loop.makePromise(of: Void.self)
        return bootstrap.channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(UpstreamProxyHandler(target: endpoint, proxy: proxy, ready: tunnel))
            }
        }.connect(host: proxy.host, port: proxy.port).flatMap { channel in
            tunnel.futureResult.flatMapThrowing {
                try finish(channel)
                return channel
            }.flatMapErrorThrowing { error in
                channel.close(promise: nil)
                throw error
            }
        }
    }

    /// What a client is told when its upstream failed: one line, with a hint when it helps.
    static func explain(_ error: Error, endpoint: ProxyConfiguration.Endpoint) -> String {
        let text = String(describing: error)
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "the TLS certificate of \(endpoint.authority) failed verification (not signed by a trusted root, expired, or not for this host); iamscribe never skips verification: add its CA with --upstream-ca (\(text))"
        }
        if error is NIOSSLExtraError {
            return "the TLS certificate of \(endpoint.authority) is not valid for \(endpoint.host) (\(text))"
        }
        if let proxyError = error as? UpstreamProxyHandler.Failure { return proxyError.reason }
        if let malformed = error as? HTTP1Framer.Malformed { return "\(endpoint.authority) sent a malformed response: \(malformed.reason)" }
        return "could not reach \(endpoint.authority): \(text)"
    }
}
