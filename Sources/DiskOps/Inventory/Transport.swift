/// Names the bus a disk hangs off from where its /sys/block link points. The path carries the
/// whole chain (a USB-SATA bridge shows both "usb" and "ata"), so the outermost bus is tested first.
public enum Transport {
    public static func derive(name: String, devicePath: String) -> String? {
        let components = devicePath.split(separator: "/")
        func has(_ predicate: (Substring) -> Bool) -> Bool { components.contains(where: predicate) }

        if has({ $0.hasPrefix("usb") && $0.dropFirst(3).allSatisfy(\.isNumber) && $0.count > 3 }) { return "usb" }
        if has({ $0 == "mmc_host" }) || name.hasPrefix("mmcblk") { return "mmc" }
        if has({ $0 == "nvme" || $0 == "nvme-subsystem" }) || name.hasPrefix("nvme") { return "nvme" }
        if has({ $0.hasPrefix("ata") && $0.dropFirst(3).allSatisfy(\.isNumber) }) { return "sata" }
        if has({ $0.hasPrefix("virtio") }) { return "virtio" }
        if name.hasPrefix("loop") { return "loop" }
        if name.hasPrefix("dm-") { return "dm" }
        if name.hasPrefix("md") { return "md" }
        if name.hasPrefix("zram") { return "zram" }
        if name.hasPrefix("nbd") { return "nbd" }
        if name.hasPrefix("ram") { return "ram" }
        if name.hasPrefix("sr") { return "optical" }
        if has({ $0.hasPrefix("host") && $0.dropFirst(4).allSatisfy(\.isNumber) }) { return "scsi" }
        return nil
    }
}
