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
#include <glib-unix.h>
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
    guint in_watch, listen_watch, retry_source;
    GMutex lock;    /* out_fd changes on the main loop, used by vCPUs */
    struct vmm_machine *m;
    uint8_t pending[256];
    size_t pending_len;
    uint8_t *backlog; /* unix: output nobody read yet (under lock) */
    size_t backlog_len;
};

#define BACKLOG_SIZE 65536

gboolean vmm_console_spec_valid(const char *spec, GError **error)
{
    if (g_str_equal(spec, "stdio") || g_str_equal(spec, "none"))
        return TRUE;
    if ((g_str_has_prefix(spec, "unix:") || g_str_has_prefix(spec, "file:")) &&
        spec[5] != '\0') {
        if (g_str_has_prefix(spec, "unix:") &&
            strlen(spec + 5) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "The socket path %s is too long for a Unix socket.",
                        spec + 5);
            return FALSE;
        }
        return TRUE;
    }
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "Unknown serial back-end \"%s\": use stdio, unix:PATH, "
                "file:PATH or none.", spec);
    return FALSE;
}

/* Keeps the newest BACKLOG_SIZE bytes of output.  Lock held. */
static void keep(VmmConsole *con, const uint8_t *buf, size_t len)
{
    if (!con->backlog)
        con->backlog = g_malloc(BACKLOG_SIZE);
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

    g_mutex_lock(&con->lock);
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
    g_mutex_unlock(&con->lock);
}

static gboolean on_input(int fd, GIOCondition cond, gpointer data);

static void watch_input(VmmConsole *con)
{
    if (con->in_fd >= 0 && !con->in_watch)
        con->in_watch = g_unix_fd_add(con->in_fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                      on_input, con);
}

/* Pushes pending input into the UART; true when all of it went in. */
static gboolean flush_pending(VmmConsole *con)
{
    size_t n;

    if (!con->m)
        return con->pending_len == 0;
    n = vmm_uart_receive(con->m, con->pending, con->pending_len);
    memmove(con->pending, con->pending + n, con->pending_len - n);
    con->pending_len -= n;
    return con->pending_len == 0;
}

static gboolean on_retry(gpointer data)
{
    VmmConsole *con = data;

    if (!flush_pending(con))
        return G_SOURCE_CONTINUE;
    con->retry_source = 0;
    watch_input(con);
    return G_SOURCE_REMOVE;
}

static void drop_client(VmmConsole *con)
{
    if (con->in_watch)
        g_source_remove(con->in_watch);
    con->in_watch = 0;
    g_mutex_lock(&con->lock);
    if (con->kind == CON_UNIX && con->in_fd >= 0)
        close(con->in_fd);
    con->in_fd = -1;
    if (con->kind == CON_UNIX)
        con->out_fd = -1;
    g_mutex_unlock(&con->lock);
}

static gboolean on_input(int fd, GIOCondition cond, gpointer data)
{
    VmmConsole *con = data;
    ssize_t n;

    n = read(fd, con->pending + con->pending_len,
             sizeof(con->pending) - con->pending_len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return G_SOURCE_CONTINUE;
    if (n <= 0) {
        /* end of input: the VM goes on without it */
        con->in_watch = 0;
        if (con->kind == CON_UNIX)
            drop_client(con);
        else
            con->in_fd = -1;
        return G_SOURCE_REMOVE;
    }
    con->pending_len += (size_t)n;
    if (flush_pending(con))
        return G_SOURCE_CONTINUE;
    /* the guest is not reading fast enough: wait for it, not for us */
    con->in_watch = 0;
    if (!con->retry_source)
        con->retry_source = g_timeout_add(2, on_retry, con);
    return G_SOURCE_REMOVE;
}

static gboolean on_accept(int fd, GIOCondition cond, gpointer data)
{
    VmmConsole *con = data;
    int client = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (client < 0)
        return G_SOURCE_CONTINUE;
    /* one client at a time: the newest wins, as with a real cable */
    drop_client(con);
    g_mutex_lock(&con->lock);
    con->in_fd = con->out_fd = client;
    if (con->backlog_len) {
        /* a fresh socket's buffer takes the whole backlog */
        ssize_t n = send(client, con->backlog, con->backlog_len,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        (void)n;
        con->backlog_len = 0;
    }
    g_mutex_unlock(&con->lock);
    if (!con->retry_source)
        watch_input(con);
    return G_SOURCE_CONTINUE;
}

static int listen_unix(const char *path, GError **error)
{
    int fd = vmm_unix_listen(path, 4);

    if (fd == -EEXIST)
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                    "%s exists and is not a socket; choose another path.",
                    path);
    else if (fd < 0)
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(-fd),
                    "Cannot listen on %s: %s.", path, g_strerror(-fd));
    return fd;
}

VmmConsole *vmm_console_new(const char *spec, GError **error)
{
    g_autofree VmmConsole *con = g_new0(VmmConsole, 1);

    if (!vmm_console_spec_valid(spec, error))
        return NULL;
    con->out_fd = con->in_fd = con->listen_fd = -1;
    g_mutex_init(&con->lock);
    if (g_str_equal(spec, "none")) {
        con->kind = CON_NONE;
    } else if (g_str_equal(spec, "stdio")) {
        con->kind = CON_STDIO;
        con->out_fd = STDOUT_FILENO;
        /* stdin stays blocking (it may be the user's terminal); the
         * watch only reads when there is something to read */
        con->in_fd = STDIN_FILENO;
    } else if (g_str_has_prefix(spec, "file:")) {
        con->kind = CON_FILE;
        con->path = g_strdup(spec + 5);
        con->out_fd = open(con->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                           0600);
        if (con->out_fd < 0) {
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                        "Cannot open the serial log %s: %s.", con->path,
                        g_strerror(errno));
            g_free(con->path);
            return NULL;
        }
    } else {
        con->kind = CON_UNIX;
        con->path = g_strdup(spec + 5);
        con->listen_fd = listen_unix(con->path, error);
        if (con->listen_fd < 0) {
            g_free(con->path);
            return NULL;
        }
        con->listen_watch = g_unix_fd_add(con->listen_fd, G_IO_IN, on_accept,
                                          con);
    }
    watch_input(con);
    return g_steal_pointer(&con);
}

void vmm_console_attach(VmmConsole *con, struct vmm_machine *m)
{
    con->m = m;
    m->serial_out = out;
    m->serial_opaque = con;
    if (con->pending_len && !con->retry_source)
        con->retry_source = g_timeout_add(2, on_retry, con);
}

void vmm_console_detach(VmmConsole *con)
{
    con->m = NULL;
}

void vmm_console_free(VmmConsole *con)
{
    if (!con)
        return;
    if (con->retry_source)
        g_source_remove(con->retry_source);
    if (con->listen_watch)
        g_source_remove(con->listen_watch);
    drop_client(con);
    if (con->listen_fd >= 0) {
        close(con->listen_fd);
        unlink(con->path);
    }
    if (con->kind == CON_FILE && con->out_fd >= 0)
        close(con->out_fd);
    g_mutex_clear(&con->lock);
    g_free(con->backlog);
    g_free(con->path);
    g_free(con);
}
