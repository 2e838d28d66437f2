#define _GNU_SOURCE
// mount(2) and umount2(2) with the flags the shim and daemon use.
#include "ccorral.h"
#include <sys/mount.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int ccorral_unmount_detach(const char *path) { return umount2(path, MNT_DETACH); }

int ccorral_bind_mount(const char *source, const char *target, int readonly) {
    if (mount(source, target, NULL, MS_BIND | MS_REC, NULL) < 0) return -1;
    if (readonly && mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0) return -1;
    return 0;
}

int ccorral_mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data) {
    return mount(source, target, type, flags, data);
}

// A detached copy of the mount tree at `source` (recursive), its attributes changed on every
// mount in it at once, then attached at `target`. `attr_set` takes MOUNT_ATTR_* bits
// (MOUNT_ATTR_RDONLY; MOUNT_ATTR_IDMAP with `userns_fd`), `propagation` MS_PRIVATE and kin or 0.
// Done on the copy, nothing changes for the source or whoever else mounted it.
int ccorral_clone_tree(const char *source, const char *target, unsigned long long attr_set,
                       unsigned long long propagation, int userns_fd) {
    int tree = open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (tree < 0) return -1;
    struct mount_attr attr = {0};
    attr.attr_set = attr_set;
    attr.propagation = propagation;
    if (attr_set & MOUNT_ATTR_IDMAP) attr.userns_fd = (unsigned long long)userns_fd;
    int result = -1;
    if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) == 0 &&
        move_mount(tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) == 0) {
        result = 0;
    }
    int saved = errno;
    close(tree);
    errno = saved;
    return result;
}

const unsigned long long ccorral_mount_attr_rdonly = MOUNT_ATTR_RDONLY;
const unsigned long long ccorral_mount_attr_idmap = MOUNT_ATTR_IDMAP;
const unsigned long long ccorral_ms_private = MS_PRIVATE;
