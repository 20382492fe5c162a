import EdgeCore

/// The removable-media boot loaders inside a FAT filesystem (an El Torito EFI image or an EFI
/// system partition): `EFI/BOOT/BOOT<ARCH>.EFI`, the file UEFI firmware starts from a stick that
/// has no boot entry of its own. A FAT image without one boots nothing, however well it is laid out.
///
/// Read with `FATLayout` (FATLayout.swift), a checked FAT12/16/32 reader over `read(offset, count)`
/// with offsets relative to the filesystem's first byte; the loaders are found by their 8.3 names,
/// which the UEFI specification requires for these files.
public struct EFIBootLoaders: Sendable, Codable, Equatable {
    public struct Loader: Sendable, Codable, Equatable {
        /// "BOOTX64.EFI"
        public var name: String
        /// "x86-64", "arm64"...
        public var architecture: String
        public var sizeBytes: UInt32
    }

    public var loaders: [Loader]

    /// UEFI's removable-media file names and the machines that start them.
    static let architectures: [String: String] = [
        "BOOTX64.EFI": "x86-64", "BOOTIA32.EFI": "x86 (32-bit)", "BOOTAA64.EFI": "arm64",
        "BOOTARM.EFI": "arm (32-bit)", "BOOTRISCV64.EFI": "riscv64", "BOOTLOONGARCH64.EFI": "loongarch64",
    ]
    /// Directories longer than this many entries are refused: /EFI/BOOT holds a handful.
    static let maximumDirectoryEntries = 65_536

    /// "EFI/BOOT/BOOTX64.EFI (x86-64) and EFI/BOOT/BOOTIA32.EFI (x86 (32-bit))", for reports.
    public static func describe(_ loaders: [Loader]) -> String {
        loaders.map { "EFI/BOOT/\($0.name) (\($0.architecture))" }.joined(separator: " and ")
    }

    /// Reads `/EFI/BOOT` of the FAT filesystem; an empty list when the path does not exist.
    public static func find(read: (Int64, Int) throws -> [UInt8]) throws -> EFIBootLoaders {
        let fat = try FATLayout(bootSector: read(0, 512))
        var directory = try fat.rootDirectory(read: read)
        for name in ["EFI", "BOOT"] {
            guard let entry = directory.first(where: { $0.name == name && $0.isDirectory }) else {
                return EFIBootLoaders(loaders: [])
            }
            directory = try fat.entries(ofDirectoryAt: entry.firstCluster, read: read)
        }
        let loaders = directory.compactMap { entry -> Loader? in
            guard !entry.isDirectory, let architecture = architectures[entry.name] else { return nil }
            return Loader(name: entry.name, architecture: architecture, sizeBytes: entry.size)
        }
        return EFIBootLoaders(loaders: loaders)
    }
}
