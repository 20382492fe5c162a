import EdgeCore
import Foundation

extension ImplantedMD5 {
    /// The implanted MD5 of the image at `image` as the checksum to check; nil when the image has
    /// no ISO 9660 volume or no implanted MD5. A malformed one throws, as a broken checksum file does.
    public static func checksum(forImage image: URL) throws -> ExpectedChecksum? {
        let sanity: ISOSanity
        do {
            sanity = try ISOSanity.check(image: image)
        } catch let error as EdgeError where error.code == .malformed {
            return nil
        }
        return try parse(applicationUse: sanity.descriptors.primaryApplicationUse)?.expected(volumeBytes: sanity.volumeBytes)
    }
}
