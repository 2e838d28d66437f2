import CRIAPI
import OCISpec

/// How the request and the image combine into argv, environment and working directory,
/// following containerd (which follows Docker).
enum ProcessArguments {
    /// command+args from the request; without a command the image's entrypoint runs, with the
    /// request's args or else the image's cmd. An entrypoint of [""] means none.
    static func argv(_ config: Runtime_V1_ContainerConfig, image: ImageExecutionConfig?) throws(SpecError) -> [String] {
        var command = config.command
        var args = config.args
        if command.isEmpty {
            if args.isEmpty { args = image?.cmd ?? [] }
            let entrypoint = image?.entrypoint ?? []
            if entrypoint != [""] { command = entrypoint }
        }
        let argv = command + args
        guard !argv.isEmpty else {
            throw .invalidArgument("no command specified: the request has no command or args and the image no entrypoint or cmd")
        }
        return argv
    }

    /// PATH first, then HOSTNAME, then the image's variables, then the request's; a later one
    /// replaces an earlier one of the same name in place.
    static func environment(_ config: Runtime_V1_ContainerConfig, image: ImageExecutionConfig?, hostname: String) -> [String] {
        var env = [ContainerDefaults.path]
        merge(&env, ["HOSTNAME=" + hostname])
        merge(&env, image?.env ?? [])
        merge(&env, config.envs.map { $0.key + "=" + $0.value })
        return env
    }

    /// containerd's rule: "NAME=value" sets, a bare "NAME" unsets.
    static func merge(_ env: inout [String], _ overrides: [String]) {
        for entry in overrides {
            let name = variableName(entry)
            let index = env.firstIndex { variableName($0) == name }
            if entry.contains("=") {
                if let index { env[index] = entry } else { env.append(entry) }
            } else if let index {
                env.remove(at: index)
            }
        }
    }

    private static func variableName(_ entry: String) -> Substring {
        entry.prefix { $0 != "=" }
    }

    static func workingDirectory(_ config: Runtime_V1_ContainerConfig, image: ImageExecutionConfig?) -> String {
        if !config.workingDir.isEmpty { return config.workingDir }
        guard let directory = image?.workingDir, !directory.isEmpty else { return "/" }
        // runc insists on an absolute cwd; images built by old tools may carry a relative one.
        return Paths.isAbsolute(directory) ? directory : "/" + directory
    }
}
