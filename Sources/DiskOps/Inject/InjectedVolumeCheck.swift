import EdgeCore
import ISOVerify

/// The user-data volume `verify --against` found on a stick, and what it checked in it.
public struct InjectedVolume: Sendable, Equatable, Encodable {
    /// "vfat" or "iso9660".
    public var fileSystem: String
    public var label: String
    public var offset: Int64
    public var size: Int64
    /// The size of `user-data` read from a FAT volume through its cluster chain; nil on ISO9660,
    /// where the volume descriptors and the declared size are what is checked.
    public var userDataBytes: Int?
}

/// Checks the volume an injection added, as the installer will find it: libblkid at the
/// partition's offset must see vfat labelled CIDATA or iso9660 labelled cidata; a FAT volume's
/// `user-data` must read whole through its cluster chain; an ISO9660 volume must fit its partition.
enum InjectedVolumeCheck {
    /// Far above the 1 MiB of user-data the validator lets inject write.
    static let userDataLimit = 16 << 20

    static func run(path: String, footprint: InjectionFootprint, read: (Int64, Int) throws -> [UInt8]) throws -> InjectedVolume {
        let start = footprint.volumeStart, place = "partition \(footprint.partitionNumber) of \(path) (byte \(start))"
        let hint = "Inject the user-data again (edgeflash inject), or write the stick again."
        let probe = try BlkidProbe.probe(path: path, offset: start, size: footprint.volumeSize)
        var volume = InjectedVolume(fileSystem: probe.type ?? "none", label: probe.label ?? "", offset: start, size: footprint.volumeSize)
        switch (probe.type, probe.label) {
        case ("vfat", "CIDATA"):
            let userData: [UInt8]?
            do {
                userData = try FATRootFile.read(named: "user-data", limit: userDataLimit) { offset, count in
                    guard offset >= 0, offset + Int64(count) <= footprint.volumeSize else {
                        throw EdgeError(.malformed, "its FAT points to byte \(offset), past the volume's \(footprint.volumeSize) bytes")
                    }
                    return try read(start + offset, count)
                }
            } catch let error as EdgeError where error.code == .malformed {
                throw EdgeError(.mismatch, "the user-data volume on \(place) is damaged: \(error.message)", hint: hint)
            }
            guard let userData else {
                throw EdgeError(.mismatch, "the user-data volume on \(place) has no user-data file", hint: hint)
            }
            volume.userDataBytes = userData.count
        case ("iso9660", "cidata"):
            guard let declared = VolumeLabelProbe.iso9660Size(try read(start, VolumeLabelProbe.bytesNeeded)),
                  declared <= footprint.volumeSize else {
                throw EdgeError(.mismatch, "the user-data volume on \(place) is damaged: its ISO 9660 size does not fit the \(footprint.volumeSize)-byte partition", hint: hint)
            }
        default:
            throw EdgeError(.mismatch, "\(place) holds \(probe.type ?? "no filesystem")\(probe.label.map { " labelled \($0)" } ?? ""), not a user-data volume (vfat CIDATA or iso9660 cidata)",
                            hint: hint)
        }
        return volume
    }
}

extension InjectionFootprint {
    /// Finds the footprint of an injection on `devicePath` for the image at `imagePath` (both read
    /// through the page cache: a few table sectors).
    public static func find(imagePath: String, devicePath: String) throws -> InjectionFootprint? {
        try InjectionTarget(path: imagePath, readOnly: true).closeAfter { image in
            try InjectionTarget(path: devicePath, readOnly: true).closeAfter { device in
                try find(imageSize: image.size, readImage: image.read, diskSize: device.size, readDisk: device.read)
            }
        }
    }

    /// The first byte after the image where `devicePath` differs from the tables inject writes
    /// there (the backup GPT at the disk's end); nil when they match.
    public func firstTableDifferenceAfterImage(devicePath: String, imageSize: Int64) throws -> Int64? {
        try InjectionTarget(path: devicePath, readOnly: true).closeAfter { device in
            try firstDifferenceBeyond(imageSize: imageSize, readDisk: device.read)
        }
    }

    /// Checks the user-data volume on `devicePath`; throws a mismatch naming what is wrong with it.
    public func checkVolume(devicePath: String) throws -> InjectedVolume {
        try InjectionTarget(path: devicePath, readOnly: true).closeAfter { device in
            try InjectedVolumeCheck.run(path: devicePath, footprint: self, read: device.read)
        }
    }
}
