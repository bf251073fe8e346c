/* unix-socket.h: the listening Unix sockets of --serial and --control. */
#pragma once

/* Listens on @path (0600, non-blocking, close-on-exec); a stale socket
 * from an earlier run is replaced.  Returns the descriptor, -EEXIST when
 * @path is something other than a socket, or another -errno. */
int vmm_unix_listen(const char *path, int backlog);
