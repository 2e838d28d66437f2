@testable import CorralConfig
import Testing

/// Each kind of mistake names the file and the dotted key at fault.
@Suite("config errors")
struct ErrorTests {
    private func error(_ toml: String) throws -> ConfigError {
        try #require(throws: ConfigError.self) { try DaemonConfig.parse(toml, source: "config.toml") }
    }

    /// A key that was read and never applied is gone: a file that still sets it says so.
    @Test func stopGraceDefaultIsNoLongerAKey() throws {
        #expect(try error("[timeouts]\nstop_grace_default = \"30s\"").key == "timeouts.stop_grace_default")
    }

    @Test func theBriefsExample() throws {
        #expect(try error("[timeouts]\nshim_call = \"ten\"").description
                == "config.toml: timeouts.shim_call: \"ten\" is not a duration")
    }

    @Test func unknownKeys() throws {
        #expect(try error("sokcet = \"/x\"").key == "sokcet")
        #expect(try error("[cni]\nconfdir = \"/x\"").key == "cni.confdir")
        #expect(try error("[runtimes.runc]\npath = \"runc\"\nroot_dir = \"/x\"").key == "runtimes.runc.root_dir")
        #expect(try error("[registry.mirrors.\"docker.io\"]\nendpoint = [\"http://x\"]").key
                == "registry.mirrors.\"docker.io\".endpoint")
        #expect(try error("[registry.configs.\"a.example\"]\ninsecure = true").key == "registry.configs.\"a.example\".insecure")
        #expect(try error("[streaming]\ntls = true").key == "streaming.tls")
        #expect(try error("[timeouts]\nshim_stop = \"1s\"").key == "timeouts.shim_stop")
        #expect(try error("[metrics]\nport = 1").key == "metrics.port")
        #expect(try error("[images]\npin = []").key == "images.pin")
        #expect(try error("[plugins]\nx = 1").key == "plugins")
        #expect(try error("[log_levels]\ngrpc = \"debug\"").key == "log_levels.grpc")
        #expect(try error("[registry]\nmirror = {}").message == "unknown key")
    }

    @Test func wrongTypes() throws {
        var e = try error("root = 5")
        #expect(e.key == "root")
        #expect(e.message == "expected a string, not 5")
        e = try error("restrict_oom_score_adj = \"yes\"")
        #expect(e.key == "restrict_oom_score_adj")
        #expect(e.message == "expected true or false, not \"yes\"")
        #expect(try error("[streaming]\nport = \"10010\"").key == "streaming.port")
        #expect(try error("[cni]\nbin_dirs = \"/opt/cni/bin\"").key == "cni.bin_dirs")
        #expect(try error("[cni]\nbin_dirs = [\"/opt/cni/bin\", 3]").key == "cni.bin_dirs[1]")
        #expect(try error("cni = 1").message == "expected a table, not 1")
        #expect(try error("[registry.mirrors]\n\"docker.io\" = \"http://x\"").key == "registry.mirrors.\"docker.io\"")
        #expect(try error("runtimes = [1]").message == "expected a table, not an array")
        #expect(try error("[runtimes]\nrunc = \"runc\"").key == "runtimes.runc")
        e = try error("[registry.mirrors.\"docker.io\"]\nendpoints = [\"http://a\", 2]")
        #expect(e.key == "registry.mirrors.\"docker.io\".endpoints[1]")
        #expect(e.message == "expected a string, not 2")
        e = try error("[timeouts]\nshim_call = 10")
        #expect(e.key == "timeouts.shim_call")
        #expect(e.message.hasPrefix("expected a duration"))
        #expect(try error("[registry]\nprogress_timeout = 1.5").key == "registry.progress_timeout")
        #expect(try error("[registry]\nmax_concurrent_downloads = 2.0").key == "registry.max_concurrent_downloads")
    }

    @Test func badValues() throws {
        var e = try error("socket = \"corral.sock\"")
        #expect(e.key == "socket")
        #expect(e.message == "\"corral.sock\" is not an absolute path")
        #expect(try error("root = \"var/lib/corral\"").key == "root")
        #expect(try error("state = \"\"").key == "state")
        #expect(try error("log_level = \"loud\"").key == "log_level")
        #expect(try error("cgroup_driver = \"cgroupv2\"").key == "cgroup_driver")
        #expect(try error("shim_path = \"bin/corral-shim\"").key == "shim_path")
        #expect(try error("[cni]\nbin_dirs = [\"/ok\", \"relative\"]").key == "cni.bin_dirs[1]")
        #expect(try error("[cni]\nmax_conf_num = -1").key == "cni.max_conf_num")
        e = try error("[streaming]\nport = 65536")
        #expect(e.key == "streaming.port")
        #expect(e.message == "65536 is not a port (0 to 65535)")
        #expect(try error("[streaming]\nport = -1").key == "streaming.port")
        #expect(try error("[streaming]\ntls_cert = \"/c.pem\"").key == "streaming.tls_key")
        e = try error("[registry.mirrors.\"docker.io\"]\nendpoints = [\"http://127.0.0.1:5000\", \"ftp://mirror\"]")
        #expect(e.key == "registry.mirrors.\"docker.io\".endpoints[1]")
        #expect(e.message == "\"ftp://mirror\" is not an http:// or https:// URL")
        #expect(try error("[registry.mirrors.\"docker.io\"]\nendpoints = [\"127.0.0.1:5000\"]").key
                == "registry.mirrors.\"docker.io\".endpoints[0]")
        #expect(try error("[registry.mirrors.\"docker.io\"]\nendpoints = [\"https://\"]").key
                == "registry.mirrors.\"docker.io\".endpoints[0]")
        #expect(try error("[registry.configs.\"r.example\"]\ncert_file = \"/c.pem\"").key == "registry.configs.\"r.example\".key_file")
        #expect(try error("[registry.configs.\"r.example\"]\nca_file = \"ca.pem\"").key == "registry.configs.\"r.example\".ca_file")
        #expect(try error("[registry]\nmax_concurrent_downloads = 0").key == "registry.max_concurrent_downloads")
        #expect(try error("[timeouts]\nshim_call = \"0s\"").key == "timeouts.shim_call")
        #expect(try error("[metrics]\naddress = \"localhost\"").key == "metrics.address")
        #expect(try error("[images]\npinned = [\"\"]").key == "images.pinned[0]")
        #expect(try error("[runtimes.Runc]\npath = \"runc\"").key == "runtimes.Runc")
        #expect(try error("[runtimes.runc]\npath = \"bin/runc\"").key == "runtimes.runc.path")
        #expect(try error("[runtimes.runc]\nroot = \"\"").key == "runtimes.runc.path")
        #expect(try error("[runtimes.runc]\npath = \"runc\"\nroot = \"run/runc\"").key == "runtimes.runc.root")
    }

    @Test func logSettings() throws {
        var e = try error("log_target = \"syslog\"")
        #expect(e.key == "log_target")
        #expect(e.message.contains("\"stderr\" or \"journal\""))
        e = try error("[log_levels]\ncri = \"loud\"")
        #expect(e.key == "log_levels.cri")
        #expect(e.message.contains("\"loud\" is not one of"))
        #expect(try error("[timeouts]\nshutdown_grace = \"-1s\"").key == "timeouts.shutdown_grace")
        #expect(try error("socket_mode = 0o1777").key == "socket_mode")
        #expect(try DaemonConfig.parse("socket_mode = 0o600", source: "c").socketMode == 0o600)
        let parsed = try DaemonConfig.parse("log_target = \"journal\"\n[log_levels]\ncri = \"debug\"\nshims = \"error\"",
                                            source: "config.toml")
        #expect(parsed.logTarget == .journal)
        #expect(parsed.logLevels == ["cri": "debug", "shims": "error"])
    }

    @Test func notTOML() throws {
        let e = try error("root = \"/x\"\n[cni\n")
        #expect(e.key == "")
        #expect(e.message.hasPrefix("line 2"))
        #expect(e.description.hasPrefix("config.toml: line 2"))
    }

    @Test func validateChecksOverridesToo() {
        var config = DaemonConfig()
        config.socket = "relative.sock"
        #expect(throws: ConfigError(source: "flags", key: "socket", message: "\"relative.sock\" is not an absolute path")) {
            try config.validate(source: "flags")
        }
    }
}
