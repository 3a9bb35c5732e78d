#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import Synchronization

/// Packets on a network interface as a ``CallSource``: a ``LiveCapture`` whose calls are taken
/// from its event stream on a task of their own.
public final class CaptureCallSource: CallSource {
    /// The interface to capture on.
    public let interface: String
    private let filter: String?
    private let options: CaptureOptions
    private let state = Mutex<(capture: LiveCapture?, consumer: Task<Void, Never>?)>((nil, nil))
    private let activity = Activity()

    /// When the last call came, shared with the consuming task.
    private final class Activity: Sendable {
        private let last = Mutex<Date?>(nil)
        func touch() { last.withLock { $0 = Date() } }
        var date: Date? { last.withLock { $0 } }
    }

    /// Creates the source; nothing is opened until ``start(delivering:)``.
    ///
    /// - Parameters:
    ///   - interface: The interface (`any`, `lo`, `eth0`, ...).
    ///   - filter: A BPF filter expression, or nil.
    ///   - options: How to decode (the CSM ports, for example).
    public init(interface: String, filter: String? = nil, options: CaptureOptions = CaptureOptions()) {
        self.interface = interface
        self.filter = filter
        self.options = options
    }

    public func start(delivering deliver: @escaping @Sendable ([ObservedCall]) -> Void) throws {
        let capture = try LiveCapture(interface: interface, filter: filter, options: options)
        let consumer = Task.detached { [activity] in
            for await event in capture.events {
                guard case .call(let call) = event else { continue }
                deliver([call])
                activity.touch()
            }
        }
        state.withLock {
            $0.capture = capture
            $0.consumer = consumer
        }
    }

    public func stop() {
        let (capture, consumer) = state.withLock { state in
            defer { state.consumer = nil }
            return (state.capture, state.consumer)
        }
        capture?.stop()
        guard let consumer else { return }
        // The stream finishes once the capture has stopped; wait until every call is delivered.
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            await consumer.value
            done.signal()
        }
        done.wait()
    }

    public var lastActivity: Date? { activity.date }

    public var statistics: CallSourceStatistics {
        let capture = state.withLock { $0.capture }
        return .capture(interface: interface, statistics: capture?.statistics ?? CaptureStatistics(),
                        droppedPackets: capture?.droppedPackets ?? 0, failure: capture?.failure)
    }
}
