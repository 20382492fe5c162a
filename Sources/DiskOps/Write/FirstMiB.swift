import EdgeCore
import FileIO
import ISOVerify

/// What a failed write left in the target's first MiB, where the partition tables and the ISO's
/// boot records live: a stick is bootable-looking exactly when they are there.
public enum FirstMiBState: Sendable, Equatable {
    /// Zeroed again after the failure and read back as zeros: nothing will boot from it.
    case blank
    /// The blanking failed or did not read back as zeros: the stick may still look bootable.
    case notBlank(reason: String)

    /// The sentence the failure's hint ends with.
    public func sentence(target: String) -> String {
        switch self {
        case .blank:
            return "\(target) was left blank (its first MiB zeroed and read back): it will not boot."
        case .notBlank(let reason):
            return "\(target) could not be blanked (\(reason)): it may still look bootable. Do not use it; write it again or discard it."
        }
    }
}

/// Zeroing the first MiB of a target after a failure, and checking that it holds: the promise that
/// a stick which was not written whole and verified never looks bootable is kept only when the
/// zeros are read back from the medium, not when the write of them merely returned.
public enum FirstMiB {
    public static let size = WritePlan.heldBackSize

    public static func blank(_ target: any WriteTarget) -> FirstMiBState {
        let zeros = AlignedBuffer(capacity: Int(size))
        zeros.zeroAll()
        do {
            try target.write(zeros.bytes(upTo: Int(min(size, target.size))), at: 0)
            try target.synchronize()
            guard try firstDataByte(in: target) == nil else {
                return .notBlank(reason: "its first MiB still holds data after being zeroed")
            }
            return .blank
        } catch {
            return .notBlank(reason: error.message)
        }
    }

    /// Reads the first MiB back from the medium (cache dropped, O_DIRECT): the offset of its first
    /// byte that is not zero (or that could not be read), nil when all of it is zero.
    static func firstDataByte(in target: any WriteTarget) throws(DeviceIOError) -> Int64? {
        let length = Int(min(size, target.size))
        target.dropCaches()
        let back = AlignedBuffer(capacity: Int(size))
        let got = try target.read(into: UnsafeMutableRawBufferPointer(start: back.pointer, count: length), at: 0)
        back.count = got
        if let data = back.bytes.firstIndex(where: { $0 != 0 }) { return Int64(data) }
        return got == length ? nil : Int64(got)
    }
}

/// A write that failed after it had started changing the target: the failure itself, and what the
/// target's first MiB holds now (`FirstMiB.blank` ran after the failure).
public struct WriteFailure: EdgeFlashError {
    public let cause: any EdgeFlashError
    public let target: String
    public let firstMiB: FirstMiBState
    /// The image had matched its checksum before the failure (a later step failed).
    public let checksumMatched: ExpectedChecksum?

    public init(_ cause: any EdgeFlashError, target: String, firstMiB: FirstMiBState, checksumMatched: ExpectedChecksum? = nil) {
        self.cause = cause
        self.target = target
        self.firstMiB = firstMiB
        self.checksumMatched = checksumMatched
    }

    public var message: String { cause.message }
    public var hint: String? {
        // Each its own sentence: the cause's hint may not end with a full stop.
        [cause.hint.map { $0.hasSuffix(".") ? $0 : $0 + "." }, firstMiB.sentence(target: target)].compactMap { $0 }.joined(separator: " ")
    }
    public var exitStatus: ExitStatus { cause.exitStatus }
}
