import EdgeCore
import FileIO
import ISOVerify

/// The device read back differs from the image.
public struct ReadBackMismatchError: EdgeFlashError, Equatable {
    public let devicePath: String
    public let imagePath: String
    /// The first byte that differs.
    public let offset: Int64

    public init(devicePath: String, imagePath: String, offset: Int64) {
        self.devicePath = devicePath
        self.imagePath = imagePath
        self.offset = offset
    }

    public var message: String {
        "verification failed: \(devicePath) differs from \(imagePath) at byte offset \(offset) (\(ByteCount.human(offset)))"
    }

    public var hint: String? {
        "The stick may be failing or counterfeit (smaller than it claims): write it again, or use another stick."
    }

    public var exitStatus: ExitStatus { .mismatch }
}

/// SIGINT or SIGTERM stopped a write: what was written is flushed, but the device is incomplete.
public struct WriteInterruptedError: EdgeFlashError, Equatable {
    public let devicePath: String
    public let bytesWritten: Int64
    public let imageSize: Int64

    public init(devicePath: String, bytesWritten: Int64, imageSize: Int64) {
        self.devicePath = devicePath
        self.bytesWritten = bytesWritten
        self.imageSize = imageSize
    }

    public var message: String {
        "interrupted: \(devicePath) is incomplete (\(ByteCount.human(bytesWritten)) of \(ByteCount.human(imageSize)) written, flushed)"
    }

    public var hint: String? { "Run the write again to finish it." }

    public var exitStatus: ExitStatus { .interrupted }
}

/// The image changed size while it was being read (a download still running, a truncated copy).
public struct ImageChangedError: EdgeFlashError, Equatable {
    public let imagePath: String
    public let offset: Int64

    public var message: String { "\(imagePath) ended early at byte offset \(offset): it changed while being read" }
    public var hint: String? { "Wait until the download or copy has finished, then run again." }
    public var exitStatus: ExitStatus { .ioError }
}

extension ReadBackMismatchError: OffsetFailure {
    public var failureOffset: Int64? { offset }
}
