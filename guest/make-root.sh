#!/usr/bin/env bash
# Makes the cgroup v2 test guest in OUT: a Debian 12 root made by debootstrap (systemd as PID 1,
# Debian's kernel and a small initrd, runc, crun, the CNI plugins; no Swift toolchain), packed
# into OUT/root.img, with OUT/vmlinuz and OUT/initrd.img beside it for QEMU's -kernel and -initrd.
#   guest/make-root.sh OUT MIRROR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$1"
mirror="$2"
root="$out/root"
include="$(grep -v '^#' "$here/guest-packages.txt" | sed '/^$/d' | paste -sd, -)"
echo "guest: debootstrap bookworm into $root" >&2
debootstrap --variant=minbase --include="$include" bookworm "$root" "$mirror" > "$out/debootstrap.log" 2>&1 \
    || { tail -30 "$out/debootstrap.log" >&2; exit 1; }

# A small initrd: the guest only needs virtio disks, ext4 and 9p.
cat > "$root/etc/initramfs-tools/conf.d/corral-guest" <<'CONF'
MODULES=list
COMPRESS=zstd
CONF
printf '%s\n' virtio_pci virtio_blk ext4 9p 9pnet_virtio > "$root/etc/initramfs-tools/modules"
kernel="$(ls "$root/lib/modules")"
chroot "$root" update-initramfs -c -k "$kernel" > /dev/null 2>&1 || chroot "$root" update-initramfs -u -k "$kernel" > /dev/null
cp "$root/boot/vmlinuz-$kernel" "$out/vmlinuz"
cp "$root/boot/initrd.img-$kernel" "$out/initrd.img"

echo corral-guest > "$root/etc/hostname"
printf '127.0.0.1 localhost corral-guest\n' > "$root/etc/hosts"
printf '/dev/vda / ext4 rw,relatime 0 1\nshare /share 9p trans=virtio,version=9p2000.L,msize=524288,nofail 0 0\n' > "$root/etc/fstab"
mkdir -p "$root/share"
# Nothing the suite does not need: no scrubbing, no DRM module probing, no login prompt.
for unit in e2scrub_reap.service e2scrub_all.timer modprobe@drm.service systemd-networkd.service \
            getty@tty1.service serial-getty@ttyS0.service apt-daily.timer apt-daily-upgrade.timer \
            systemd-timesyncd.service fstrim.timer; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
install -m 0644 "$here/corral-guest.service" "$root/etc/systemd/system/corral-guest.service"
ln -sf /etc/systemd/system/corral-guest.service "$root/etc/systemd/system/multi-user.target.wants/corral-guest.service"
# The root password is irrelevant (no login), but systemd-firstboot must not wait for one.
rm -f "$root/etc/machine-id" && : > "$root/etc/machine-id"
chroot "$root" systemctl set-default multi-user.target > /dev/null 2>&1 || true
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/boot/"*
mkfs.ext4 -q -F -L corral-guest -d "$root" "$out/root.img" 4G
rm -rf "$root"
