#define _GNU_SOURCE
// mount(2) and umount2(2) with the flags the shim and daemon use.
#include "ccorral.h"
#include <sys/mount.h>

int ccorral_unmount_detach(const char *path) { return umount2(path, MNT_DETACH); }

int ccorral_bind_mount(const char *source, const char *target, int readonly) {
    if (mount(source, target, NULL, MS_BIND | MS_REC, NULL) < 0) return -1;
    if (readonly && mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0) return -1;
    return 0;
}

int ccorral_mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data) {
    return mount(source, target, type, flags, data);
}
