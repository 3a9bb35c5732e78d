#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import Synchronization

/// CSM datagrams as a ``CallSource``: a ``CSMListener`` started on demand.
public final class CSMCallSource: CallSource {
    /// Where to listen and what to accept.
    public let configuration: CSMListener.Configuration
    private let logger: Logger
    private let listener = Mutex<CSMListener?>(nil)

    /// Creates the source; nothing is bound until ``start(delivering:)``.
    ///
    /// - Parameters:
    ///   - configuration: Where to listen (port 0 picks a free one: see ``port``).
    ///   - logger: Receives a debug line for each rejected datagram.
    public init(configuration: CSMListener.Configuration, logger: Logger = Logger(label: "iamscribe.csm")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The bound port once started, else nil.
    public var port: Int? {
        guard case .running(let port) = listener.withLock({ $0?.state }) else { return nil }
        return port
    }

    public func start(delivering deliver: @escaping @Sendable ([ObservedCall]) -> Void) throws {
        let started = CSMListener(configuration: configuration, logger: logger, onCalls: deliver)
        try started.start()
        listener.withLock { $0 = started }
    }

    public func stop() {
        listener.withLock { $0 }?.stop()
    }

    public var lastActivity: Date? { listener.withLock { $0 }?.statistics.lastReceived }

    public var statistics: CallSourceStatistics {
        .csm(listener.withLock { $0 }?.statistics ?? CSMListener.Statistics())
    }
}
