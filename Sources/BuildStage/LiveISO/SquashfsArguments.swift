/// The mksquashfs command line for the ISO's `/rootfs.squashfs`: the whole image root, owners,
/// modes and xattrs kept, 1 MiB blocks as AuroraBoot uses, every core. mksquashfs sorts directory
/// entries and its output does not depend on the number of processors; with an epoch every
/// timestamp is fixed too, so the same root gives the same bytes. `-one-file-system`: a `dir:`
/// root with /proc, /sys or /dev mounted in it (a chroot) must not squash /proc/kcore or the
/// host's devices; mksquashfs 4.5 leaves such mount points out (4.6 keeps them as empty
/// directories). Pure.
public enum SquashfsArguments {
    public static func make(root: String, output: String, processors: Int, sourceDateEpoch: Int64?) -> [String] {
        var arguments = [root, output, "-noappend", "-no-progress", "-quiet", "-one-file-system", "-b", "1024k", "-xattrs",
                         "-processors", String(max(1, processors))]
        if let epoch = sourceDateEpoch {
            // mksquashfs refuses these beside a SOURCE_DATE_EPOCH in its environment: the builder
            // runs it without one.
            arguments += ["-mkfs-time", String(epoch), "-all-time", String(epoch)]
        }
        return arguments
    }
}
