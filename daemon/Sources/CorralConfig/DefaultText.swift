extension DaemonConfig {
    /// The commented default configuration (`corrald config default`). Parsing it gives `DaemonConfig()`.
    public static let defaultText = #"""
# corrald configuration. Every key is optional; the values shown are the defaults.
# Durations are written like "500ms", "10s", "5m", "1h" or "1m30s".
# Command-line flags (--root, --state, --socket, --log-level) override this file.

# Persistent state: the metadata database, image content and unpacked layers.
root = "/var/lib/corral"
# Runtime state, lost at reboot: shim sockets, bundles, pinned namespaces.
state = "/run/corral"
# The CRI socket kubelet and crictl connect to.
socket = "/run/corral/corral.sock"
# The CRI socket's permission bits and group (a name or gid; empty: root's). Whoever may open the
# socket can run anything as root on this node: widen it with care.
socket_mode = 0o660
socket_group = ""
# trace, debug, info, notice, warning, error or critical.
log_level = "info"
# Where log entries go: "stderr" (under systemd, journald reads it with each line's priority) or
# "journal" (sent to journald directly, with fields POD_ID, CONTAINER_ID, METHOD, REQUEST_ID).
log_target = "stderr"
# The corral-shim binary. Empty: the one next to corrald's own executable, else corral-shim on PATH.
shim_path = ""
# How pod and container cgroups are made: "cgroupfs" (directories in /sys/fs/cgroup) or "systemd"
# (transient slices and scopes). Use the driver kubelet is configured with.
cgroup_driver = "cgroupfs"
# Never ask for an oom_score_adj below corrald's own. Needed wherever the runtime lacks
# CAP_SYS_RESOURCE (containers in containers, restricted hosts): a lower score would fail every container.
restrict_oom_score_adj = true
# Exec'd processes (kubectl exec, probes) are started by the pod's shim, which joins the container
# as `runc exec` would, in a fraction of the time. true: every exec goes through the OCI runtime.
# Pods started before a change keep the way they had.
exec_via_runtime = false
# The CRIU binary that checkpoints containers (kubelet's checkpoint API) through the OCI runtime.
# Empty: criu on PATH. Without a CRIU whose `criu check` passes, CheckpointContainer fails.
criu_path = ""

# Levels for parts of corrald apart from log_level: cri (every CRI call), shims (starting,
# connecting, their events), images (pulls, registries, garbage collection), streaming.
[log_levels]
# cri = "debug"
# shims = "info"
# images = "info"
# streaming = "info"

[cni]
# Where network configurations (.conf, .conflist) are read from, in name order.
conf_dir = "/etc/cni/net.d"
# Where plugin binaries are looked for, in order.
bin_dirs = ["/opt/cni/bin", "/usr/lib/cni"]
# How many network configurations a pod joins, in name order (the first as eth0, whose addresses
# are the pod's; the next as eth1, and on); 0: all of them.
max_conf_num = 1

# OCI runtimes, one table per handler name (the RuntimeClass handler kubelet passes). The first one
# is the default unless another says default = true; only one may. A file naming no runtime gets
# runc and crun, as below.
[runtimes.runc]
# A name looked up on PATH, or an absolute path.
path = "runc"
# default = true
# The runtime's --root for the state of its containers, shared by every pod. Empty: a directory of
# each pod's own, in its shim's state dir.
root = ""

[runtimes.crun]
path = "crun"
root = ""

[registry]
# Layers downloaded at the same time, per pull.
max_concurrent_downloads = 3
# A pull that makes no progress for this long is cancelled.
progress_timeout = "5m"

# Pull through other endpoints: one table per registry host ("docker.io", "registry.k8s.io",
# "127.0.0.1:5000"); the endpoints are tried in order.
# [registry.mirrors."docker.io"]
# endpoints = ["http://127.0.0.1:5000"]
# upstream = true        # also try the host itself after the endpoints (the default)

# How to talk to one registry host. Registries are reached over HTTPS with certificate verification
# unless a host's table says otherwise.
# [registry.configs."registry.example.com"]
# insecure_skip_verify = false   # accept any certificate
# plain_http = false             # speak HTTP, not HTTPS
# ca_file = ""                   # extra CA bundle (PEM) to trust
# cert_file = ""                 # client certificate and its key (PEM), both or neither
# key_file = ""
# username = ""                  # credentials: username and password,
# password = ""
# auth = ""                      # or base64("username:password") as in a docker config.json,
# identity_token = ""            # or an OAuth2 refresh token

[streaming]
# The address of the exec / attach / port-forward server whose URLs corrald hands to kubelet.
address = "127.0.0.1"
# 0: a free port.
port = 0
# Serve TLS with this certificate and key (PEM), both or neither. Empty: plain HTTP.
tls_cert = ""
tls_key = ""
# A stream with no traffic for this long is closed; "0s": never.
stream_idle_timeout = "4h"

[timeouts]
# The deadline of each call to a shim, so one hung shim cannot hang the daemon.
shim_call = "10s"
# How long `corral-shim start` may take to print its address.
shim_start = "30s"
# How long connecting to a shim's socket may take.
shim_connect = "2s"
# How long one CNI plugin run (ADD, CHECK, DEL) may take before the shim kills it, and what it
# started, and fails the pod's network setup or teardown with that plugin named.
cni_plugin = "25s"
# After SIGTERM: how long CRI calls in flight may take to finish before they are cancelled.
# The shims, and so the pods, keep running whatever this is.
shutdown_grace = "10s"

[metrics]
# Serve Prometheus metrics on this host:port, e.g. "127.0.0.1:9273". Empty: off.
address = ""

[images]
# Images reported as pinned, which kubelet's image garbage collection never removes.
# Corral needs no pause image, so nothing is pinned by default.
pinned = []
"""#
}
