import Foundation

/// A blocking FIFO of buffers between threads. `close()` and `abort()` wake every waiter; pushes
/// after either are dropped. Bounded by the number of buffers in the ring.
final class BufferQueue: @unchecked Sendable {
    struct Item {
        let index: Int
        let buffer: AlignedBuffer
    }

    private let condition = NSCondition()
    private var items: [Item] = []
    private var closed = false

    func push(_ item: Item) {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return }
        items.append(item)
        condition.signal()
    }

    /// The next item; nil once closed and empty.
    func pop() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed { condition.wait() }
        return items.isEmpty ? nil : items.removeFirst()
    }

    /// No more pushes; pops drain what is queued, then return nil.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Stops at once: what is queued is dropped and every pop returns nil (after a failure).
    func abort() {
        condition.lock()
        closed = true
        items.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}
