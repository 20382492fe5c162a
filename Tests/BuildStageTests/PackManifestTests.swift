import Testing
import Yams
@testable import BuildStage

/// The manifest as the "Build Edge Artifacts" guide shows the build printing it.
struct PackManifestTests {
    /// The guide's advanced example, printed after an opensuse-leap build (copied from the guide).
    static let guidePrinted = """
        pack:
          content:
            images:
              - image: "{{.spectro.pack.edge-native-byoi.options.system.uri}}"
          # Below config is default value, please uncomment if you want to modify default values
          #drain:
            #cordon: true
            #timeout: 60 # The length of time to wait before giving up, zero means infinite
            #gracePeriod: 60 # Period of time in seconds given to each pod to terminate gracefully. If negative, the default value specified in the pod will be used
            #ignoreDaemonSets: true
            #deleteLocalData: true # Continue even if there are pods using emptyDir (local data that will be deleted when the node is drained)
            #force: true # Continue even if there are pods that do not declare a controller
            #disableEviction: false # Force drain to use delete, even if eviction is supported. This will bypass checking PodDisruptionBudgets, use with caution
            #skipWaitForDeleteTimeout: 60 # If pod DeletionTimestamp older than N seconds, skip waiting for the pod. Seconds must be greater than 0 to skip.
        options:
          system.uri: "{{ .spectro.pack.edge-native-byoi.options.system.registry }}/{{ .spectro.pack.edge-native-byoi.options.system.repo }}:{{ .spectro.pack.edge-native-byoi.options.system.k8sDistribution }}-{{ .spectro.system.kubernetes.version }}-{{ .spectro.pack.edge-native-byoi.options.system.peVersion }}-{{ .spectro.pack.edge-native-byoi.options.system.customTag }}"

          system.registry: spectrocloud
          system.repo: opensuse-leap
          system.k8sDistribution: k3s
          system.osName: opensuse-leap
          system.peVersion: v4.4.12
          system.customTag: palette-learn
          system.osVersion:

        """

    /// The guide's basic (ubuntu) example, as the docs wrap it: the same YAML, folded differently.
    static let guideWrapped = """
        pack:
          content:
            images:
              - image: "{{.spectro.pack.edge-native-byoi.options.system.uri}}"
        options:
          system.uri:
            "{{ .spectro.pack.edge-native-byoi.options.system.registry }}/{{
            .spectro.pack.edge-native-byoi.options.system.repo }}:{{
            .spectro.pack.edge-native-byoi.options.system.k8sDistribution }}-{{ .spectro.system.kubernetes.version }}-{{
            .spectro.pack.edge-native-byoi.options.system.peVersion }}-{{
            .spectro.pack.edge-native-byoi.options.system.customTag }}"

          system.registry: spectrocloud
          system.repo: ubuntu
          system.k8sDistribution: k3s
          system.osName: ubuntu
          system.peVersion: v4.4.12
          system.customTag: palette-learn
          system.osVersion: 22
        """

    static func arguments(_ text: String) -> BuildArguments {
        BuildArguments(ArgFile.parse(text, file: ".arg"))
    }

    @Test func printedExactlyAsTheGuideShowsForOpensuse() {
        let arguments = Self.arguments("""
            IMAGE_REGISTRY=spectrocloud
            OS_DISTRIBUTION=opensuse-leap
            IMAGE_REPO=$OS_DISTRIBUTION
            CUSTOM_TAG=palette-learn
            K8S_DISTRIBUTION=k3s
            K8S_VERSION=1.27.2
            PE_VERSION=v4.4.12
            """)
        #expect(PackManifest.yaml(arguments) == Self.guidePrinted)
    }

    @Test func sameYAMLAsTheGuidesUbuntuExample() throws {
        let arguments = Self.arguments("""
            CUSTOM_TAG=palette-learn
            IMAGE_REGISTRY=spectrocloud
            OS_DISTRIBUTION=ubuntu
            IMAGE_REPO=ubuntu
            OS_VERSION=22.04
            K8S_DISTRIBUTION=k3s
            PE_VERSION=v4.4.12
            """)
        let ours = try #require(try Yams.load(yaml: PackManifest.yaml(arguments)) as? [String: Any])
        let guide = try #require(try Yams.load(yaml: Self.guideWrapped) as? [String: Any])
        let ourOptions = try #require(ours["options"] as? [String: Any])
        let guideOptions = try #require(guide["options"] as? [String: Any])
        #expect(Set(ourOptions.keys) == Set(guideOptions.keys))
        for key in guideOptions.keys {
            #expect("\(ourOptions[key]!)" == "\(guideOptions[key]!)", "\(key)")
        }
        #expect("\(ours["pack"]!)" == "\(guide["pack"]!)")
    }
}
