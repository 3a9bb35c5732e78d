#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import Dispatch

/// Hands byte chunks from one thread to another, at most `capacity` of them waiting: a single
/// gzip stream is inflated on one thread while its records are read on another.
final class ChunkPipe: Sendable {
    /// What passes through.
    enum Item: Sendable {
        /// The next bytes.
        case chunk([UInt8])
        /// The end of the stream.
        case end
        /// The producer failed; the reason, in words.
        case failure(String)
    }

    private let items = Mutex<(queue: [Item], cancelled: Bool)>(([], false))
    private let filled = DispatchSemaphore(value: 0)
    private let free: DispatchSemaphore
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        free = DispatchSemaphore(value: capacity)
    }

    /// Puts an item, waiting while the pipe is full.
    ///
    /// - Returns: False when the consumer has gone (``cancel()``): the producer should stop.
    @discardableResult
    func put(_ item: Item) -> Bool {
        free.wait()
        let taken = items.withLock { state -> Bool in
            if state.cancelled { return false }
            state.queue.append(item)
            return true
        }
        if taken { filled.signal() }
        return taken
    }

    /// Takes the next item, waiting for one.
    func take() -> Item {
        filled.wait()
        let item = items.withLock { $0.queue.removeFirst() }
        free.signal()
        return item
    }

    /// Tells the producer to stop; what it puts from now on is dropped, and it never waits.
    func cancel() {
        items.withLock { state in
            state.cancelled = true
            state.queue.removeAll()
        }
        // Enough room that a producer waiting (or about to wait) goes on to see the flag.
        for _ in 0..<capacity + 1 { free.signal() }
    }
}
