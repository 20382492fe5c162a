import Foundation

/// Adds (or replaces) the CIDATA/cidata user-data volume on a written stick or an image file.
/// `write --user-data` calls this after write and verify; `inject` calls it on its own. The caller
/// validates the user-data first (BuildStage.UserDataValidator): this only places bytes.
public enum UserDataInjector {
    /// Plans the injection without writing anything (for confirmations and `--json` previews).
    public static func plan(target path: String, _ request: InjectionRequest) throws -> InjectionPlan {
        try InjectionTarget(path: path).closeAfter { target in
            var request = request
            request.growable = !target.isBlockDevice
            try InjectionPlanner.refuseUnlessClassicSectors(target.device.logicalSectorSize, of: path)
            return try InjectionPlanner.plan(request, targetSize: target.size, read: target.read)
        }
    }

    /// Plans, writes the volume and the tables, flushes, then reads the table back (libparted
    /// where it can). Returns the plan it carried out.
    @discardableResult
    public static func inject(target path: String, _ request: InjectionRequest) throws -> InjectionPlan {
        let plan = try InjectionTarget(path: path).closeAfter { target in
            var request = request
            request.growable = !target.isBlockDevice
            try InjectionPlanner.refuseUnlessClassicSectors(target.device.logicalSectorSize, of: path)
            let plan = try InjectionPlanner.plan(request, targetSize: target.size, read: target.read)
            let target = try target.grown(to: plan.targetSize)
            // Each phase durable before the next (see InjectionPlan.phases): volume first, tables last.
            for phase in plan.phases {
                for write in phase { try target.write(write) }
                try target.flush()
            }
            target.rereadPartitionTable()
            return plan
        }   // closed here: libparted opens the device itself for the read-back
        try InjectionTarget(path: path, readOnly: true).closeAfter { reader in
            try InjectionReadBack.verify(plan, path: path, read: reader.read)
        }
        return plan
    }
}
