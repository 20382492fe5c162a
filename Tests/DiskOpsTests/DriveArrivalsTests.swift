import DiskOps
import Testing

/// Which drives a station takes: new eligible ones only, each once while it stays plugged in.
struct DriveArrivalsTests {
    func stick(_ name: String, size: Int64 = 16 << 30) -> Disk {
        Disk(path: "/dev/\(name)", name: name, size: size, serial: "S-\(name)", transport: "usb", removable: true)
    }

    func loop(_ name: String, over file: String) -> Disk {
        Disk(path: "/dev/\(name)", name: name, size: 128 << 20, transport: "loop", backingFile: file,
             notCandidateReason: "loop device (a file-backed virtual disk)")
    }

    @Test func aDrivePresentAtTheStartIsNeverTakenEvenWhenItComesBack() {
        var arrivals = DriveArrivals(present: [stick("sdb")], rules: .init())
        #expect(arrivals.update([stick("sdb")]).arrived.isEmpty)
        let plugged = arrivals.update([stick("sdb"), stick("sdc")])
        #expect(plugged.arrived.map(\.name) == ["sdc"])
        // Taken once: still plugged in, not offered again.
        #expect(arrivals.update([stick("sdb"), stick("sdc")]).arrived.isEmpty)
        let gone = arrivals.update([])
        #expect(gone.removed == ["sdc"])
        // sdb drops off its bus and comes back (a hub glitch), maybe under another name: still the
        // technician's own drive. sdc is a stick the station wrote: plugged again, it is taken again.
        let back = arrivals.update([stick("sdc"), Disk(path: "/dev/sdd", name: "sdd", size: 16 << 30, serial: "S-sdb", transport: "usb", removable: true)])
        #expect(back.arrived.map(\.name) == ["sdc"])
        #expect(back.passedOver.map(\.disk.name) == ["sdd"])
        #expect(back.passedOver.first?.reason.contains("present when the station started") == true)
    }

    /// Another disk at a name within one poll (a stick swapped in the same port, a loop device
    /// attached again) is another drive: the one before it removed, the new one taken, or passed
    /// over, on its own merits.
    @Test func anotherDiskAtTheSameNameIsAnotherDrive() {
        func swapped(_ name: String, sequence: UInt64, serial: String? = nil) -> Disk {
            Disk(path: "/dev/\(name)", name: name, size: 16 << 30, serial: serial, transport: "usb", removable: true, diskSequence: sequence)
        }
        var arrivals = DriveArrivals(present: [swapped("sdb", sequence: 7)], rules: .init())
        #expect(arrivals.update([swapped("sdb", sequence: 7), swapped("sdc", sequence: 8)]).arrived.map(\.diskSequence) == [8])
        let swap = arrivals.update([swapped("sdb", sequence: 7), swapped("sdc", sequence: 9)])
        #expect(swap.removed == ["sdc"])
        #expect(swap.arrived.map(\.diskSequence) == [9])
        #expect(arrivals.plugged == ["sdc"])
        // The drive present at the start gives its name to a new stick: taken. One that carries
        // a serial seen at the start is still the technician's own.
        #expect(arrivals.update([swapped("sdb", sequence: 10), swapped("sdc", sequence: 9)]).arrived.map(\.name) == ["sdb"])
        var own = DriveArrivals(present: [swapped("sdb", sequence: 7, serial: "MINE")], rules: .init())
        let renumbered = own.update([swapped("sdb", sequence: 11, serial: "MINE")])
        #expect(renumbered.arrived.isEmpty && renumbered.passedOver.isEmpty && renumbered.removed.isEmpty)
    }

    /// A stick with a serial that the kernel numbers again (a bus reset, a media-change event)
    /// while it stays plugged in is the same stick: not removed, not taken again. Another serial
    /// at its name is another stick.
    @Test func aStickNumberedAgainWithItsSerialIsTheSameStick() {
        func stick(_ serial: String, sequence: UInt64) -> Disk {
            Disk(path: "/dev/sdc", name: "sdc", size: 16 << 30, serial: serial, transport: "usb", removable: true, diskSequence: sequence)
        }
        var arrivals = DriveArrivals(present: [], rules: .init())
        #expect(arrivals.update([stick("A1", sequence: 5)]).arrived.count == 1)
        let reset = arrivals.update([stick("A1", sequence: 6)])
        #expect(reset.arrived.isEmpty && reset.removed.isEmpty)
        #expect(arrivals.plugged == ["sdc"])
        let other = arrivals.update([stick("B2", sequence: 7)])
        #expect(other.removed == ["sdc"] && other.arrived.map(\.serial) == ["B2"])
    }

    @Test func systemAndFixedDisksAndLoopsArePassedOverUnlessLoopsAreAllowed() {
        let system = Disk(path: "/dev/sda", name: "sda", size: 1 << 40, transport: "sata", isSystem: true,
                          notCandidateReason: "system disk: holds /")
        var plain = DriveArrivals(present: [], rules: .init())
        let change = plain.update([system, loop("loop3", over: "/tmp/t/a/stick.img")])
        #expect(change.arrived.isEmpty)
        #expect(change.passedOver.map(\.reason) == ["system disk: holds /", "loop device (a file-backed virtual disk)"])

        var demo = DriveArrivals(present: [], rules: .init(allowLoop: true, loopDirectory: "/tmp/t"))
        let allowed = demo.update([system, loop("loop3", over: "/tmp/t/a/stick.img"), loop("loop4", over: "/tmp/tother/stick.img")])
        #expect(allowed.arrived.map(\.name) == ["loop3"])
        #expect(allowed.passedOver.map(\.disk.name) == ["sda", "loop4"])
    }

    @Test func aLoopWithoutMediumIsNoDriveUntilAttached() {
        var arrivals = DriveArrivals(present: [stick("loop5", size: 0)], rules: .init(allowLoop: true))
        #expect(arrivals.update([loop("loop5", over: "/x")]).arrived.map(\.name) == ["loop5"])
    }
}
