import Testing
@testable import BuildStage

struct ISOStagingPlanTests {
    @Test func placesEveryInputWhereTheEdgeBuildDoes() {
        let plan = ISOStagingPlan(userData: "user-data", contentBundles: [], edgeCustomConfig: "edge.yaml",
                                  clusterConfig: "spc.tgz")
        #expect(plan.mappings.map(\.isoPath) == ["/files-iso/config.yaml", "/.edge_custom_config.yaml",
                                                 "/opt/spectrocloud/clusterconfig/spc.tgz"])
        #expect(plan.mappings.allSatisfy { $0.range == nil })
    }

    @Test func contentIsSplitIntoNumberedParts() {
        let plan = ISOStagingPlan(userData: nil, contentBundles: [("c/content-1/core.zst", 2500)], edgeCustomConfig: nil,
                                  clusterConfig: nil, partSize: 1000)
        #expect(plan.mappings.map(\.isoPath) == ["/opt/spectrocloud/content/core.zst_part00",
                                                 "/opt/spectrocloud/content/core.zst_part01",
                                                 "/opt/spectrocloud/content/core.zst_part02"])
        #expect(plan.mappings.map(\.range) == [.init(offset: 0, count: 1000), .init(offset: 1000, count: 1000),
                                               .init(offset: 2000, count: 500)])
    }

    @Test func threeGBPartsByDefaultAndOnePartForSmallBundles() {
        #expect(ISOStagingPlan.defaultPartSize == 3_000_000_000)
        let plan = ISOStagingPlan(userData: nil, contentBundles: [("b.zst", 7_000_000_000), ("a.zst", 10)],
                                  edgeCustomConfig: nil, clusterConfig: nil)
        #expect(plan.mappings.map(\.isoPath).map { $0.split(separator: "/").last! } ==
                ["a.zst_part00", "b.zst_part00", "b.zst_part01", "b.zst_part02"])
        #expect(plan.mappings.last?.range == .init(offset: 6_000_000_000, count: 1_000_000_000))
    }

    @Test func moreThanAHundredPartsWidenTheSuffix() {
        let plan = ISOStagingPlan(userData: nil, contentBundles: [("x.zst", 101)], edgeCustomConfig: nil, clusterConfig: nil, partSize: 1)
        #expect(plan.mappings.first?.isoPath.hasSuffix("x.zst_part000") == true)
        #expect(plan.mappings.last?.isoPath.hasSuffix("x.zst_part100") == true)
    }

    @Test func addedPathsIncludeTheirDirectories() {
        let plan = ISOStagingPlan(userData: "u", contentBundles: [], edgeCustomConfig: nil, clusterConfig: "s")
        #expect(plan.addedPaths == ["/files-iso", "/files-iso/config.yaml", "/opt", "/opt/spectrocloud",
                                    "/opt/spectrocloud/clusterconfig", "/opt/spectrocloud/clusterconfig/spc.tgz"])
    }

    @Test func xorrisoReplaysTheBootSetupAndPinsDatesForReproducibility() {
        let plan = ISOStagingPlan(userData: "u", contentBundles: [("c.zst", 5)], edgeCustomConfig: nil, clusterConfig: nil, partSize: 3)
        let args = XorrisoArguments.stage(base: "base.iso", output: "out.iso", plan: plan, sourceDateEpoch: 1_700_000_000)
        let line = args.joined(separator: " ")
        #expect(args.first == "-no_rc")
        #expect(line.contains("-indev base.iso -outdev out.iso -boot_image any replay"))
        #expect(line.contains("-map u /files-iso/config.yaml"))
        #expect(line.contains("-cut_out c.zst 0 3 /opt/spectrocloud/content/c.zst_part00"))
        #expect(line.contains("-cut_out c.zst 3 2 /opt/spectrocloud/content/c.zst_part01"))
        #expect(line.contains("-volume_date all_file_dates =1700000000"))
        #expect(args.last == "-commit")
        let unpinned = XorrisoArguments.stage(base: "b", output: "o", plan: plan, sourceDateEpoch: nil)
        #expect(!unpinned.contains("all_file_dates"))
    }
}
