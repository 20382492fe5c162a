import EdgeCore

/// Why docker could not run the systemd probe: it built without BuildKit. The probe needs
/// `--output`, which only BuildKit has; docker's legacy builder refuses the flag (CLI 23 and newer)
/// or ignores it and writes nothing (Debian 12's docker.io 20.10, whose CLI uses BuildKit only with
/// DOCKER_BUILDKIT=1 though the daemon has it built in). Pure: chosen from what docker printed and
/// DOCKER_BUILDKIT.
enum DockerBuildKit {
    static func missing(_ output: String, dockerBuildKit: String?) -> EdgeError? {
        let installBuildx = "install the buildx plugin (docker-buildx-plugin from Docker's packages, or docker-buildx where the Debian release has it), or use --builder podman"
        if output.contains("BuildKit is enabled but the buildx component is missing or broken") {
            return EdgeError(.failure, "this docker has no BuildKit: DOCKER_BUILDKIT=1 is set but the CLI's buildx plugin is missing or broken",
                             hint: installBuildx)
        }
        let legacy = output.contains("Sending build context to Docker daemon") || output.contains("The legacy builder is deprecated")
            || output.contains("unknown flag: --output")
        guard legacy else { return nil }
        if output.contains("BuildKit is currently disabled") || ["0", "false"].contains(dockerBuildKit?.lowercased() ?? "") {
            return EdgeError(.failure, "this docker built without BuildKit because DOCKER_BUILDKIT=0 turns it off; the systemd probe needs BuildKit's --output",
                             hint: "unset DOCKER_BUILDKIT or set DOCKER_BUILDKIT=1")
        }
        if output.contains("Install the buildx component") {
            return EdgeError(.failure, "this docker has no BuildKit: the CLI has no buildx plugin, and its legacy builder cannot write the systemd probe's --output",
                             hint: installBuildx)
        }
        return EdgeError(.failure, "this docker built with its legacy builder, which has no --output for the systemd probe (Debian's docker.io 20.10 uses BuildKit only when DOCKER_BUILDKIT=1)",
                         hint: "set DOCKER_BUILDKIT=1 (Debian's docker.io has BuildKit built in), or \(installBuildx)")
    }
}
