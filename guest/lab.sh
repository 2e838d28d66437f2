#!/usr/bin/env bash
# A lab command, not part of CI: the crictl smoke test and critest of ../shared/critest-lab run
# in the cgroup v2 + systemd guest, against corrald installed there by scripts/install.sh and
# started by systemd through corrald.socket. Images come from the lab's registry on this
# machine's 127.0.0.1:5000 (start-registry.sh): QEMU's user network, restricted so that the
# guest reaches nothing else, forwards the guest's 10.0.2.100:5000 there (through socat, one per
# connection).
#
#   guest/lab.sh [smoke|critest|both] [cgroupfs|systemd]      (default: both systemd)
#
# CRITEST and CRICTL name the binaries (default: $CORRAL_LAB/bin-new, else $CORRAL_LAB/bin).
# Reports land in $CORRAL_LAB/guest-NAME/. Built binaries as for run.sh (CORRAL_BIN).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
what="${1:-both}"
driver="${2:-systemd}"
lab_scripts="${CORRAL_LAB_SCRIPTS:-$repo/../shared/critest-lab}"
lab="${CORRAL_LAB:-/var/lib/corral-lab}"
tools="$lab/bin-new"
[[ -x "$tools/critest" ]] || tools="$lab/bin"
critest="${CRITEST:-$tools/critest}"
crictl="${CRICTL:-$tools/crictl}"
bin="${CORRAL_BIN:-$(cd "$repo" && swift build --show-bin-path)}"
for f in "$critest" "$crictl" "$bin/corrald" "$bin/corral-shim" "$bin/corralctl" "$lab_scripts/smoke-test.sh"; do
    [[ -e "$f" ]] || { echo "lab: $f is missing" >&2; exit 2; }
done
# QEMU's guestfwd to a tcp: chardev is one stream that every guest connection shares (pulls in
# parallel interleave and break); a command per connection keeps them apart.
command -v socat > /dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends socat > /dev/null
curl -fsS http://127.0.0.1:5000/v2/ > /dev/null || { echo "lab: no registry on 127.0.0.1:5000 (critest-lab/start-registry.sh)" >&2; exit 2; }
image="$("$here/build-image.sh")"

share="$(mktemp -d /tmp/corral-guest-lab-XXXXXX)"
echo "lab: the guest's lab dir, growing as it runs: $share/out/lab" >&2
trap 'rm -rf "$share"' EXIT
mkdir -p "$share/bin" "$share/repo" "$share/tools" "$share/out"
cp "$bin/corrald" "$bin/corral-shim" "$bin/corralctl" "$share/bin/"
cp "$critest" "$crictl" "$share/tools/"
cp -r "$repo/scripts" "$repo/daemon" "$share/repo/"
rm -rf "$share/repo/daemon/Sources"
cp -r "$lab_scripts" "$share/critest-lab"
sed -e "s#@WHAT@#$what#" -e "s#@DRIVER@#$driver#" "$here/lab-inside.sh" > "$share/inside.sh"
chmod +x "$share/inside.sh"

name="guest-$driver"
started=$(date +%s)
echo "lab: booting $image ($what, $driver driver); critest in TCG takes a long while" >&2
set +e
qemu-system-x86_64 \
    -accel tcg,thread=multi -smp 2 -m "${CORRAL_GUEST_MEMORY:-4096}" \
    -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 quiet loglevel=3 systemd.show_status=0 panic=-1" \
    -drive file="$image/root.img",if=virtio,format=raw,snapshot=on \
    -virtfs local,path="$share",mount_tag=share,security_model=passthrough,id=share \
    -nic "user,model=virtio-net-pci,restrict=on,guestfwd=tcp:10.0.2.100:5000-cmd:socat - TCP:127.0.0.1:5000" \
    -display none -monitor none -serial file:"$share/console.log" -no-reboot
set -e
echo "lab: the guest ran $(( $(date +%s) - started )) s" >&2
rm -rf "$lab/$name"
cp -r "$share/out" "$lab/$name"
cp "$share/guest.log" "$lab/$name/" 2>/dev/null || true
tail -40 "$lab/$name/guest.log" 2>/dev/null || tail -40 "$share/console.log"
echo "lab: reports in $lab/$name"
exit "$(cat "$share/exit-status" 2>/dev/null || echo 1)"
