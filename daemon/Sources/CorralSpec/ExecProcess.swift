import OCISpec

/// The process of an exec in a running container (`runc exec --process FILE`): the container's
/// own user, environment, working directory, capabilities and confinement, with another
/// command, as containerd's exec does.
public func makeExecProcess(container spec: Spec, command: [String], terminal: Bool) -> Process {
    var process = spec.process ?? Process()
    process.args = command
    process.terminal = terminal
    process.consoleSize = nil
    return process
}
