/// Everything the inventory and the safety policy look at, read once: /sys/block, mountinfo and
/// /proc/swaps. Tests build it from recorded trees and text; the live reader fills it from the machine.
public struct SystemSnapshot: Sendable, Equatable {
    public var devices: [SysfsBlockDevice]
    public var mounts: [MountEntry]
    public var swaps: [SwapEntry]

    public init(devices: [SysfsBlockDevice], mounts: [MountEntry] = [], swaps: [SwapEntry] = []) {
        self.devices = devices
        self.mounts = mounts
        self.swaps = swaps
    }
}
