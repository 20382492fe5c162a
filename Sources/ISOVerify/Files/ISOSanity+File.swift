import EdgeCore
import FileIO
import Foundation

/// `ISOSanity` of a file: kept apart from the check, so the fuzz target builds without the file layer.
extension ISOSanity {
    /// Checks the image at `image`. Throws `EdgeError` when it cannot be read or has no ISO 9660
    /// primary volume descriptor (a raw disk image, a corrupt download). A compressed image is
    /// checked through its decompressed bytes.
    public static func check(image: URL) throws -> ISOSanity {
        try ImageFileAccess.withImage(image.path) { file, _ in try check(file) }
    }

    public static func check(_ file: any ImageBytes) throws -> ISOSanity {
        let set = try VolumeDescriptorSet.parse { index in
            try file.read(offset: Int64(index) * Int64(ISO9660.sectorSize), count: ISO9660.sectorSize)
        }
        return assess(set, fileSize: file.size)
    }
}
