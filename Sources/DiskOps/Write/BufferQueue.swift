import Foundation

/// A blocking FIFO of buffers between two threads. `close()` wakes every waiter: pops then drain
/// what is left and return nil, pushes are dropped. Bounded by the number of buffers in the ring.
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

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
