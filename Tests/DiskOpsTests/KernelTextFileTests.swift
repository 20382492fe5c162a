import Foundation
import Testing
@testable import DiskOps

/// /proc files come a page (of whole lines) per read: all of it is read, not the first page.
/// /proc/self/maps is many pages in a test process and always ends with the vsyscall page on x86-64.
@Test func aProcFileIsReadToItsEnd() throws {
    let maps = try KernelTextFile.read("/proc/self/maps")
    #expect(maps.utf8.count > 4096)
    #expect(maps.hasSuffix("[vsyscall]\n"), "\(maps.suffix(200))")
    #expect(throws: DeviceIOError.self) { try KernelTextFile.read("/proc/self/no-such-file") }
}
