import EdgeCore
import Foundation

/// The EFI system partition appended to the live ISO: a FAT image holding only
/// `EFI/BOOT/BOOTX64.EFI` (or `BOOTAA64.EFI`), made with mkfs.fat and mtools without mounting.
/// Reproducible: mkfs.fat's `--invariant` and a fixed volume id, and mtools dates its entries by
/// `SOURCE_DATE_EPOCH` when it is set.
enum EFISystemPartition {
    static let label = "EFI_LIVE"
    static let volumeID = "4C495645"   // "LIVE"

    /// Room for the loader and the FAT itself, in whole MiB, at least 4 MiB as AuroraBoot makes it.
    static func sizeKiB(loaderBytes: Int64) -> Int64 {
        let mib: Int64 = 1 << 20
        return max(4 * mib, (loaderBytes + mib) / mib * mib + mib) / 1024
    }

    static func make(loader: URL, name: String, image: URL, tools: LiveISOTools, sourceDateEpoch: Int64?,
                     interrupt: StagingInterrupt) throws {
        let environment: [String: String?] = ["SOURCE_DATE_EPOCH": sourceDateEpoch.map(String.init)]
        let steps: [(String, [String])] = [
            (tools.mkfsFat, ["--invariant", "-i", volumeID, "-n", label, "-C", image.path,
                             String(sizeKiB(loaderBytes: ISOOutputFiles.size(of: loader.path)))]),
            (tools.mmd, ["-i", image.path, "::/EFI", "::/EFI/BOOT"]),
            (tools.mcopy, ["-i", image.path, loader.path, "::/EFI/BOOT/\(name)"]),
        ]
        for (tool, arguments) in steps {
            let run = try interrupt.run { try ChildProcess.run(tool, arguments, environment: environment, started: $0) }
            guard run.succeeded else {
                throw EdgeError(.failure, "could not make the EFI system partition: \((tool as NSString).lastPathComponent) \(run.outcome): "
                                          + ISOToolFailure.lines(run.stderr), hint: "nothing was written")
            }
        }
    }
}
