import Testing
@testable import DiskOps

/// What the udev rule grants the edgeflash group at plug time: exactly the drives `list` offers.
/// The rule asks `edgeflash udev-check NAME`, which answers from `Inventory.notOfferedAtPlugTime`.
struct PlugTimeGrantTests {
    static func decisions(_ fixture: String) throws -> [String: Bool] {
        let snapshot = try InventoryFixtures.snapshot(fixture)
        var result: [String: Bool] = [:]
        for name in snapshot.devices.map(\.name) {
            result[name] = Inventory.notOfferedAtPlugTime(name: name, in: snapshot) == nil
        }
        return result
    }

    /// A Raspberry Pi whose root is its SD card, with a USB stick and a USB DVD drive.
    @Test func aPiKeepsItsRootSDCardAndItsDVDDrive() throws {
        let grants = try Self.decisions("pi-usb")
        #expect(grants["sda"] == true, "the USB stick is granted")
        #expect(grants["mmcblk0"] == false, "the SD card that holds / is not")
        #expect(grants["sr0"] == false, "an optical drive never is")
        let reason = Inventory.notOfferedAtPlugTime(name: "sr0", in: try InventoryFixtures.snapshot("pi-usb"))
        #expect(reason?.contains("optical drive") == true)
    }

    /// A PC booted from a USB SSD: the SSD is a system disk, the stick beside it is granted.
    @Test func aMachineBootedFromUSBKeepsItsBootDisk() throws {
        let grants = try Self.decisions("usb-root")
        #expect(grants["sda"] == false)
        #expect(grants["sdb"] == true)
    }

    /// The recorded laptop: internal NVMe and SATA disks, loop and dm devices are never granted;
    /// its USB stick and SD card are (mounted data partitions do not change what is granted at plug
    /// time: edgeflash itself refuses a mounted disk when asked to write it).
    @Test func aLaptopGrantsOnlyItsStickAndCard() throws {
        let grants = try Self.decisions("laptop")
        #expect(grants.filter(\.value).keys.sorted() == ["mmcblk0", "sdb"], "\(grants)")
    }

    @Test func anUnknownNameIsNotGranted() throws {
        #expect(Inventory.notOfferedAtPlugTime(name: "sdz", in: try InventoryFixtures.snapshot("laptop")) == "no such whole disk")
    }
}
