// libFuzzer target for inject's planning over a stick's hostile bytes: TargetTables (sector 0's
// MBR, the GPT, its backup at the disk's end) and InjectionPlanner (where the volume goes, the
// tables' new bytes), and write's DiskImageFinish over the same bytes as a disk image. Built with
// the DiskOps files it needs by fuzz/run.sh.
//
// The input is a 128 MiB stick: its last 33 sectors (a backup GPT's array and header) are the
// input's last 33 sectors, its head the rest; everything else reads as zeros. A plan must never
// crash, and its table writes, applied, must read back as a table holding the planned partition.

import ISOVerify

private let diskSize: Int64 = 128 << 20
private let tailBytes = 33 * 512

/// The stick: head and tail from the input, zeros between, and the sectors the plan wrote on top.
private struct FuzzStick {
    var head: [UInt8]
    var tail: [UInt8]
    var written: [Int64: [UInt8]] = [:]

    init(_ input: [UInt8]) {
        let split = input.count > 2 * tailBytes ? input.count - tailBytes : input.count
        head = Array(input[..<split])
        tail = Array(input[split...])
    }

    /// `count` bytes from `offset`, zero-padded past the end, as InjectionTarget.read gives them.
    func read(_ offset: Int64, _ count: Int) -> [UInt8] {
        precondition(offset >= 0 && count >= 0 && count <= 4 << 20, "planner asked for \(count) bytes at \(offset)")
        var bytes = [UInt8](repeating: 0, count: count)
        Self.overlay(head, at: 0, onto: &bytes, from: offset)
        Self.overlay(tail, at: diskSize - Int64(tail.count), onto: &bytes, from: offset)
        for (sector, data) in written { Self.overlay(data, at: sector * 512, onto: &bytes, from: offset) }
        return bytes
    }

    /// Copies the part of `source` (which lies at `at`) that falls in `bytes` (which lie at `offset`).
    static func overlay(_ source: [UInt8], at: Int64, onto bytes: inout [UInt8], from offset: Int64) {
        let lower = max(at, offset), upper = min(at + Int64(source.count), offset + Int64(bytes.count))
        guard lower < upper else { return }
        bytes.replaceSubrange(Int(lower - offset)..<Int(upper - offset), with: source[Int(lower - at)..<Int(upper - at)])
    }

    mutating func apply(_ write: DiskWrite) {
        precondition(write.offset >= 0 && write.offset + Int64(write.bytes.count) <= diskSize,
                     "a table write at \(write.offset) (\(write.bytes.count) bytes) is outside the stick")
        let end = write.offset + Int64(write.bytes.count)
        for sector in (write.offset / 512)..<((end + 511) / 512) {
            var bytes = read(sector * 512, 512)
            Self.overlay(write.bytes, at: write.offset, onto: &bytes, from: sector * 512)
            written[sector] = bytes
        }
    }
}

/// The same bytes as a disk image of half the stick's size written to it, a stick of 512- or of
/// 4096-byte sectors: the finish `write` plans (sector size, backup GPT moved, `--grow`) must never
/// crash, and its writes, applied, must read back as it checks them on a real disk.
private func fuzzDiskImageFinish(_ input: [UInt8]) {
    let imageSize = diskSize / 2
    let image = FuzzStick(input)
    let readImage = { (offset: Int64, count: Int) -> [UInt8] in
        image.read(offset, count).enumerated().map { Int64($0.offset) + offset < imageSize ? $0.element : 0 }
    }
    for (grow, sectorSize) in [(false, 512), (true, 512), (false, 4096), (true, 4096)] {
        guard let finish = try? DiskImageFinish.plan(imagePath: "image", imageSize: imageSize, imageEnd: imageSize, diskPath: "stick", diskSize: diskSize,
                                                     diskSectorSize: sectorSize, grow: grow, read: readImage),
              !finish.writes.isEmpty else { continue }  // tables left as the image made them
        var stick = FuzzStick(Array(input.prefix(Int(min(Int64(input.count), imageSize)))))
        stick.tail = []
        for write in finish.writes { stick.apply(write) }
        guard let after = try? TargetTables.read(diskSize: diskSize, sectorSize: sectorSize, read: stick.read) else {
            preconditionFailure("the tables the finish wrote do not read back")
        }
        do { try finish.check(readBack: after, on: "stick") } catch { preconditionFailure("\(error)") }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInjectionPlanner(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    fuzzDiskImageFinish(Array(UnsafeRawBufferPointer(start: data, count: size)))
    var stick = FuzzStick(Array(UnsafeRawBufferPointer(start: data, count: size)))
    let request = InjectionRequest(size: FAT32Volume.minimumSize, files: [.init(name: "user-data", contents: Array("#cloud-config\n".utf8))])
    guard let plan = try? InjectionPlanner.plan(request, targetSize: diskSize, read: stick.read) else { return 0 }
    // The tables' writes (the last phases: the volume's own bytes are not tables).
    for write in plan.phases.dropFirst(3).flatMap({ $0 }) { stick.apply(write) }
    guard let after = try? TargetTables.read(diskSize: diskSize, sectorSize: Int(InjectionPlanner.sector), read: stick.read) else {
        preconditionFailure("the tables inject wrote do not read back")
    }
    precondition(after.layout == (plan.layout == .none ? .mbr : plan.layout), "layout \(plan.layout) read back as \(after.layout)")
    precondition(after.partitions.contains { $0.number == plan.partitionNumber && $0.first == plan.start && $0.end == plan.start + plan.size },
                 "partition \(plan.partitionNumber) at \(plan.start) is not in the table read back")
    return 0
}
