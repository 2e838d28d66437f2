// Inode flags (chattr): FS_IOC_GETFLAGS and FS_IOC_SETFLAGS are function-like macros of
// <linux/fs.h>, which Swift does not import.
#include "ccorral.h"
#include <linux/fs.h>
#include <sys/ioctl.h>

int ccorral_add_topdir_flag(int fd) {
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) return -1;
    if (flags & FS_TOPDIR_FL) return 0;
    flags |= FS_TOPDIR_FL;
    return ioctl(fd, FS_IOC_SETFLAGS, &flags);
}
