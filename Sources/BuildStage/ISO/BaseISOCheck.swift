/// Is the base ISO an ISO at all, and whole? Reads the primary volume descriptor at 32 KiB and
/// compares the volume size it records with the file's size. Pure: bytes and size in.
public enum BaseISOCheck {
    public static let descriptorOffset: Int64 = 16 * 2048
    public static let bytesNeeded = 2048

    /// nil when it looks like a whole ISO 9660 image; else what is wrong, for the message.
    public static func problem(descriptor: [UInt8], fileSize: Int64) -> String? {
        guard descriptor.count >= bytesNeeded, fileSize >= descriptorOffset + Int64(bytesNeeded) else {
            return "is too small to be an ISO 9660 image (\(fileSize) bytes)"
        }
        guard descriptor[0] == 1, Array(descriptor[1...5]) == Array("CD001".utf8) else {
            return "is not an ISO 9660 image (no primary volume descriptor at 32 KiB)"
        }
        let blocks = Int64(descriptor[80]) | Int64(descriptor[81]) << 8 | Int64(descriptor[82]) << 16 | Int64(descriptor[83]) << 24
        let blockSize = Int64(descriptor[128]) | Int64(descriptor[129]) << 8
        guard blockSize == 2048 else { return "has an unusual logical block size \(blockSize)" }
        if blocks * blockSize > fileSize {
            return "is truncated: its volume descriptor says \(blocks * blockSize) bytes, the file has \(fileSize)"
        }
        return nil
    }
}
