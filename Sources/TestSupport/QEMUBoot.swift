import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Firmware a stick is booted with: SeaBIOS (QEMU's default) or OVMF (UEFI).
public enum FirmwareMode: String, Sendable, CaseIterable, CustomStringConvertible {
    case bios, uefi
    public var description: String { rawValue }
}

/// How the image is attached to the guest: as a USB stick, or as a CD in QEMU's IDE CD drive.
public enum BootMedium: String, Sendable, CaseIterable, CustomStringConvertible {
    /// qemu-xhci + usb-storage: how a stick written by edgeflash boots.
    case usbStick
    /// ide-cd on the machine's IDE controller: how an ISO boots from an optical drive (El Torito).
    case cdrom
    public var description: String { self == .usbStick ? "USB stick" : "CD" }
}

/// Boots a raw device or image file as a USB stick (qemu-xhci + usb-storage) or a CD (ide-cd) under
/// QEMU with software emulation, the way the boot tests prove what a stick or ISO carries. The
/// serial console goes to a file (no TTY needed, stdin is /dev/null); a hard timeout kills QEMU.
/// The guest is the `BootFixture` installer or an ISO built from the `LiveRoot` image, which report
/// what they found and power off; see `BootReport`.
public enum QEMUBoot {
    public static let ovmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
    public static let ovmfVars = "/usr/share/OVMF/OVMF_VARS_4M.fd"

    /// `qemu-system-x86_64` on PATH, if any.
    public static var qemuPath: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":")
            .map { "\($0)/qemu-system-x86_64" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Why `mode` can't boot here, or nil when it can.
    public static func missing(_ mode: FirmwareMode) -> String? {
        guard qemuPath != nil else {
            return "qemu-system-x86_64 is not installed (package qemu-system-x86; run scripts/setup.sh)"
        }
        if mode == .uefi {
            for file in [ovmfCode, ovmfVars] where !FileManager.default.fileExists(atPath: file) {
                return "\(file) is missing (package ovmf; run scripts/setup.sh)"
            }
        }
        return nil
    }

    public static func canBoot(_ mode: FirmwareMode) -> Bool { missing(mode) == nil }

    /// Boots `path` (a block device or raw image file) as `medium` and returns what the serial
    /// console showed. The medium is attached read-only, so the boot can't change the bytes a test
    /// checks afterwards. Does not throw on a guest failure or a timeout: inspect the report
    /// (`finished`, `timedOut`).
    public static func boot(_ path: String, mode: FirmwareMode, medium: BootMedium = .usbStick,
                            timeout: TimeInterval = 240, memoryMiB: Int = 512) throws -> BootReport {
        if let reason = missing(mode) { throw QEMUBootError.unavailable(reason) }
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-qemu")
        defer { try? FileManager.default.removeItem(at: dir) }
        let serial = dir.appendingPathComponent("serial.log")

        var arguments = [
            "-accel", "tcg", "-m", "\(memoryMiB)", "-smp", "1",
            "-display", "none", "-monitor", "none", "-serial", "file:\(serial.path)",
            "-no-reboot",
        ]
        if mode == .uefi {
            let vars = dir.appendingPathComponent("OVMF_VARS.fd")
            try FileManager.default.copyItem(atPath: ovmfVars, toPath: vars.path)
            arguments += [
                "-drive", "if=pflash,format=raw,readonly=on,file=\(ovmfCode)",
                "-drive", "if=pflash,format=raw,file=\(vars.path)",
            ]
        }
        switch medium {
        case .usbStick:
            arguments += [
                "-device", "qemu-xhci",
                "-drive", "if=none,id=stick,format=raw,readonly=on,file=\(path)",
                "-device", "usb-storage,drive=stick,bootindex=1",
            ]
        case .cdrom:
            arguments += [
                "-drive", "if=none,id=cd,media=cdrom,format=raw,readonly=on,file=\(path)",
                "-device", "ide-cd,drive=cd,bootindex=1",
            ]
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: qemuPath!)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let stderrURL = dir.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let stderr = try FileHandle(forWritingTo: stderrURL)
        defer { try? stderr.close() }
        process.standardOutput = stderr
        process.standardError = stderr

        let started = Date()
        try process.run()
        let timedOut = !waitForExit(process, until: started.addingTimeInterval(timeout))
        if timedOut {
            // SIGKILL: QEMU started by Foundation's Process under the test runner ignores SIGTERM,
            // and there is nothing to save (the stick is read-only, the OVMF vars a scratch copy).
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        return BootReport(
            mode: mode,
            medium: medium,
            serial: (try? Data(contentsOf: serial)) ?? Data(),
            qemuMessages: String(decoding: (try? Data(contentsOf: stderrURL)) ?? Data(), as: UTF8.self),
            exitStatus: process.terminationStatus,
            timedOut: timedOut,
            duration: Date().timeIntervalSince(started))
    }

    /// Polls (QEMU is slow to exit anyway): true when the process ended before `deadline`.
    private static func waitForExit(_ process: Process, until deadline: Date) -> Bool {
        while process.isRunning {
            if Date() >= deadline { return false }
            usleep(100_000)
        }
        return true
    }
}

public enum QEMUBootError: Error, CustomStringConvertible {
    case unavailable(String)
    public var description: String {
        switch self {
        case .unavailable(let reason): "cannot boot under QEMU: \(reason)"
        }
    }
}
