import EdgeCore
import Foundation

/// The quick volume check `write` and `verify` run before reading the whole image: a truncated ISO
/// download is an error; an image without an ISO 9660 volume (a raw disk image) is not checked.
public enum ISOVolumeCheck {
    /// The volume, or nil when the image has no ISO 9660 primary volume descriptor.
    public static func run(imagePath: String) throws -> ISOSanity? {
        let sanity: ISOSanity
        do {
            sanity = try ISOSanity.check(image: URL(fileURLWithPath: imagePath))
        } catch let error as EdgeError where error.code == .malformed {
            return nil
        }
        if let problem = sanity.problem { throw problem }
        return sanity
    }
}
