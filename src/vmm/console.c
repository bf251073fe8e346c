/* console.c: the serial port's back-end.
 *
 * Output arrives on vCPU threads (device lock held) and is written at
 * once; input is read on the main loop and handed to the UART as fast as
 * its FIFO takes it, so nothing typed is lost.  On a socket, what the
 * guest writes while no client is connected is kept (the last
 * BACKLOG_SIZE bytes, as a terminal line would buffer it) and handed to
 * the next client, so that a console opened after boot shows the boot.
 */
#define _GNU_SOURCE
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "devices/uart.h"
#include "unix-socket.h"

enum console_kind { CON_NONE, CON_STDIO, CON_UNIX, CON_FILE };

struct VmmConsole {
    enum console_kind kind;
    char *path;
    int out_fd;     /* where guest output goes, -1 for nowhere */
    int in_fd;      /* where guest input comes from, -1 for nothing */
    int listen_fd;  /* unix: the listening socket */
    VmmLoop *loop;
    unsigned in_watch, listen_watch, retry_source;
    pthread_mutex_t lock; /* out_fd changes on the main loop, used by vCPUs */
    struct vmm_machine *m;
    uint8_t pending[256];
    size_t pending_len;
    uint8_t *backlog; /* unix: output nobody read yet (under lock) */
    size_t backlog_len;
};

#define BACKLOG_SIZE 65536

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool vmm_console_spec_valid(const char *spec, VmmError *err)
{
    if (strcmp(spec, "stdio") == 0 || strcmp(spec, "none") == 0)
        return true;
    if ((has_prefix(spec, "unix:") || has_prefix(spec, "file:")) &&
        spec[5] != '\0') {
        if (has_prefix(spec, "unix:") &&
            strlen(spec + 5) >= sizeof(((struct sockaddr_un *)0)->sun_path))
            return vmm_error_set(err, "The socket path %s is too long for a "
                                 "Unix socket.", spec + 5);
        return true;
    }
    return vmm_error_set(err, "Unknown serial back-end \"%s\": use stdio, "
                         "unix:PATH, file:PATH or none.", spec);
}

/* Keeps the newest BACKLOG_SIZE bytes of output.  Lock held. */
static void keep(VmmConsole *con, const uint8_t *buf, size_t len)
{
    if (!con->backlog)
        con->backlog = malloc(BACKLOG_SIZE);
    if (!con->backlog)
        return;
    if (len >= BACKLOG_SIZE) {
        memcpy(con->backlog, buf + len - BACKLOG_SIZE, BACKLOG_SIZE);
        con->backlog_len = BACKLOG_SIZE;
        return;
    }
    if (con->backlog_len + len > BACKLOG_SIZE) {
        size_t drop = con->backlog_len + len - BACKLOG_SIZE;

        memmove(con->backlog, con->backlog + drop, con->backlog_len - drop);
        con->backlog_len -= drop;
    }
    memcpy(con->backlog + con->backlog_len, buf, len);
    con->backlog_len += len;
}

static void out(void *opaque, const uint8_t *buf, size_t len)
{
    VmmConsole *con = opaque;

    pthread_mutex_lock(&con->lock);
    if (con->kind == CON_UNIX && con->out_fd < 0) {
        keep(con, buf, len);
    } else if (con->out_fd >= 0) {
        ssize_t n;

        if (con->kind == CON_UNIX)
            n = send(con->out_fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        else
            do
                n = write(con->out_fd, buf, len);
            while (n < 0 && errno == EINTR);
        (void)n; /* a client that does not read loses output, not the VM */
    }
    pthread_mutex_unlock(&con->lock);
}

static bool on_input(int fd, short revents, void *data);

static void watch_input(VmmConsole *con)
{
    if (con->in_fd >= 0 && !con->in_watch)
        con->in_watch = vmm_loop_add_fd(con->loop, con->in_fd, POLLIN,
                                        on_input, con);
}

/* Pushes pending input into the UART; true when all of it went in. */
static bool flush_pending(VmmConsole *con)
{
    size_t n;

    if (!con->m)
        return con->pending_len == 0;
    n = vmm_uart_receive(con->m, con->pending, con->pending_len);
    memmove(con->pending, con->pending + n, con->pending_len - n);
    con->pending_len -= n;
    return con->pending_len == 0;
}

static bool on_retry(void *data)
{
    VmmConsole *con = data;

    if (!flush_pending(con))
        return true;
    con->retry_source = 0;
    watch_input(con);
    return false;
}

static void drop_client(VmmConsole *con)
{
    vmm_loop_remove(con->loop, con->in_watch);
    con->in_watch = 0;
    pthread_mutex_lock(&con->lock);
    if (con->kind == CON_UNIX && con->in_fd >= 0)
        close(con->in_fd);
    con->in_fd = -1;
    if (con->kind == CON_UNIX)
        con->out_fd = -1;
    pthread_mutex_unlock(&con->lock);
}

static bool on_input(int fd, short revents, void *data)
{
    VmmConsole *con = data;
    ssize_t n;

    n = read(fd, con->pending + con->pending_len,
             sizeof(con->pending) - con->pending_len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0) {
        /* end of input: the VM goes on without it */
        con->in_watch = 0;
        if (con->kind == CON_UNIX)
            drop_client(con);
        else
            con->in_fd = -1;
        return false;
    }
    con->pending_len += (size_t)n;
    if (flush_pending(con))
        return true;
    /* the guest is not reading fast enough: wait for it, not for us */
    con->in_watch = 0;
    if (!con->retry_source)
        con->retry_source = vmm_loop_add_timeout(con->loop, 2, on_retry, con);
    return false;
}

static bool on_accept(int fd, short revents, void *data)
{
    VmmConsole *con = data;
    int client = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (client < 0)
        return true;
    /* one client at a time: the newest wins, as with a real cable */
    drop_client(con);
    pthread_mutex_lock(&con->lock);
    con->in_fd = con->out_fd = client;
    if (con->backlog_len) {
        /* a fresh socket's buffer takes the whole backlog */
        ssize_t n = send(client, con->backlog, con->backlog_len,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        (void)n;
        con->backlog_len = 0;
    }
    pthread_mutex_unlock(&con->lock);
    if (!con->retry_source)
        watch_input(con);
    return true;
}

static int listen_unix(const char *path, VmmError *err)
{
    int fd = vmm_unix_listen(path, 4);

    if (fd == -EEXIST)
        vmm_error_set(err, "%s exists and is not a socket; choose another "
                      "path.", path);
    else if (fd < 0)
        vmm_error_set(err, "Cannot listen on %s: %s.", path, strerror(-fd));
    return fd;
}

VmmConsole *vmm_console_new(const char *spec, VmmLoop *loop, VmmError *err)
{
    VmmConsole *con;

    if (!vmm_console_spec_valid(spec, err))
        return NULL;
    con = calloc(1, sizeof(*con));
    if (!con) {
        vmm_error_set(err, "out of memory");
        return NULL;
    }
    con->loop = loop;
    con->out_fd = con->in_fd = con->listen_fd = -1;
    pthread_mutex_init(&con->lock, NULL);
    if (strcmp(spec, "none") == 0) {
        con->kind = CON_NONE;
    } else if (strcmp(spec, "stdio") == 0) {
        con->kind = CON_STDIO;
        con->out_fd = STDOUT_FILENO;
        /* stdin stays blocking (it may be the user's terminal); the
         * watch only reads when there is something to read */
        con->in_fd = STDIN_FILENO;
    } else if (has_prefix(spec, "file:")) {
        con->kind = CON_FILE;
        con->path = strdup(spec + 5);
        con->out_fd = open(con->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                           0600);
        if (con->out_fd < 0) {
            vmm_error_set(err, "Cannot open the serial log %s: %s.",
                          con->path, strerror(errno));
            vmm_console_free(con);
            return NULL;
        }
    } else {
        con->kind = CON_UNIX;
        con->path = strdup(spec + 5);
        con->listen_fd = listen_unix(con->path, err);
        if (con->listen_fd < 0) {
            con->kind = CON_NONE;
            vmm_console_free(con);
            return NULL;
        }
        con->listen_watch = vmm_loop_add_fd(loop, con->listen_fd, POLLIN,
                                            on_accept, con);
    }
    watch_input(con);
    return con;
}

void vmm_console_attach(VmmConsole *con, struct vmm_machine *m)
{
    con->m = m;
    m->serial_out = out;
    m->serial_opaque = con;
    if (con->pending_len && !con->retry_source)
        con->retry_source = vmm_loop_add_timeout(con->loop, 2, on_retry, con);
}

void vmm_console_detach(VmmConsole *con)
{
    con->m = NULL;
}

void vmm_console_free(VmmConsole *con)
{
    if (!con)
        return;
    vmm_loop_remove(con->loop, con->retry_source);
    vmm_loop_remove(con->loop, con->listen_watch);
    drop_client(con);
    if (con->listen_fd >= 0) {
        close(con->listen_fd);
        unlink(con->path);
    }
    if (con->kind == CON_FILE && con->out_fd >= 0)
        close(con->out_fd);
    pthread_mutex_destroy(&con->lock);
    free(con->backlog);
    free(con->path);
    free(con);
}
