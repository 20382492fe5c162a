import EdgeCore

/// What `inject` is asked to do, as its flags map to it.
public struct InjectConfiguration: Sendable {
    /// A written stick (a block device) or an image file.
    public var target: String
    public var userData: UserDataVolume
    /// `--unmount`, `--force`: as for `write`, on a block device.
    public var unmount: Bool
    public var force: Bool
    /// `--expect-serial`, `--expect-size`: any other disk is refused (a block device only).
    public var expectation: DiskExpectation

    public init(target: String, userData: UserDataVolume, unmount: Bool = false, force: Bool = false,
                expectation: DiskExpectation = DiskExpectation()) {
        self.target = target
        self.userData = userData
        self.unmount = unmount
        self.force = force
        self.expectation = expectation
    }
}

/// The user-data volume added to one stick or image file, in two steps like `WriteSession`:
/// `prepare()` checks a block device against the same safety policy as `write`, `confirmation()`
/// says where the volume would go (nil for an image file: no disk is changed), `run` adds it.
/// Every error leaves with the user-data's secrets scrubbed from it.
public struct InjectSession {
    public let configuration: InjectConfiguration
    private let readFacts: (TargetRequest) throws -> TargetFacts
    private let events: (SessionEvent) -> Void

    public init(_ configuration: InjectConfiguration,
                readFacts: @escaping (TargetRequest) throws -> TargetFacts = TargetFacts.live,
                events: @escaping (SessionEvent) -> Void = { _ in }) {
        self.configuration = configuration
        self.readFacts = readFacts
        self.events = events
    }

    /// A block device must pass the safety policy (no system disk, nothing mounted, no partition,
    /// exit 3); anything else is left to the injector, which takes image files only.
    public func prepare() throws -> PreparedInject {
        let config = configuration
        do {
            guard FileStatus.of(config.target)?.kind == .blockDevice else {
                guard config.expectation.isEmpty else {
                    throw EdgeError(.refused, "\(config.target) is not a disk: --expect-serial and --expect-size name a disk",
                                    hint: "Leave them out to inject into an image file.")
                }
                return PreparedInject(session: self, disk: nil)
            }
            let disk = try TargetCheck.check(TargetRequest(devicePath: config.target, unmount: config.unmount, force: config.force,
                                                           expectation: config.expectation),
                                             readFacts: readFacts)
            emit(.targetAccepted(disk))
            return PreparedInject(session: self, disk: disk)
        } catch {
            throw config.userData.scrubber.scrub(error)
        }
    }

    /// Said when Ctrl-C came while the volume was being written: stopping halfway would leave less
    /// than either state, and the writes take well under a second, so they were finished first.
    static func finishedBeforeStopping(_ plan: InjectionPlan, target: String) -> EdgeError {
        EdgeError(.interrupted, "interrupted: the \(plan.label) volume was finished first: \(target) has it as partition \(plan.partitionNumber); the image was not changed")
    }
}

/// An injection whose target passed the safety policy.
public struct PreparedInject {
    public let session: InjectSession
    /// The accepted disk; nil for an image file.
    public let disk: Disk?

    /// What to ask before changing a block device: the disk, and where the volume goes (which
    /// reads the stick's tables, so a stick with no room is refused here, before the question).
    /// nil for an image file.
    public func confirmation() throws -> ConfirmationRequest? {
        guard let disk else { return nil }
        do {
            return ConfirmationRequest(disk: disk, change: .addVolume(try session.configuration.userData.plan(on: disk.path)),
                                       givenPath: session.configuration.target)
        } catch {
            throw session.configuration.userData.scrubber.scrub(error)
        }
    }

    /// Adds the volume. `cancel` set before it starts leaves the target untouched; set while the
    /// volume is written, it is finished first (the error then says so).
    public func run(cancel: CancellationFlag) throws -> InjectionPlan {
        let config = session.configuration
        do {
            if cancel.isCancelled {
                throw EdgeError(.interrupted, "interrupted: \(config.target) was not changed")
            }
            // Only the disk confirmed: one that took its name since is not partitioned.
            if let disk { try SameStick.require(disk, written: false) }
            let plan = try config.userData.add(to: config.target)
            session.emit(.injected(plan))
            if cancel.isCancelled { throw InjectSession.finishedBeforeStopping(plan, target: config.target) }
            return plan
        } catch {
            throw config.userData.scrubber.scrub(error)
        }
    }
}

extension InjectSession {
    func emit(_ kind: SessionEvent.Kind) {
        events(SessionEvent(target: configuration.target, kind))
    }
}
