import Testing
@testable import DiskOps

private let MiB: Int64 = 1 << 20

@Test func segmentsCoverTheImageOnceInOrderWithTheFirstMiBHeldBack() throws {
    for imageSize in [1, 4096, MiB - 512, MiB, MiB + 1, 4 * MiB, 4 * MiB + 7, 9 * MiB, 100 * MiB + 2048] {
        let plan = try WritePlan(imageSize: imageSize, deviceSize: 200 * MiB, sectorSize: 512)
        #expect(plan.segment(0) == 0..<min(MiB, imageSize), "size \(imageSize)")
        var next = plan.segment(0).upperBound
        for index in plan.bodySegments {
            let segment = plan.segment(index)
            #expect(segment.lowerBound == next, "size \(imageSize) segment \(index)")
            #expect(segment.count > 0 && segment.count <= plan.chunkSize)
            #expect(segment.lowerBound % Int64(AlignedBuffer.alignment) == 0, "O_DIRECT needs aligned offsets")
            next = segment.upperBound
        }
        #expect(next == imageSize, "segments must end at the image's end (size \(imageSize))")
    }
}

@Test func clearsTheFirstAndLastMiBButNotWhereTheImageGoes() throws {
    let plan = try WritePlan(imageSize: 10 * MiB, deviceSize: 64 * MiB, sectorSize: 512)
    #expect(plan.clearRanges == [0..<MiB, 63 * MiB..<64 * MiB])

    // The image reaches into the last MiB: only what lies past the image is cleared.
    let tight = try WritePlan(imageSize: 64 * MiB - 4096, deviceSize: 64 * MiB, sectorSize: 4096)
    #expect(tight.clearRanges == [0..<MiB, 64 * MiB - 4096..<64 * MiB])

    // The image fills the disk: nothing at the end to clear.
    let full = try WritePlan(imageSize: 64 * MiB, deviceSize: 64 * MiB, sectorSize: 512)
    #expect(full.clearRanges == [0..<MiB])
}

@Test func padsTheLastWriteToWholeSectorsAndRefusesADeviceTooSmallForThem() throws {
    let plan = try WritePlan(imageSize: 5 * MiB + 100, deviceSize: 8 * MiB, sectorSize: 4096)
    #expect(plan.paddedLength(100) == 4096)
    #expect(plan.paddedLength(4096) == 4096)
    #expect(throws: WritePlan.TooSmall.self) {
        try WritePlan(imageSize: 8 * MiB + 1, deviceSize: 8 * MiB, sectorSize: 512)
    }
}
