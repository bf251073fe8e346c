/* vireoctl-console.c: `vireoctl console NAME`, the serial console in a terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The terminal goes raw (keys such as Ctrl+C reach the guest), bytes are
 * copied both ways, and Ctrl+] (0x1d) leaves, as in virsh.  Without a
 * terminal (a pipe), input ends at end of file but output keeps flowing
 * until the console closes or a 0x1d arrives.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "vireoctl.h"

#define ESCAPE 0x1d /* Ctrl+] */

typedef struct {
    GMainLoop *loop;
    int fd;
    gboolean closed_by_guest;
    gboolean failed;
} Relay;

static gboolean
write_all(int fd, const char *data, gsize length)
{
    while (length > 0) {
        ssize_t n = write(fd, data, length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        data += n;
        length -= (gsize)n;
    }
    return TRUE;
}

static gboolean
on_stdin(int fd, GIOCondition condition, gpointer user_data)
{
    Relay *relay = user_data;
    char buffer[4096];
    ssize_t n = read(fd, buffer, sizeof(buffer));

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return G_SOURCE_CONTINUE;
    if (n <= 0)
        return G_SOURCE_REMOVE; /* no more input; the output goes on */
    char *escape = memchr(buffer, ESCAPE, (size_t)n);
    gsize length = escape ? (gsize)(escape - buffer) : (gsize)n;
    if (length > 0 && !write_all(relay->fd, buffer, length)) {
        relay->closed_by_guest = TRUE;
        g_main_loop_quit(relay->loop);
        return G_SOURCE_REMOVE;
    }
    if (escape) {
        g_main_loop_quit(relay->loop);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static gboolean
on_console(int fd, GIOCondition condition, gpointer user_data)
{
    Relay *relay = user_data;
    char buffer[4096];
    ssize_t n = read(fd, buffer, sizeof(buffer));

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return G_SOURCE_CONTINUE;
    if (n <= 0 || !write_all(STDOUT_FILENO, buffer, (gsize)n)) {
        relay->closed_by_guest = n <= 0;
        relay->failed = n > 0;
        g_main_loop_quit(relay->loop);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

int
vctl_console(VireoDomain *domain)
{
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;
    struct termios saved, raw;
    gboolean tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    Relay relay = {0};

    vireo_domain_open_serial_async(domain, NULL, vctl_store_result, &result);
    vctl_wait(&result);
    relay.fd = vireo_domain_open_serial_finish(domain, result, &error);
    if (relay.fd < 0)
        return vctl_fail("%s", error->message);
    /* plain blocking writes: the console is slow, never stuck for long */
    fcntl(relay.fd, F_SETFL, fcntl(relay.fd, F_GETFL) & ~O_NONBLOCK);

    g_printerr(_("Connected to domain '%s'\nEscape character is ^] (Ctrl + ])\n"),
               vireo_domain_get_name(domain));
    if (tty) {
        raw = saved;
        cfmakeraw(&raw);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
    }

    relay.loop = g_main_loop_new(NULL, FALSE);
    g_unix_fd_add(STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, &relay);
    g_unix_fd_add(relay.fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_console, &relay);
    g_main_loop_run(relay.loop);
    g_main_loop_unref(relay.loop);
    while (g_source_remove_by_user_data(&relay))
        ;
    close(relay.fd);

    if (tty)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    if (relay.closed_by_guest)
        g_printerr(_("\nThe console of '%s' closed.\n"), vireo_domain_get_name(domain));
    else
        g_printerr("\n");
    return relay.failed ? 1 : 0;
}
