/* unix-socket.c: see unix-socket.h. */
#include "unix-socket.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int vmm_unix_listen(const char *path, int backlog)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct stat st;
    int fd, err;
    mode_t old;

    if (strlen(path) >= sizeof(addr.sun_path))
        return -ENAMETOOLONG;
    strcpy(addr.sun_path, path);
    /* a stale socket from an earlier run may go; anything else stays */
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return -EEXIST;
        unlink(path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    old = umask(0077); /* the socket is the user's alone */
    err = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    umask(old);
    if (err < 0 || listen(fd, backlog) < 0) {
        err = -errno;
        close(fd);
        return err;
    }
    return fd;
}
