#!/bin/bash
# Runs in the guest for lab.sh (which fills in what to run and the driver).
set -u
what=@WHAT@
driver=@DRIVER@
ip link set lo up
# QEMU's user network; udev names the NIC (enp0s2 or so). Only 10.0.2.100:5000 leads anywhere.
udevadm settle  # the NIC may still be eth0, about to be renamed
nic=$(ls /sys/class/net | grep -v '^lo$' | head -1)
ip link set "$nic" up && ip addr add 10.0.2.15/24 dev "$nic" && ip route add default via 10.0.2.2
CORRAL_BIN=/share/bin /share/repo/scripts/install.sh
sed -i -e "s/^cgroup_driver = .*/cgroup_driver = \"$driver\"/" /etc/corral/config.toml
{
    for host in docker.io registry-1.docker.io registry.k8s.io gcr.io quay.io k8s.gcr.io; do
        printf '\n[registry.mirrors."%s"]\nendpoints = ["http://10.0.2.100:5000"]\nupstream = false\n' "$host"
    done
    printf '\n[registry.configs."10.0.2.100:5000"]\nplain_http = true\n'
} >> /etc/corral/config.toml
# Started now, as install.sh says, rather than by the first call: under TCG a debug corrald takes
# seconds to be ready, longer than crictl waits for a connection's first bytes.
systemctl enable --now corrald.socket corrald.service
# On the share, so that the host sees critest's log grow (a long run under TCG).
export CORRAL_LAB=/share/out/lab
mkdir -p $CORRAL_LAB/bin && cp /share/tools/* $CORRAL_LAB/bin/
status=0
if [ "$what" = smoke ] || [ "$what" = both ]; then
    /share/critest-lab/smoke-test.sh unix:///run/corral/corral.sock guest-$driver || status=1
fi
if [ "$what" = critest ] || [ "$what" = both ]; then
    CRITEST=$CORRAL_LAB/bin/critest /share/critest-lab/run-critest.sh unix:///run/corral/corral.sock guest-$driver || status=1
fi
journalctl -u corrald --no-pager > /share/out/corrald.journal 2>&1
exit $status
