/// Where a write or a verification stands. Bytes count what the device confirmed (O_DIRECT writes
/// return once the device has the data), so a rate computed from them is the device's rate.
public struct WriteProgress: Sendable, Equatable {
    public enum Phase: String, Sendable, Codable {
        /// Checking that the stick keeps what is written anywhere in its claimed size.
        case probe
        /// Zeroing the first and last MiB of the disk.
        case clear
        /// Writing the image (its first MiB is held back until the end).
        case write
        /// fdatasync: the device's own cache is flushed.
        case sync
        /// Reading the device back and comparing it with the image.
        case verify
        /// Checking an image against its checksum (edgeflash verify).
        case checksum
    }

    public var phase: Phase
    public var bytes: Int64
    public var totalBytes: Int64

    public init(phase: Phase, bytes: Int64, totalBytes: Int64) {
        self.phase = phase
        self.bytes = bytes
        self.totalBytes = totalBytes
    }
}
