// statx's mount id, which glibc's struct statx does not carry: kept apart from <sys/stat.h>,
// whose struct clashes with the kernel's.
#include <linux/stat.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "ccorral.h"

int ccorral_mount_id(const char *path, unsigned long long *id) {
    struct statx info;
    if (syscall(SYS_statx, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &info) < 0) return -1;
    if (!(info.stx_mask & STATX_MNT_ID)) return -1;
    *id = info.stx_mnt_id;
    return 0;
}
