import EdgeCore
import ISOVerify

/// The user-data volume `verify --against` and `check` found on a stick, and what they checked in it.
public struct InjectedVolume: Sendable, Equatable, Encodable {
    /// "vfat" or "iso9660".
    public var fileSystem: String
    public var label: String
    public var offset: Int64
    public var size: Int64
    /// The size of `user-data`, read whole (through a FAT volume's cluster chain, or an ISO 9660
    /// volume's root directory extent).
    public var userDataBytes: Int?
}

/// The files of a user-data volume, read from userspace. They hold the site's secrets: never
/// encoded, printed or logged as they are.
public struct UserDataVolumeFiles: Sendable, Equatable {
    public var userData: [UInt8]
    /// nil when the volume has no meta-data file.
    public var metaData: [UInt8]?
}

/// Checks the volume an injection added, as the installer will find it: libblkid at the
/// partition's offset must see vfat labelled CIDATA or iso9660 labelled cidata; its `user-data`
/// must read whole (a FAT volume's through its cluster chain, an ISO 9660 volume's inside its
/// declared size, which must fit its partition).
enum InjectedVolumeCheck {
    /// Far above the 1 MiB of user-data the validator lets inject write.
    static let userDataLimit = 16 << 20

    static func run(path: String, footprint: InjectionFootprint, read: (Int64, Int) throws -> [UInt8]) throws -> InjectedVolume {
        try self.read(path: path, partition: footprint.partitionNumber, start: footprint.volumeStart, size: footprint.volumeSize, read: read).volume
    }

    /// The volume in partition `partition` (`start`, `size` in bytes) of `path`, and its files.
    /// Throws `.mismatch` naming what is wrong with it.
    static func read(path: String, partition: Int, start: Int64, size: Int64,
                     read: (Int64, Int) throws -> [UInt8]) throws -> (volume: InjectedVolume, files: UserDataVolumeFiles) {
        let place = "partition \(partition) of \(path) (byte \(start))"
        let hint = "Inject the user-data again (edgeflash inject), or write the stick again."
        let probe = try BlkidProbe.probe(path: path, offset: start, size: size)
        var volume = InjectedVolume(fileSystem: probe.type ?? "none", label: probe.label ?? "", offset: start, size: size)
        // The ISO 9660 volume's declared size; nil for a FAT volume.
        var isoSize: Int64?
        switch (probe.type, probe.label) {
        case ("vfat", "CIDATA"):
            break
        case ("iso9660", "cidata"):
            guard let declared = VolumeLabelProbe.iso9660Size(try read(start, VolumeLabelProbe.bytesNeeded)), declared <= size else {
                throw EdgeError(.mismatch, "the user-data volume on \(place) is damaged: its ISO 9660 size does not fit the \(size)-byte partition", hint: hint)
            }
            isoSize = declared
        default:
            throw EdgeError(.mismatch, "\(place) holds \(probe.type ?? "no filesystem")\(probe.label.map { " labelled \(VisibleText.inLine($0))" } ?? ""), not a user-data volume (vfat CIDATA or iso9660 cidata)",
                            hint: hint)
        }
        func readFile(_ name: String) throws -> [UInt8]? {
            if let isoSize {
                return try ISO9660RootFile.read(named: name, limit: userDataLimit, volumeSize: isoSize) { offset, count in try read(start + offset, count) }
            }
            return try FATRootFile.read(named: name, limit: userDataLimit) { offset, count in
                guard offset >= 0, offset + Int64(count) <= size else {
                    throw EdgeError(.malformed, "its FAT points to byte \(offset), past the volume's \(size) bytes")
                }
                return try read(start + offset, count)
            }
        }
        let userData: [UInt8]?, metaData: [UInt8]?
        do {
            userData = try readFile("user-data")
            metaData = try readFile("meta-data")
        } catch let error as EdgeError where error.code == .malformed {
            throw EdgeError(.mismatch, "the user-data volume on \(place) is damaged: \(error.message)", hint: hint)
        }
        guard let userData else {
            throw EdgeError(.mismatch, "the user-data volume on \(place) has no user-data file", hint: hint)
        }
        volume.userDataBytes = userData.count
        return (volume, UserDataVolumeFiles(userData: userData, metaData: metaData))
    }
}

extension InjectionFootprint {
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
