import ArgumentParser
import DiskOps

/// `verify --against` and `check --image`: the bmap the image was written with, found as `write`
/// finds it, so a stick written through it is compared in its ranges only.
struct ComparisonBmapOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The bmaptool block map the image was written with: only the ranges it maps are compared with the device. By default the one write uses: IMAGE.bmap when it exists (for disk.img.xz: disk.img.xz.bmap, then disk.img.bmap).",
                               valueName: "file"), completion: .file(extensions: ["bmap"]))
    var bmap: String?

    @Flag(help: "Compare every byte of the image with the device, even when a bmap is beside it.")
    var noBmap = false

    @Option(help: ArgumentHelp("OpenPGP keyring (gpgv format) to check a signed bmap with; by default gpgv's own.", valueName: "file"),
            completion: .file())
    var keyring: String?

    func validate() throws {
        if bmap != nil && noBmap { throw ValidationError("Give --bmap or --no-bmap, not both.") }
    }

    var choice: WriteConfiguration.BmapChoice { WriteConfiguration.BmapChoice(given: bmap, skip: noBmap) }
}
