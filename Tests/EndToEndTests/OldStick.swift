import Foundation
import TestSupport

/// A 64 MiB stick that starts with "old stick": any write would change that.
func oldStick(size: Int64 = 64 << 20) throws -> LoopDevice {
    let loop = try LoopDevice(size: size)
    try Shell.bash("printf 'old stick' | dd of='\(loop.path)' conv=fsync status=none")
    return loop
}

/// The stick still starts as `oldStick()` left it: nothing was written.
func stillOld(_ loop: LoopDevice) throws -> Bool {
    String(decoding: try loop.read(offset: 0, count: 9), as: UTF8.self) == "old stick"
}
