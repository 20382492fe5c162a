/// Recognises an existing user-data volume from its first 34 KiB: a FAT32 boot sector or an ISO9660
/// primary volume descriptor labelled CIDATA/cidata. Pure, so re-injection finds the volume it
/// replaces without libblkid.
public enum VolumeLabelProbe {
    public static let bytesNeeded = 32768 + 2048

    public enum Kind: String, Sendable { case vfat, iso9660 }

    public static func label(_ bytes: [UInt8]) -> (kind: Kind, label: String)? {
        if bytes.count >= 512, bytes[510] == 0x55, bytes[511] == 0xAA, Array(bytes[82..<90]) == Array("FAT32   ".utf8) {
            return (.vfat, trimmed(bytes[71..<82]))
        }
        if bytes.count >= bytesNeeded, Array(bytes[32769..<32774]) == Array("CD001".utf8) {
            return (.iso9660, trimmed(bytes[32808..<32840]))
        }
        return nil
    }

    public static func isUserDataVolume(_ bytes: [UInt8]) -> Bool {
        guard let found = label(bytes) else { return false }
        return found.label == "CIDATA" || found.label == "cidata"
    }

    /// The size an ISO9660 image declares (volume space size x logical block size), if it is one.
    public static func iso9660Size(_ bytes: [UInt8]) -> Int64? {
        guard bytes.count >= bytesNeeded, Array(bytes[32769..<32774]) == Array("CD001".utf8) else { return nil }
        return Int64(bytes.le32(32768 + 80)) * Int64(bytes.le16(32768 + 128))
    }

    private static func trimmed(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field, as: UTF8.self).trimmingCharacters(in: .whitespaces.union(.controlCharacters))
    }
}

import Foundation
