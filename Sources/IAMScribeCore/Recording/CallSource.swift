#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A live source of observed calls: the CSM listener, a packet capture, the HTTPS proxy.
///
/// Every source delivers the same way: batches of calls, handed to the closure given to
/// ``start(delivering:)`` on the source's own thread. A ``RecordingService`` starts and stops it.
public protocol CallSource: AnyObject, Sendable {
    /// Starts receiving (binds the socket, opens the interface).
    ///
    /// - Parameter deliver: Called with each batch of calls, on the source's thread, in order.
    /// - Throws: ``IAMScribeError`` when the source cannot start.
    func start(delivering deliver: @escaping @Sendable ([ObservedCall]) -> Void) throws

    /// Stops receiving. Returns once every call received so far has been delivered; calling it
    /// again does nothing.
    func stop()

    /// When the source last received something (the drain after `run`'s command waits until it
    /// has been quiet for a while).
    var lastActivity: Date? { get }

    /// What the source has seen so far, for a status line and the summary on exit.
    var statistics: CallSourceStatistics { get }
}

/// What a ``CallSource`` has seen, by kind of source.
public enum CallSourceStatistics: Sendable, Equatable {
    /// CSM datagrams through a listener.
    case csm(CSMListener.Statistics)
    /// Packets on an interface: what they held, packets the kernel dropped, and why the capture
    /// ended on its own (if it did).
    case capture(interface: String, statistics: CaptureStatistics, droppedPackets: Int, failure: String?)
    /// Connections and exchanges through the HTTPS proxy.
    case proxy(ProxyStatistics)
}
