import CSocketShims
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import Logging
import Synchronization

/// Listens for CSM datagrams on UDP and turns them into observed calls.
///
/// The listener runs its own thread: a tight `recvmmsg` loop that parses each datagram in place
/// (no copy, no general JSON tree) and hands the completed calls of each batch to `onCalls`. A bad
/// datagram is counted by reason and skipped; nothing a sender does stops the listener.
public final class CSMListener: Sendable {
    /// Where to listen and what to accept.
    public struct Configuration: Sendable {
        /// The address to bind; loopback unless the user allows remote senders.
        public var host: String
        /// The UDP port; 0 picks a free one (see ``start()``).
        public var port: Int
        /// When set, only events with this `ClientId` are taken.
        public var clientID: String?
        /// Datagrams larger than this are rejected as oversized (botocore sends at most 8 KiB).
        public var maximumDatagramSize: Int

        /// Creates a configuration.
        public init(host: String = "127.0.0.1", port: Int = 31000, clientID: String? = nil, maximumDatagramSize: Int = 8192) {
            self.host = host
            self.port = port
            self.clientID = clientID
            self.maximumDatagramSize = maximumDatagramSize
        }
    }

    /// Counters, updated after every batch of datagrams.
    public struct Statistics: Sendable, Equatable {
        /// Datagrams received.
        public var datagrams = 0
        /// Events parsed and accepted.
        public var events = 0
        /// Calls completed (and handed on).
        public var calls = 0
        /// Rejected datagrams, by ``CSMRejection/reasonKey``: a datagram counts once, by the
        /// reason of its first rejected event, or by its own (`oversized`, `empty`). Its other
        /// events may still have been taken.
        public var rejected: [String: Int] = [:]
        /// Rejected events (lines of datagrams), by ``CSMRejection/reasonKey``: a datagram of
        /// several bad events counts each here.
        public var rejectedEvents: [String: Int] = [:]
        /// Datagrams the kernel dropped because the socket's receive queue was full (its
        /// SO_RXQ_OVFL count): they never reached the listener.
        public var kernelDrops = 0
        /// When the first and the last datagram arrived.
        public var firstReceived: Date?
        public var lastReceived: Date?

        /// All rejected datagrams together.
        public var rejectedTotal: Int { rejected.values.reduce(0, +) }
        /// All rejected events together.
        public var rejectedEventsTotal: Int { rejectedEvents.values.reduce(0, +) }
    }

    /// The listener's life cycle.
    public enum State: Sendable, Equatable {
        case idle
        case running(port: Int)
        case stopped
    }

    /// The configuration.
    public let configuration: Configuration
    private let logger: Logger
    private let onCalls: @Sendable ([ObservedCall]) -> Void
    private let shared = Mutex<(state: State, statistics: Statistics, socket: Int32)>((.idle, Statistics(), -1))
    private let finished = Mutex<Bool>(false)

    /// Creates a listener; nothing is bound until ``start()``.
    ///
    /// - Parameters:
    ///   - configuration: Where to listen.
    ///   - logger: Receives a debug line for each rejected datagram (its reason and size, never its content).
    ///   - onCalls: Called on the listener's thread with each batch of completed calls.
    public init(configuration: Configuration, logger: Logger = Logger(label: "iamscribe.csm"),
                onCalls: @escaping @Sendable ([ObservedCall]) -> Void) {
        self.configuration = configuration
        self.logger = logger
        self.onCalls = onCalls
    }

    /// The current state.
    public var state: State { shared.withLock { $0.state } }

    /// A copy of the counters.
    public var statistics: Statistics { shared.withLock { $0.statistics } }

    /// The bound socket, for tests that look at its options or fill its queue; -1 when none.
    var socketDescriptor: Int32 { shared.withLock { $0.socket } }

    /// Binds the socket and starts the receiving thread.
    ///
    /// - Returns: The bound port (useful when the configuration asked for port 0).
    /// - Throws: ``IAMScribeError`` with code `.system` when the address cannot be bound.
    @discardableResult
    public func start() throws -> Int {
        let (socket, port) = try Self.bind(host: configuration.host, port: configuration.port)
        shared.withLock {
            $0.state = .running(port: port)
            $0.socket = socket
        }
        try OSThread.start(name: "iamscribe-csm") { [self] in
            receiveLoop(socket: socket)
            finished.withLock { $0 = true }
        }
        return port
    }

    /// Stops receiving, waits for the thread, flushes attempts still waiting for their `ApiCall`
    /// and closes the socket.
    public func stop() {
        let wasRunning = shared.withLock { state -> Bool in
            guard case .running = state.state else { return false }
            state.state = .stopped
            return true
        }
        guard wasRunning else { return }
        while !finished.withLock({ $0 }) { usleep(2_000) }
        let socket = shared.withLock { $0.socket }
        close(socket)
    }

    /// How long a stop may spend reading the datagrams the socket already holds.
    static let stopDrainLimit: TimeInterval = 0.5

    private var isRunning: Bool {
        shared.withLock { if case .running = $0.state { true } else { false } }
    }

    private func receiveLoop(socket: Int32) {
        let batch = 64
        let slot = configuration.maximumDatagramSize + 1
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: slot * batch)
        let lengths = UnsafeMutablePointer<Int>.allocate(capacity: batch)
        let truncated = UnsafeMutablePointer<Int32>.allocate(capacity: batch)
        defer {
            buffer.deallocate()
            lengths.deallocate()
            truncated.deallocate()
        }
        var assembler = CSMCallAssembler()
        var local = Statistics()
        var lastFlush = Date()
        var calls: [ObservedCall] = []
        var dropped: UInt32 = 0
        // After a stop, what the socket already holds is still read (without waiting for more),
        // so that a stop never leaves datagrams behind unreported; a sender that keeps flooding
        // cannot hold the stop longer than the deadline.
        var drainDeadline: Date?
        while true {
            if drainDeadline == nil && !isRunning {
                drainDeadline = Date().addingTimeInterval(Self.stopDrainLimit)
                _ = fcntl(socket, F_SETFL, fcntl(socket, F_GETFL) | O_NONBLOCK)
            }
            let received = iamscribe_receive_batch(socket, buffer, slot, UInt32(batch), lengths, truncated, &dropped)
            let now = Date()
            if drainDeadline != nil && received <= 0 { break }
            local.kernelDrops = max(local.kernelDrops, Int(dropped))
            if received < 0 {
                logger.error("receiving failed: \(String(cString: strerror(errno)))")
                usleep(10_000)
                continue
            }
            calls.removeAll(keepingCapacity: true)
            for index in 0..<Int(received) {
                local.datagrams += 1
                let length = lengths[index]
                if truncated[index] != 0 || length > configuration.maximumDatagramSize {
                    reject(.oversized(length), &local, size: length)
                    continue
                }
                let datagram = UnsafeBufferPointer(start: buffer + index * slot, count: length)
                process(datagram, now: now, assembler: &assembler, calls: &calls, statistics: &local)
            }
            if received > 0 {
                if local.firstReceived == nil { local.firstReceived = now }
                local.lastReceived = now
            }
            if now.timeIntervalSince(lastFlush) >= 1 {
                calls += assembler.flush(now: now)
                lastFlush = now
            }
            if !calls.isEmpty {
                local.calls += calls.count
                onCalls(calls)
            }
            if received > 0 || !calls.isEmpty {
                let snapshot = local
                shared.withLock { $0.statistics = snapshot }
            }
            if let drainDeadline, now >= drainDeadline { break }
        }
        // Drops after the last datagram came with none: ask the socket itself.
        if iamscribe_socket_drop_count(socket, &dropped) != 0 { local.kernelDrops = max(local.kernelDrops, Int(dropped)) }
        let orphans = assembler.flush()
        if !orphans.isEmpty {
            local.calls += orphans.count
            onCalls(orphans)
        }
        let snapshot = local
        shared.withLock { $0.statistics = snapshot }
    }

    /// Parses one datagram: one event, or several separated by newlines. A datagram with a bad
    /// event counts once among the rejected datagrams; each bad event counts among the rejected
    /// events; the good events of the datagram are still taken.
    private func process(_ datagram: UnsafeBufferPointer<UInt8>, now: Date, assembler: inout CSMCallAssembler,
                         calls: inout [ObservedCall], statistics: inout Statistics) {
        var first: CSMRejection?
        let lines = CSMLines.forEach(in: UnsafeRawBufferPointer(datagram)) { line, _ in
            let rejection: CSMRejection
            switch CSMEventParser.parse(line) {
            case .failure(let reason):
                rejection = reason
            case .success(let event):
                if let wanted = configuration.clientID, event.clientID != wanted {
                    rejection = .otherClientID
                } else {
                    statistics.events += 1
                    calls += assembler.add(event, receivedAt: now)
                    return
                }
            }
            statistics.rejectedEvents[rejection.reasonKey, default: 0] += 1
            if first == nil { first = rejection }
        }
        if lines == 0 { first = .empty }
        if let first { reject(first, &statistics, size: datagram.count) }
    }

    /// Counts a rejected datagram.
    private func reject(_ rejection: CSMRejection, _ statistics: inout Statistics, size: Int) {
        statistics.rejected[rejection.reasonKey, default: 0] += 1
        logger.debug("rejected a CSM datagram", metadata: ["reason": "\(rejection)", "bytes": "\(size)"])
    }

    /// Binds a UDP socket with a large receive buffer, the kernel's drop count on (SO_RXQ_OVFL)
    /// and a short receive timeout (so `stop` is prompt).
    static func bind(host: String, port: Int) throws -> (Int32, Int) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE
        var result: UnsafeMutablePointer<addrinfo>?
        let lookup = getaddrinfo(host == "localhost" ? "127.0.0.1" : host, String(port), &hints, &result)
        guard lookup == 0, let info = result else {
            throw IAMScribeError(.system, "cannot listen on '\(host)': not a numeric IPv4 or IPv6 address")
        }
        defer { freeaddrinfo(result) }
        let descriptor = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw IAMScribeError(.system, "cannot create a UDP socket: \(String(cString: strerror(errno)))")
        }
        var size: Int32 = 16 << 20
        // SO_RCVBUFFORCE passes the system's cap when run as root; otherwise take what is allowed.
        if setsockopt(descriptor, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        #if os(Linux)
        // The kernel then tells, with each datagram, how many it dropped for want of room.
        var on: Int32 = 1
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RXQ_OVFL, &on, socklen_t(MemoryLayout<Int32>.size))
        #endif
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard Glibc.bind(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw IAMScribeError(.system, "cannot listen on \(host):\(port): \(reason)"
                + (errno == EADDRINUSE ? " (another recorder may be running; pick another --port)" : ""))
        }
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let boundPort = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer -> Int in
                guard getsockname(descriptor, sockaddrPointer, &length) == 0 else { return port }
                if Int32(sockaddrPointer.pointee.sa_family) == AF_INET6 {
                    return sockaddrPointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
                }
                return sockaddrPointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        }
        return (descriptor, boundPort)
    }

    /// Whether `host` is a loopback address (127.0.0.0/8, ::1 or localhost).
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
