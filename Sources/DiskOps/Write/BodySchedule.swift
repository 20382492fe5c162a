/// The order in which the body's I/O is handed to the write's threads, computed from the plan alone.
///
/// Without an overlapped read-back it is every segment written, in order. With one, the body is
/// cut into batches of `batchSize` segments and the read-back of batch k is interleaved with the
/// writing of batch k+2: a segment is read back only once the batch after its own was written and
/// an fdatasync issued after that (`DurableSegments` waits for both), so every read-back reads
/// what the medium holds, at least one batch behind the writes. Segment 0, the held-back first
/// MiB, is only taken from the image here: it is written and read back after the body.
struct BodySchedule: Sendable, Equatable {
    enum Step: Sendable, Equatable {
        case write(Int)
        case readBack(Int)
    }

    /// 32 MiB of 4 MiB segments: one fdatasync per batch keeps syncs few (16 for 512 MiB), and a
    /// read-back trails the writes by at least this much.
    static let batchBytes = 32 << 20

    let steps: [Step]
    let batchSize: Int
    /// Segments 1..<segmentCount are the body.
    let segmentCount: Int

    init(plan: WritePlan, readBack: Bool) {
        let count = plan.segmentCount, size = max(1, Self.batchBytes / plan.chunkSize)
        segmentCount = count
        batchSize = size
        let batches = stride(from: 1, to: count, by: size).map { $0..<min($0 + size, count) }
        var steps: [Step] = [.write(0)]
        guard readBack else {
            steps += plan.bodySegments.map(Step.write)
            self.steps = steps
            return
        }
        steps += batches.prefix(2).joined().map(Step.write)
        for (number, batch) in batches.enumerated() {
            let writes = number + 2 < batches.count ? Array(batches[number + 2]) : []
            for position in 0..<max(batch.count, writes.count) {
                if position < batch.count { steps.append(.readBack(batch.lowerBound + position)) }
                if position < writes.count { steps.append(.write(writes[position])) }
            }
        }
        self.steps = steps
    }

    /// How many leading segments must be written (and then synced) before segment `index` may be
    /// read back: through the end of the batch after its own, or the whole image.
    func writtenNeeded(toReadBack index: Int) -> Int {
        let batch = (index - 1) / batchSize
        return min(segmentCount, 1 + (batch + 2) * batchSize)
    }
}
