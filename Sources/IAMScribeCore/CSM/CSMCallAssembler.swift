import Foundation

/// Turns a stream of CSM events into observed calls.
///
/// An `ApiCall` event is the final outcome of one call and becomes one ``ObservedCall``. The SDK
/// sends each call's `ApiCallAttempt` events before its `ApiCall`; they carry what the `ApiCall`
/// lacks (the access key id and the endpoint), so the last attempt of the same client, service and
/// operation lends them to the call. An attempt whose `ApiCall` never comes (an SDK that sends
/// attempts only, or a lost datagram) becomes a call of its own when it is flushed: at the end of
/// a file, or after ``orphanAge`` in a live recording. Memory is bounded by the number of distinct
/// (client, service, operation) keys in flight, capped at ``maximumPending``.
public struct CSMCallAssembler: Sendable {
    private struct Key: Hashable, Sendable {
        let clientID: String
        let service: String
        let api: String
    }

    private struct Pending: Sendable {
        let event: CSMEvent
        let received: Date
    }

    /// How long an attempt waits for its `ApiCall` before it counts as a call of its own.
    public var orphanAge: TimeInterval = 10
    /// At most this many attempts wait at once; the oldest is flushed beyond it.
    public var maximumPending = 10_000

    private var pending: [Key: Pending] = [:]

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
            pending[key] = Pending(event: event, received: now)
            if pending.count > maximumPending, let oldest = pending.min(by: { $0.value.received < $1.value.received }) {
                pending[oldest.key] = nil
                return [Self.call(from: oldest.value.event, attempt: nil)]
            }
            return []
        case .apiCall:
            let attempt = pending.removeValue(forKey: key)?.event
            return [Self.call(from: event, attempt: attempt)]
        }
    }

    /// Flushes attempts whose `ApiCall` did not come in time.
    ///
    /// - Parameter now: The current time; `nil` flushes every waiting attempt (end of input).
    /// - Returns: One call for each flushed attempt, oldest first.
    public mutating func flush(now: Date? = nil) -> [ObservedCall] {
        let expired = pending.filter { entry in now.map { $0.timeIntervalSince(entry.value.received) >= orphanAge } ?? true }
        for key in expired.keys { pending[key] = nil }
        return expired.values.sorted { $0.received < $1.received }.map { Self.call(from: $0.event, attempt: nil) }
    }

    /// The number of attempts waiting for their `ApiCall`.
    public var pendingCount: Int { pending.count }

    static func call(from event: CSMEvent, attempt: CSMEvent?) -> ObservedCall {
        let milliseconds = event.timestamp ?? attempt?.timestamp
        let time = milliseconds.map { Date(timeIntervalSince1970: TimeInterval($0) / 1000) } ?? Date()
        let accessKey = event.accessKey ?? attempt?.accessKey
        return ObservedCall(
            source: .csm, time: time, service: event.service, operation: event.api,
            region: event.region ?? attempt?.region, httpStatus: event.httpStatus, errorCode: event.exception,
            clientID: event.clientID.isEmpty ? nil : event.clientID,
            accessKeyID: accessKey.flatMap { $0.isEmpty ? nil : AccessKeyID($0) },
            endpoint: event.fqdn ?? attempt?.fqdn)
    }
}
