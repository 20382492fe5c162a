import EdgeCore
import Foundation
import Synchronization
import Testing

/// Traps nest: an inner trap (build iso --from-image's builder inside the unpacker's) must leave
/// the outer one working and the signals caught, not ignored.
@Suite(.serialized)
struct SignalTrapTests {
    /// SIGINT's bit in /proc/self/status's mask `field` (SigIgn: ignored, SigCgt: caught).
    static func sigint(in field: String) throws -> Bool {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix(field + ":") })
        let mask = try #require(UInt64(line.split(separator: "\t").last ?? "", radix: 16))
        return mask & (1 << (UInt64(SIGINT) - 1)) != 0
    }

    static func waitFor(_ condition: () throws -> Bool) rethrows {
        for _ in 0..<200 where try !condition() { usleep(10_000) }
    }

    /// Sends SIGINT to the process (not to this thread: dispatch reads process signals) once
    /// dispatch's handler is in place (it is installed asynchronously after the source resumes).
    static func interrupt() throws {
        try waitFor { try sigint(in: "SigCgt") }
        kill(getpid(), SIGINT)
    }

    @Test func nestedTrapsEachGetTheSignalAndTheOuterOneOutlivesTheInner() throws {
        let outer = Atomic<Int>(0), inner = Atomic<Int>(0)
        var outerTrap: SignalTrap? = SignalTrap { outer.add(1, ordering: .relaxed) }
        var innerTrap: SignalTrap? = SignalTrap { inner.add(1, ordering: .relaxed) }
        #expect(SignalTrap.activeCount == 2)
        try Self.waitFor { try Self.sigint(in: "SigCgt") }
        #expect(try !Self.sigint(in: "SigIgn"), "a nested trap must not leave SIGINT ignored")
        #expect(try Self.sigint(in: "SigCgt"))

        try Self.interrupt()
        Self.waitFor { outer.load(ordering: .relaxed) == 1 && inner.load(ordering: .relaxed) == 1 }
        #expect(outer.load(ordering: .relaxed) == 1)
        #expect(inner.load(ordering: .relaxed) == 1)

        innerTrap = nil
        try Self.interrupt()
        Self.waitFor { outer.load(ordering: .relaxed) == 2 }
        #expect(outer.load(ordering: .relaxed) == 2)
        #expect(inner.load(ordering: .relaxed) == 1)
        #expect(try Self.sigint(in: "SigCgt"))

        outerTrap = nil
        #expect(SignalTrap.activeCount == 0)
        #expect(try !Self.sigint(in: "SigIgn"), "no trap alive: SIGINT still ends the process (with 130)")

        // A trap made after all were dropped works again (a cancelled source never did).
        let again = Atomic<Int>(0)
        let third = SignalTrap { again.add(1, ordering: .relaxed) }
        try Self.interrupt()
        Self.waitFor { again.load(ordering: .relaxed) == 1 }
        #expect(again.load(ordering: .relaxed) == 1)
        withExtendedLifetime(third) {}
        _ = (outerTrap, innerTrap)
    }
}
