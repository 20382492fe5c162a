import CBlkid
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// One libblkid probe over a device (or a byte range of it), owning the descriptor and the probe.
/// Not Sendable: a probe belongs to the task that made it.
public final class BlkidProbe {
    private let handle: blkid_probe
    private let fd: Int32
    public let path: String

    /// Opens `path` read-only and attaches a probe to `size` bytes at `offset` (size 0: to the end).
    public init(path: String, offset: Int64 = 0, size: Int64 = 0) throws(BlkidError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BlkidError(.open, path: path, errno: Errno(rawValue: errno)) }
        guard let handle = blkid_new_probe() else {
            close(fd)
            throw BlkidError(.newProbe, path: path, errno: Errno(rawValue: errno))
        }
        guard blkid_probe_set_device(handle, fd, blkid_loff_t(offset), blkid_loff_t(size)) == 0 else {
            let code = errno
            blkid_free_probe(handle)
            close(fd)
            throw BlkidError(.setDevice, path: path, errno: code == 0 ? nil : Errno(rawValue: code))
        }
        self.handle = handle
        self.fd = fd
        self.path = path
    }

    deinit {
        blkid_free_probe(handle)
        close(fd)
    }

    /// Runs the superblock and partition chains once and collects what they found.
    /// Several conflicting superblocks (libblkid's "ambivalent" result) leave TYPE/LABEL/UUID nil.
    public func report() throws(BlkidError) -> BlkidReport {
        blkid_probe_enable_superblocks(handle, 1)
        blkid_probe_set_superblocks_flags(handle, Int32(BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE))
        blkid_probe_enable_partitions(handle, 1)
        blkid_probe_set_partitions_flags(handle, Int32(BLKID_PARTS_ENTRY_DETAILS))
        errno = 0
        let rc = blkid_do_safeprobe(handle)
        if rc == -1 {
            throw BlkidError(.probe, path: path, errno: errno == 0 ? nil : Errno(rawValue: errno))
        }
        // Values first: asking for the partlist re-runs the partition chain in binary mode.
        var report = BlkidReport(partitionTable: value("PTTYPE"), type: value("TYPE"),
                                 label: value("LABEL"), uuid: value("UUID"))
        report.partitions = partitionEntries()
        if report.partitionTable == nil, let list = blkid_probe_get_partitions(handle),
           let table = blkid_partlist_get_table(list), let type = blkid_parttable_get_type(table) {
            report.partitionTable = String(cString: type)
        }
        return report
    }

    private func value(_ name: String) -> String? {
        var data: UnsafePointer<CChar>?
        var length = 0
        guard blkid_probe_lookup_value(handle, name, &data, &length) == 0, let data else { return nil }
        let text = String(cString: data)
        return text.isEmpty ? nil : text
    }

    private func partitionEntries() -> [BlkidPartitionEntry] {
        guard let list = blkid_probe_get_partitions(handle) else { return [] }
        let count = blkid_partlist_numof_partitions(list)
        guard count > 0 else { return [] }
        return (0..<count).compactMap { index in
            guard let part = blkid_partlist_get_partition(list, index) else { return nil }
            // libblkid counts in 512-byte sectors whatever the device's sector size.
            var type: String? = blkid_partition_get_type_string(part).map { String(cString: $0) }
            if type == nil { type = "0x" + String(blkid_partition_get_type(part), radix: 16) }
            return BlkidPartitionEntry(number: Int(blkid_partition_get_partno(part)),
                                       start: Int64(blkid_partition_get_start(part)) * 512,
                                       size: Int64(blkid_partition_get_size(part)) * 512,
                                       type: type,
                                       name: blkid_partition_get_name(part).map { String(cString: $0) })
        }
    }
}

extension BlkidProbe {
    /// Probes a whole device (`offset` 0, `size` 0) or a byte range of it, e.g. a partition that
    /// has no device node of its own. The user-data helper reuses it to check what it wrote.
    public static func probe(path: String, offset: Int64 = 0, size: Int64 = 0) throws(BlkidError) -> BlkidReport {
        try BlkidProbe(path: path, offset: offset, size: size).report()
    }
}
