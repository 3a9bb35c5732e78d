#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import IAMScribeCore
import Synchronization

/// The HTTPS proxy as a ``CallSource``: every exchange with an intercepted host becomes a call.
public final class ProxyCallSource: CallSource {
    /// Where to listen and what to intercept.
    public let configuration: ProxyConfiguration
    /// The CA the proxy signs its leaf certificates with.
    public let authority: CertificateAuthority
    private let table: ActionTable
    private let server = Mutex<ProxyServer?>(nil)

    /// Creates the source; nothing is bound until ``start(delivering:)``.
    ///
    /// - Parameters:
    ///   - configuration: Where to listen (port 0 picks a free one: see ``port``), what to intercept.
    ///   - authority: The CA (see ``CertificateAuthority/open(folder:)``).
    ///   - table: The action table the AWS request stage uses.
    public init(configuration: ProxyConfiguration, authority: CertificateAuthority, table: ActionTable = .bundled) {
        self.configuration = configuration
        self.authority = authority
        self.table = table
    }

    /// The bound port once started, else nil.
    public var port: Int? { server.withLock { $0 }?.port }

    public func start(delivering deliver: @escaping @Sendable ([ObservedCall]) -> Void) throws {
        let core = try ProxyCore(configuration: configuration, authority: authority, table: table, deliver: deliver)
        let started = try ProxyServer(core: core)
        server.withLock { $0 = started }
    }

    public func stop() {
        let stopping = server.withLock { $0 }
        stopping?.stop()
    }

    public var lastActivity: Date? { server.withLock { $0 }?.core.statistics.lastActivity }

    public var statistics: CallSourceStatistics {
        .proxy(server.withLock { $0 }?.core.statistics ?? ProxyStatistics())
    }
}
