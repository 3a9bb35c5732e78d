#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Turns a stream of CSM events into observed calls.
///
/// An `ApiCall` event is the final outcome of one call and becomes one ``ObservedCall``. The SDK
/// sends each call's `ApiCallAttempt` events before its `ApiCall`; they carry what the `ApiCall`
/// lacks (the access key id and the endpoint), so the last attempt of the same client, service and
/// operation lends them to the call. An attempt whose `ApiCall` never comes (an SDK that sends
/// attempts only, or a lost datagram) becomes a call of its own when it is flushed: at the end of
/// a file, or after ``orphanAge`` in a live recording. Memory is bounded by the number of distinct
/// (client, service, operation) keys in flight, capped at ``maximumPending``.
///
/// Waiting attempts are kept in a dictionary and in a queue in the order they arrived, so that
/// taking the oldest (to flush it, or to make room) costs the same however many wait. An attempt
/// that its `ApiCall` completes, or a newer attempt replaces, leaves its place in the queue
/// behind; such places are skipped when reached, and dropped in one pass when they outnumber the
/// waiting attempts.
public struct CSMCallAssembler: Sendable {
    private struct Key: Hashable, Sendable {
        let clientID: String
        let service: String
        let api: String
    }

    private struct Pending: Sendable {
        let event: CSMEvent
        let received: Date
        /// The attempt's place in ``arrivals``: a place whose number differs is stale.
        let sequence: Int
    }

    /// The keys of waiting attempts in the order the attempts arrived.
    private struct ArrivalQueue: Sendable {
        private var entries: [(key: Key, sequence: Int)] = []
        private var head = 0

        var count: Int { entries.count - head }
        var first: (key: Key, sequence: Int)? { head < entries.count ? entries[head] : nil }

        mutating func append(_ key: Key, _ sequence: Int) {
            entries.append((key, sequence))
        }

        mutating func removeFirst() {
            head += 1
            if head == entries.count {
                entries.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 && head * 2 >= entries.count {
                // The taken places are given back once they are half of the array: amortised O(1).
                entries.removeFirst(head)
                head = 0
            }
        }

        /// Keeps only the entries `isCurrent` accepts, in order.
        mutating func compact(_ isCurrent: ((key: Key, sequence: Int)) -> Bool) {
            entries = entries[head...].filter(isCurrent)
            head = 0
        }

        mutating func removeAll() {
            entries.removeAll()
            head = 0
        }
    }

    /// How long an attempt waits for its `ApiCall` before it counts as a call of its own.
    public var orphanAge: TimeInterval = 10
    /// At most this many attempts wait at once; the oldest is flushed beyond it.
    public var maximumPending = 10_000

    private var pending: [Key: Pending] = [:]
    private var arrivals = ArrivalQueue()
    private var nextSequence = 0

    /// Creates an assembler.
    public init() {}

    /// Takes one event.
    ///
    /// - Parameters:
    ///   - event: The event.
    ///   - now: When it was received.
    /// - Returns: The calls the event completes (usually none or one).
    public mutating func add(_ event: CSMEvent, receivedAt now: Date = Date()) -> [ObservedCall] {
        let key = Key(clientID: event.clientID, service: event.service, api: event.api)
        switch event.kind {
        case .apiCallAttempt:
            pending[key] = Pending(event: event, received: now, sequence: nextSequence)
            arrivals.append(key, nextSequence)
            nextSequence += 1
            if arrivals.count > 2 * pending.count + 64 {
                // Stale places outnumber the waiting attempts: drop them, in time proportional
                // to the appends since the last time.
                arrivals.compact { pending[$0.key]?.sequence == $0.sequence }
            }
            if pending.count > maximumPending, let oldest = takeOldest(expiredAt: nil) {
                return [Self.call(from: oldest.event, attempt: nil, received: oldest.received)]
            }
            return []
        case .apiCall:
            let attempt = pending.removeValue(forKey: key)?.event
            return [Self.call(from: event, attempt: attempt, received: now)]
        }
    }

    /// Flushes attempts whose `ApiCall` did not come in time.
    ///
    /// - Parameter now: The current time; `nil` flushes every waiting attempt (end of input).
    /// - Returns: One call for each flushed attempt, oldest first.
    public mutating func flush(now: Date? = nil) -> [ObservedCall] {
        var calls: [ObservedCall] = []
        while let oldest = takeOldest(expiredAt: now) {
            calls.append(Self.call(from: oldest.event, attempt: nil, received: oldest.received))
        }
        if now == nil { arrivals.removeAll() }
        return calls
    }

    /// The number of attempts waiting for their `ApiCall`.
    public var pendingCount: Int { pending.count }

    /// Removes and returns the attempt that arrived first, when there is one and (with `now`) it
    /// has waited ``orphanAge``. Stale places before it are dropped on the way.
    private mutating func takeOldest(expiredAt now: Date?) -> Pending? {
        while let entry = arrivals.first {
            guard let oldest = pending[entry.key], oldest.sequence == entry.sequence else {
                arrivals.removeFirst()
                continue
            }
            if let now, now.timeIntervalSince(oldest.received) < orphanAge { return nil }
            arrivals.removeFirst()
            pending[entry.key] = nil
            return oldest
        }
        return nil
    }

    /// The earliest event time taken as true: 2000-01-01, in milliseconds since 1970.
    static let earliestTimestamp: Int64 = 946_684_800_000
    /// How far past its receipt (or the present) an event's time may lie: clocks differ, but not by days.
    static let futureAllowance: TimeInterval = 86_400

    /// The time of a call: its event's `Timestamp`, else its attempt's, when it is plausible
    /// (from 2000 to a day past the later of its receipt and now); else when it was received.
    /// A sender's clock set to 1970, or a forged value, never gives a date a journal cannot hold.
    static func time(of timestamps: Int64?..., received: Date) -> Date {
        let latest = max(received, Date()).timeIntervalSince1970 + futureAllowance
        for case let milliseconds? in timestamps where milliseconds >= earliestTimestamp {
            let seconds = TimeInterval(milliseconds) / 1000
            if seconds <= latest { return Date(timeIntervalSince1970: seconds) }
        }
        return received
    }

    static func call(from event: CSMEvent, attempt: CSMEvent?, received: Date) -> ObservedCall {
        let accessKey = event.accessKey ?? attempt?.accessKey
        return ObservedCall(
            source: .csm, time: time(of: event.timestamp, attempt?.timestamp, received: received),
            service: event.service, operation: event.api,
            region: event.region ?? attempt?.region, httpStatus: event.httpStatus, errorCode: event.exception,
            clientID: event.clientID.isEmpty ? nil : event.clientID,
            accessKeyID: accessKey.flatMap { $0.isEmpty ? nil : AccessKeyID($0) },
            endpoint: event.fqdn ?? attempt?.fqdn)
    }
}
