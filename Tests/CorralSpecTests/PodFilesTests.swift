import CorralSpec
import CRIAPI
import Testing

@Suite("Pod files: hosts, resolv.conf, hostname")
struct PodFilesTests {
    @Test func hosts() {
        let text = PodFilesContent.hosts(hostname: "web", ips: ["10.88.0.5", "fd00::5"])
        let lines = text.split(separator: "\n")
        #expect(lines.contains("127.0.0.1\tlocalhost"))
        #expect(lines.contains("::1\tlocalhost ip6-localhost ip6-loopback"))
        #expect(lines.suffix(2) == ["10.88.0.5\tweb", "fd00::5\tweb"])
        #expect(text.hasSuffix("\n"))
    }

    @Test func hostsWithoutIPs() {
        let text = PodFilesContent.hosts(hostname: "web", ips: [])
        #expect(!text.contains("web"))
    }

    @Test func resolvConf() {
        var dns = Runtime_V1_DNSConfig()
        dns.servers = ["10.96.0.10", "8.8.8.8"]
        dns.searches = ["default.svc.cluster.local", "svc.cluster.local"]
        dns.options = ["ndots:5"]
        #expect(PodFilesContent.resolvConf(dns) == """
        search default.svc.cluster.local svc.cluster.local
        nameserver 10.96.0.10
        nameserver 8.8.8.8
        options ndots:5

        """)
    }

    @Test func emptyDNSConfigMeansTheHostsFile() {
        #expect(PodFilesContent.resolvConf(Runtime_V1_DNSConfig()) == nil)
        var onlyOptions = Runtime_V1_DNSConfig()
        onlyOptions.options = ["ndots:2"]
        #expect(PodFilesContent.resolvConf(onlyOptions) == "options ndots:2\n")
    }

    @Test func hostname() {
        var config = Runtime_V1_PodSandboxConfig()
        #expect(PodFilesContent.hostname(config, nodeHostname: "node-1") == "node-1\n")
        config.hostname = "web"
        #expect(PodFilesContent.hostname(config, nodeHostname: "node-1") == "web\n")
    }
}
