import CRIAPI

/// The content of the files a pod's containers share, which the daemon writes when it
/// creates the pod.
public enum PodFilesContent {
    /// /etc/hosts: localhost names, then each of the pod's IPs under its hostname.
    public static func hosts(hostname: String, ips: [String]) -> String {
        var text = """
        # Kubernetes-managed hosts file (Corral).
        127.0.0.1\tlocalhost
        ::1\tlocalhost ip6-localhost ip6-loopback
        fe00::0\tip6-localnet
        ff00::0\tip6-mcastprefix
        ff02::1\tip6-allnodes
        ff02::2\tip6-allrouters

        """
        if !hostname.isEmpty {
            for ip in ips where !ip.isEmpty { text += "\(ip)\t\(hostname)\n" }
        }
        return text
    }

    /// /etc/resolv.conf from the pod's DNS config, as containerd writes it; nil when the config is
    /// empty, and then the daemon copies the host's /etc/resolv.conf.
    public static func resolvConf(_ dns: Runtime_V1_DNSConfig) -> String? {
        if dns.servers.isEmpty && dns.searches.isEmpty && dns.options.isEmpty { return nil }
        var text = ""
        if !dns.searches.isEmpty { text += "search " + dns.searches.joined(separator: " ") + "\n" }
        for server in dns.servers { text += "nameserver \(server)\n" }
        if !dns.options.isEmpty { text += "options " + dns.options.joined(separator: " ") + "\n" }
        return text
    }

    /// /etc/hostname: the pod's hostname, else the node's.
    public static func hostname(_ config: Runtime_V1_PodSandboxConfig, nodeHostname: String = HostFacts.current.hostname) -> String {
        (config.hostname.isEmpty ? nodeHostname : config.hostname) + "\n"
    }

    /// The pod's sysctls checked against its namespaces, for RunPodSandbox; CreateContainer checks them again.
    public static func validateSysctls(_ config: Runtime_V1_PodSandboxConfig) throws(SpecError) {
        let namespaces = config.linux.securityContext.namespaceOptions
        try Sysctls.validate(config.linux.sysctls, hostNetwork: namespaces.network == .node,
                             hostIPC: namespaces.ipc == .node)
    }
}
