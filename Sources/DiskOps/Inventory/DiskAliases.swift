/// Writing a disk overwrites more than its name says: a loop device writes into its backing file,
/// a dm or md device into the disks it is stacked on. A disk is an alias of a protected disk (a
/// system disk, a disk with a mounted filesystem or active swap, an active swap file) or of the
/// image when what it overwrites meets what they rest on: the same file by device and inode, whatever path names it;
/// the disks under a dm/md device; the disk whose filesystem holds a loop device's backing file,
/// followed down chains of loop devices. Pure over the inventory's disks, the mount table and the
/// active swaps.
public struct DiskAliases: Sendable {
    /// Where data lives: a whole disk, or a file (a loop device's backing file, the image).
    enum Place: Hashable { case disk(String), file(FileIdentity) }

    /// What a target's writes would destroy, said in one sentence (the target's name first).
    public struct Alias: Sendable, Equatable {
        /// What writing the target would destroy: "the image /srv/x.iso", "the filesystem mounted at /mnt".
        public var loss: String
        /// What follows the target's name: "writes to /srv/b.img, the same file as /srv/a.img, the
        /// backing file of /dev/loop0; /dev/loop0 is mounted at /mnt".
        public var explanation: String
    }

    let disks: [String: Disk]
    let mounts: [MountEntry]
    /// Active swap files: writing into one (through a loop device over it) destroys the swap.
    let swapFiles: [(path: String, file: FileIdentity)]

    public init(disks: [Disk], mounts: [MountEntry], swaps: [SwapEntry] = []) {
        self.disks = Dictionary(disks.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.mounts = mounts
        swapFiles = swaps.compactMap { swap in swap.file.map { (swap.path, $0) } }
    }

    /// Why `disk` must be kept, for those that must (it runs the system, something is mounted
    /// from it, it is an active swap), and what writing over it would destroy.
    static func protection(of disk: Disk) -> (why: String, loss: String)? {
        let mounted = disk.allMountpoints.joined(separator: ", ")
        if disk.isSystem { return (disk.systemReason ?? "holds the running system", "the running system on \(disk.path)") }
        if !mounted.isEmpty { return ("is mounted at \(mounted)", "the filesystem mounted at \(mounted)") }
        if disk.swap || disk.partitions.contains(where: \.swap) { return ("holds an active swap", "the active swap on \(disk.path)") }
        return nil
    }

    /// The first protected disk, or the image (a file, or a block device), that writing `target`
    /// would overwrite, other than `target` itself (its own refusals say that better).
    public func alias(of target: Disk, image: (path: String, file: FileIdentity?, device: DeviceNumber?)? = nil) -> Alias? {
        let written = overwritten(by: target)
        if let image {
            var starts: [Place: Role] = [:]
            if let file = image.file { starts[.file(file)] = Role(path: image.path, phrase: "the image itself") }
            for name in image.device.map(disksHolding) ?? [] where name != target.name {
                starts[.disk(name)] = Role(path: disks[name]?.path ?? name, phrase: "which holds the image \(image.path)")
            }
            if let found = meeting(written, foundations(starts)) {
                return Alias(loss: "the image \(image.path)", explanation: found)
            }
        }
        for disk in disks.values.sorted(by: { $0.name < $1.name }) where disk.name != target.name {
            guard let kept = Self.protection(of: disk) else { continue }
            if let found = meeting(written, foundations([.disk(disk.name): Role(path: disk.path, phrase: "")])) {
                return Alias(loss: kept.loss, explanation: "\(found); \(disk.path) \(kept.why)")
            }
        }
        for swap in swapFiles {
            if let found = meeting(written, foundations([.file(swap.file): Role(path: swap.path, phrase: "an active swap file")])) {
                return Alias(loss: "the active swap file \(swap.path)", explanation: found)
            }
        }
        return nil
    }

    /// How a place serves what is protected: its path, and a phrase that says the rest.
    private struct Role {
        var path: String
        var phrase: String
        var text: String { phrase.isEmpty ? path : "\(path), \(phrase)" }
    }

    /// The first place both sides reach, told from the target's side to the protected one's.
    private func meeting(_ written: [Place: String], _ rests: [Place: Role]) -> String? {
        for (place, role) in rests.sorted(by: { $0.value.text < $1.value.text }) {
            guard let reach = written[place] else { continue }
            switch place {
            case .file where reach == role.path: return "writes to \(reach), \(role.phrase)"
            case .file: return "writes to \(reach), the same file as \(role.text)"
            case .disk: return "is \(role.phrase)"
            }
        }
        return nil
    }

    /// What writing `disk` overwrites, each place with how the target names it: the disk itself, and
    /// the backing files of the loop devices it is (or the disks it is stacked on are). Not the
    /// disks it is stacked on as wholes: a dm/md device holds one partition of them, not what the
    /// others hold. Not the disk holding a backing file: writing into a file leaves the filesystem
    /// around it whole.
    private func overwritten(by disk: Disk) -> [Place: String] {
        var found: [Place: String] = [.disk(disk.name): disk.path]
        var seen: Set<String> = []
        var queue = [disk.name]
        while let name = queue.popLast() {
            guard let current = disks[name], seen.insert(name).inserted else { continue }
            if let file = current.backingFileIdentity {
                let path = current.backingFile ?? "the backing file of \(current.path)"
                found[.file(file)] = name == disk.name ? path : "\(path) (through \(current.path))"
            }
            queue += slaves(of: name)
        }
        return found
    }

    /// What the data at `starts` rests on, each place with why: the disks a dm/md device is
    /// stacked on, a loop device's backing file, and the disk whose filesystem holds that file,
    /// down any chain of loop devices.
    private func foundations(_ starts: [Place: Role]) -> [Place: Role] {
        var found: [Place: Role] = [:]
        var queue = Array(starts)
        while let (place, role) = queue.popLast() {
            guard found[place] == nil else { continue }
            found[place] = role
            switch place {
            case .disk(let name):
                guard let disk = disks[name] else { continue }
                queue += slaves(of: name).map { (.disk($0), Role(path: disks[$0]?.path ?? $0, phrase: "under \(role.text)")) }
                if let file = disk.backingFileIdentity {
                    queue.append((.file(file), Role(path: disk.backingFile ?? "the file",
                                                    phrase: "the backing file of \(role.text)")))
                }
            case .file(let file):
                queue += disksHolding(file.device).map {
                    (.disk($0), Role(path: disks[$0]?.path ?? $0, phrase: "the disk whose filesystem holds \(role.text)"))
                }
            }
        }
        return found
    }

    /// The disks a dm/md device is stacked on: those that name it among their holders.
    private func slaves(of name: String) -> [String] {
        disks.values.filter { $0.holders.contains(name) }.map(\.name).sorted()
    }

    /// The names of every disk under the device `dev`: its own disk, and for a dm/md device every
    /// disk it is stacked on. An anonymous device (btrfs, 0:NN) is found through the mount source.
    func disksHolding(_ dev: DeviceNumber) -> Set<String> {
        let all = disks.values.sorted { $0.name < $1.name }
        var start = all.first { $0.devNumber == dev || $0.partitions.contains { $0.devNumber == dev } }
        if start == nil, let source = mounts.first(where: { $0.device == dev })?.source {
            start = all.first { $0.path == source || $0.partitions.contains { $0.path == source } }
        }
        guard let start else { return [] }
        var found: Set<String> = []
        var queue = [start.name]
        while let name = queue.popLast() {
            guard found.insert(name).inserted else { continue }
            queue += slaves(of: name)
        }
        return found
    }
}
