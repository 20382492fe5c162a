/// The BYOOS (edge-native-byoi) pack manifest the build prints after the provider images, in the
/// shape CanvOS prints it: paste it into the cluster profile's OS layer.
public enum PackManifest {
    public static let fileName = "pack-manifest.yaml"

    public static func yaml(_ arguments: BuildArguments) -> String {
        // An empty value prints as `system.osVersion:`, without a trailing space, as CanvOS's does.
        template(arguments).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasSuffix(": ") ? String($0.dropLast()) : String($0) }
            .joined(separator: "\n")
    }

    static func template(_ arguments: BuildArguments) -> String {
        let options = ".spectro.pack.edge-native-byoi.options"
        let uri = "{{ \(options).system.registry }}/{{ \(options).system.repo }}:{{ \(options).system.k8sDistribution }}-{{ .spectro.system.kubernetes.version }}-{{ \(options).system.peVersion }}-{{ \(options).system.customTag }}"
        return """
            pack:
              content:
                images:
                  - image: "{{\(options).system.uri}}"
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
              system.uri: "\(uri)"

              system.registry: \(arguments.imageRegistry)
              system.repo: \(arguments.imageRepo)
              system.k8sDistribution: \(arguments.k8sDistribution)
              system.osName: \(arguments.osDistribution)
              system.peVersion: \(arguments.peVersion)
              system.customTag: \(arguments.customTag)
              system.osVersion: \(osVersion(arguments))

            """
    }

    /// CanvOS prints Ubuntu's major version (OS_VERSION=22.04 gives `system.osVersion: 22`, as in
    /// the Build Edge Artifacts guide); other distributions as given.
    static func osVersion(_ arguments: BuildArguments) -> String {
        guard arguments.osDistribution == "ubuntu" else { return arguments.osVersion }
        return String(arguments.osVersion.prefix { $0 != "." })
    }
}
