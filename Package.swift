// swift-tools-version:6.0
import PackageDescription

// The commit `edgeflash --version` names: scripts/package.sh sets EDGEFLASH_COMMIT, a plain
// `swift build` leaves it empty. Only CBuildInfo sees it, so a new commit recompiles one C file.
let buildCommit = Context.environment["EDGEFLASH_COMMIT"] ?? ""

let package = Package(
    name: "edgeflash",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "edgeflash", targets: ["EdgeFlash"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
    ],
    targets: [
        // C libraries, found through pkg-config.
        .systemLibrary(name: "CBlkid", path: "Sources/CBlkid", pkgConfig: "blkid",
                       providers: [.apt(["libblkid-dev"])]),
        .systemLibrary(name: "CParted", path: "Sources/CParted", pkgConfig: "libparted",
                       providers: [.apt(["libparted-dev"])]),
        .systemLibrary(name: "CXXHash", path: "Sources/CXXHash", pkgConfig: "libxxhash",
                       providers: [.apt(["libxxhash-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLzma", path: "Sources/CLzma", pkgConfig: "liblzma", providers: [.apt(["liblzma-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),

        // The commit `edgeflash --version` names (see buildCommit above).
        .target(name: "CBuildInfo", cSettings: [.define("EDGEFLASH_COMMIT", to: "\"\(buildCommit)\"")]),

        // The one error type, exit codes, byte counts for people, child processes and secret scrubbing
        // (by value), shared by every module.
        .target(name: "EdgeCore"),

        // The one file layer: descriptors opened and closed at known points, positioned I/O with EINTR
        // retried in one place, aligned buffers and the buffer pipeline. Its own module because both
        // ISOVerify (reading images) and DiskOps (writing sticks) use it and ISOVerify may not
        // import DiskOps; EdgeCore stays free of swift-system and threads.
        .target(name: "FileIO", dependencies: [
            "EdgeCore",
            .product(name: "SystemPackage", package: "swift-system"),
        ]),

        // Compressed images (gzip, xz, zstd) decoded front to back, their stated decompressed size,
        // and a view of their first MiBs for the parsers. Its own module because both ISOVerify
        // (inspect, the write's ISO checks) and DiskOps (the write's source) read through it.
        .target(name: "Decompression", dependencies: ["EdgeCore", "FileIO", "CZlib", "CLzma", "CZstd"]),

        // Pure parsers and checks over image bytes.
        .target(name: "ISOVerify", dependencies: [
            "EdgeCore", "FileIO", "Decompression",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // Block devices: inventory, safety policy, raw I/O, write/verify, partition tables, filesystems.
        .target(name: "DiskOps", dependencies: [
            "EdgeCore", "FileIO", "Decompression", "ISOVerify", "CBlkid", "CParted", "CXXHash",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SystemPackage", package: "swift-system"),
        ]),

        // The build side: .arg, k8s_version.json, image matrix, pack manifest, user-data, ISO staging.
        .target(name: "BuildStage", dependencies: [
            "EdgeCore", "ISOVerify",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Mustache", package: "swift-mustache"),
        ]),

        // The `edgeflash` executable: a thin shell over the modules.
        .executableTarget(name: "EdgeFlash", dependencies: [
            "EdgeCore", "FileIO", "ISOVerify", "DiskOps", "BuildStage", "CBuildInfo",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Loop devices, shell-outs and the built binary, shared by the test targets.
        .target(name: "TestSupport", path: "Sources/TestSupport"),

        .testTarget(name: "EdgeCoreTests", dependencies: ["EdgeCore"]),
        .testTarget(name: "DecompressionTests", dependencies: ["Decompression", "EdgeCore", "FileIO", "TestSupport"]),
        .testTarget(name: "ISOVerifyTests", dependencies: ["ISOVerify", "FileIO", "TestSupport"]),
        // Fixtures/ holds recorded sysfs trees (with sysfs's own symlink loops): read, not built.
        .testTarget(name: "DiskOpsTests", dependencies: ["DiskOps", "EdgeCore", "FileIO", "ISOVerify", "TestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "BuildStageTests", dependencies: ["BuildStage", "TestSupport"]),
        // Runs the built `edgeflash` binary against real loop devices and real ISOs.
        .testTarget(name: "EndToEndTests", dependencies: ["EdgeCore", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
