import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The kernel's device events: a NETLINK_KOBJECT_UEVENT socket bound to the kernel's broadcast
/// group, so a station notices a stick (a block device's add, change or remove; attaching a loop
/// device is a change) the moment the kernel does, with no udev daemon. Where the socket cannot be
/// opened (a network namespace without it), `open` returns nil and the caller polls /sys/block.
public final class UeventSocket {
    private let descriptor: CInt

    private static let netlinkFamily: CInt = 16       // AF_NETLINK
    private static let kobjectUevent: CInt = 15       // NETLINK_KOBJECT_UEVENT
    private static let kernelGroup: UInt32 = 1

    public static func open() -> UeventSocket? {
        let type = CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue) | CInt(SOCK_NONBLOCK.rawValue)
        guard let descriptor = try? valueOrErrno({ socket(netlinkFamily, type, kobjectUevent) }) else { return nil }
        // struct sockaddr_nl: family (u16), pad (u16), pid (u32: 0, the kernel assigns), groups (u32).
        var address = [UInt8](repeating: 0, count: 12)
        address.withUnsafeMutableBytes { bytes in
            bytes.storeBytes(of: UInt16(netlinkFamily), toByteOffset: 0, as: UInt16.self)
            bytes.storeBytes(of: kernelGroup, toByteOffset: 8, as: UInt32.self)
        }
        let bound = address.withUnsafeBytes { bytes in
            try? valueOrErrno { bind(descriptor, bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(bytes.count)) }
        }
        guard bound != nil else {
            _ = Glibc.close(descriptor)
            return nil
        }
        return UeventSocket(descriptor: descriptor)
    }

    private init(descriptor: CInt) {
        self.descriptor = descriptor
    }

    deinit { _ = Glibc.close(descriptor) }

    /// Waits at most `seconds` for events; true when one of those read was about a block device.
    /// Everything pending is read, so the next wait starts afresh.
    public func waitForBlockEvent(seconds: Double) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard (try? valueOrErrno(retryOnInterrupt: false) { poll(&entry, 1, CInt(seconds * 1000)) }) ?? 0 > 0 else { return false }
        var sawBlock = false
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let got = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard got > 0 else { break }
            // "ACTION@DEVPATH\0KEY=VALUE\0...": a block device's event carries SUBSYSTEM=block.
            let fields = buffer[..<got].split(separator: 0)
            if fields.contains(where: { $0.elementsEqual("SUBSYSTEM=block".utf8) }) { sawBlock = true }
        }
        return sawBlock
    }
}
