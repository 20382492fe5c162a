import ISOVerify

/// Recognises an existing user-data volume from its first 34 KiB, with ISOVerify's parsers (a FAT
/// boot sector, an ISO9660 primary volume descriptor) labelled CIDATA/cidata. Pure, so re-injection
/// finds the volume it replaces without libblkid.
public enum VolumeLabelProbe {
    public static let bytesNeeded = Int(ISO9660.firstDescriptorOffset) + ISO9660.sectorSize

    public enum Kind: String, Sendable { case vfat, iso9660 }

    public static func label(_ bytes: [UInt8]) -> (kind: Kind, label: String)? {
        if let fat = FATBootSector.parse(Array(bytes.prefix(512))) {
            return (.vfat, fat.label.trimmingCharacters(in: .whitespaces))
        }
        if let primary = primaryDescriptor(bytes) {
            return (.iso9660, primary.primary.volumeID.trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    public static func isUserDataVolume(_ bytes: [UInt8]) -> Bool {
        guard let found = label(bytes) else { return false }
        return found.label == "CIDATA" || found.label == "cidata"
    }

    /// A FAT32 user-data volume whose writing stopped just before its boot sector (written last):
    /// the first sector is still zero, the backup boot sector (sector 6) is already a CIDATA one.
    public static func isUserDataVolumeAwaitingBootSector(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 7 * 512, bytes[0..<512].allSatisfy({ $0 == 0 }) else { return false }
        return FATBootSector.parse(Array(bytes[(6 * 512)..<(7 * 512)]))?.label.trimmingCharacters(in: .whitespaces) == "CIDATA"
    }

    /// The size an ISO9660 image declares (volume space size x logical block size), if it is one.
    public static func iso9660Size(_ bytes: [UInt8]) -> Int64? {
        primaryDescriptor(bytes)?.volumeBytes
    }

    /// Only the primary descriptor's sector is in `bytes`; the next one reads as empty, which ends
    /// the parse after the primary.
    private static func primaryDescriptor(_ bytes: [UInt8]) -> VolumeDescriptorSet? {
        guard bytes.count >= bytesNeeded else { return nil }
        return try? VolumeDescriptorSet.parse { index in
            index == 16 ? Array(bytes[Int(ISO9660.firstDescriptorOffset)..<bytesNeeded]) : []
        }
    }
}

import Foundation
