import Foundation

/// Two threads over a ring of aligned buffers: `produce` fills segment after segment on a background
/// thread while `consume` drains them on the calling thread, so reading (and hashing) overlaps with
/// writing (or comparing). Memory is bounded by `depth` buffers whatever the number of segments.
enum BufferPipeline {
    /// Thrown when the cancellation flag stopped the pipeline before every segment was consumed.
    struct Cancelled: Error {}

    static func run(segments count: Int, bufferSize: Int, depth: Int, cancel: CancellationFlag,
                    produce: @escaping @Sendable (Int, AlignedBuffer) throws -> Void,
                    consume: (Int, AlignedBuffer) throws -> Void) throws {
        let free = BufferQueue(), full = BufferQueue()
        for _ in 0..<max(1, min(depth, count)) {
            free.push(.init(index: -1, buffer: AlignedBuffer(capacity: bufferSize)))
        }
        let producerFailure = ErrorBox()
        let finished = DispatchSemaphore(value: 0)
        let producer = Thread {
            defer { full.close(); finished.signal() }
            for index in 0..<count {
                if cancel.isCancelled { return }
                guard let slot = free.pop() else { return }
                do {
                    try produce(index, slot.buffer)
                } catch {
                    producerFailure.store(error)
                    return
                }
                full.push(.init(index: index, buffer: slot.buffer))
            }
        }
        producer.name = "edgeflash-reader"
        producer.start()

        var consumerFailure: Error?
        var consumed = 0
        while let item = full.pop() {
            if cancel.isCancelled { break }
            do {
                try consume(item.index, item.buffer)
            } catch {
                consumerFailure = error
                break
            }
            consumed += 1
            free.push(item)
        }
        free.close()  // wakes the producer if it waits for a buffer the consumer will never return
        finished.wait()

        if let consumerFailure { throw consumerFailure }
        if let error = producerFailure.error { throw error }
        if consumed < count || cancel.isCancelled { throw Cancelled() }
    }
}

/// Carries an error from the producer thread to the caller; read only after the thread finished.
final class ErrorBox: @unchecked Sendable {
    private(set) var error: Error?
    func store(_ error: Error) { self.error = error }
}
