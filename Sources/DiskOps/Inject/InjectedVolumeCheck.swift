import EdgeCore
import ISOVerify

/// The user-data volume `verify --against` found on a stick, and what it checked in it.
public struct InjectedVolume: Sendable, Equatable, Encodable {
    /// "vfat" or "iso9660".
    public var fileSystem: String
    public var label: String
    public var offset: Int64
    public var size: Int64
    /// The sizes of `user-data` and `meta-data` as read from the volume: through the FAT's cluster
    /// chains, or from the ISO 9660 root directory's extents.
    public var userDataBytes: Int
    public var metaDataBytes: Int
}

/// Checks the volume an injection added, as the installer will find it: libblkid at the
/// partition's offset must see vfat labelled CIDATA or iso9660 labelled cidata (which must fit its
/// partition), and its root directory must hold `user-data` and `meta-data`, each read whole from
/// inside the volume.
enum InjectedVolumeCheck {
    /// Far above the 1 MiB of user-data the validator lets inject write.
    static let userDataLimit = 16 << 20
    /// The files inject puts in the volume, in the order they are checked.
    static let files = ["user-data", "meta-data"]

    static func run(path: String, footprint: InjectionFootprint, read: (Int64, Int) throws -> [UInt8]) throws -> InjectedVolume {
        let start = footprint.volumeStart, place = "partition \(footprint.partitionNumber) of \(path) (byte \(start))"
        let hint = "Inject the user-data again (edgeflash inject), or write the stick again."
        let probe = try BlkidProbe.probe(path: path, offset: start, size: footprint.volumeSize)
        let readFile: (String, Int, (Int64, Int) throws -> [UInt8]) throws -> [UInt8]?
        switch (probe.type, probe.label) {
        case ("vfat", "CIDATA"):
            readFile = FATRootFile.read
        case ("iso9660", "cidata"):
            guard let declared = VolumeLabelProbe.iso9660Size(try read(start, VolumeLabelProbe.bytesNeeded)),
                  declared <= footprint.volumeSize else {
                throw EdgeError(.mismatch, "the user-data volume on \(place) is damaged: its ISO 9660 size does not fit the \(footprint.volumeSize)-byte partition", hint: hint)
            }
            readFile = ISO9660Volume.readRootFile
        default:
            throw EdgeError(.mismatch, "\(place) holds \(probe.type ?? "no filesystem")\(probe.label.map { " labelled \($0)" } ?? ""), not a user-data volume (vfat CIDATA or iso9660 cidata)",
                            hint: hint)
        }
        var sizes: [Int] = []
        for name in files {
            let bytes: [UInt8]?
            do {
                bytes = try readFile(name, userDataLimit) { offset, count in
                    guard offset >= 0, offset + Int64(count) <= footprint.volumeSize else {
                        throw EdgeError(.malformed, "it points to byte \(offset), past the volume's \(footprint.volumeSize) bytes")
                    }
                    return try read(start + offset, count)
                }
            } catch let error as EdgeError where error.code == .malformed {
                throw EdgeError(.mismatch, "the user-data volume on \(place) is damaged: \(error.message)", hint: hint)
            }
            guard let bytes else {
                throw EdgeError(.mismatch, "the user-data volume on \(place) has no \(name) file", hint: hint)
            }
            sizes.append(bytes.count)
        }
        return InjectedVolume(fileSystem: probe.type ?? "none", label: probe.label ?? "", offset: start,
                              size: footprint.volumeSize, userDataBytes: sizes[0], metaDataBytes: sizes[1])
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
