import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Tests that need root (loop devices, mounts) are enabled with `.enabled(if: Privileges.isRoot, ...)`
/// so they skip with a printed reason where root is missing. CI runs as root.
public enum Privileges {
    public static var isRoot: Bool { getuid() == 0 }
    public static let rootReason: Comment = "needs root for loop devices (CI runs as root)"
}


