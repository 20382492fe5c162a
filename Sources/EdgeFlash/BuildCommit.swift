import CBuildInfo

/// What `edgeflash --version` says after the version number: the commit scripts/package.sh built
/// from, or that this is a plain `swift build`, which records none.
enum BuildCommit {
    static var versionSuffix: String {
        let commit = String(cString: edgeflash_build_commit())
        return commit.isEmpty ? " (development build)" : " (commit \(commit))"
    }
}
