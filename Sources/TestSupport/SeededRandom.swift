/// xorshift64*: a deterministic generator for the hostile-input tests, so a failure is
/// reproducible from the seed and the round in its message.
public struct SeededRandom {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }

    /// A value in 0..<n (0 when n <= 1).
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
}
