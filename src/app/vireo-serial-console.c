/* vireo-serial-console.c: a terminal on the guest's serial port (VTE)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the stream brings is fed to the terminal; what the user types (the
 * terminal's "commit") is written back, buffered while the stream is full.
 */
#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <unistd.h>
#include <vte/vte.h>

#include "vireo-serial-console.h"

struct _VireoSerialConsole {
    VireoConsole parent_instance;

    VteTerminal *terminal;
    int fd;
    guint read_source;
    guint write_source;
    GByteArray *pending; /* typed, not yet written */
};

G_DEFINE_FINAL_TYPE(VireoSerialConsole, vireo_serial_console, VIREO_TYPE_CONSOLE)

static void
end_with_errno(VireoSerialConsole *self, int saved_errno)
{
    g_autofree char *text =
        g_strdup_printf(_("The serial console broke: %s"), g_strerror(saved_errno));

    vireo_console_emit_ended(VIREO_CONSOLE(self), VIREO_CONSOLE_END_ERROR, text);
}

static gboolean
on_readable(int fd, GIOCondition condition, gpointer user_data)
{
    VireoSerialConsole *self = user_data;
    char buffer[8192];

    for (;;) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n > 0) {
            vte_terminal_feed(self->terminal, buffer, n);
            if ((size_t)n < sizeof buffer)
                return G_SOURCE_CONTINUE;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return G_SOURCE_CONTINUE;
        self->read_source = 0;
        if (n == 0)
            vireo_console_emit_ended(VIREO_CONSOLE(self), VIREO_CONSOLE_END_CLOSED,
                                     _("The serial console closed: the virtual machine stopped "
                                       "or another client took the console over."));
        else
            end_with_errno(self, errno);
        return G_SOURCE_REMOVE;
    }
}

static gboolean flush_pending(VireoSerialConsole *self);

static gboolean
on_writable(int fd, GIOCondition condition, gpointer user_data)
{
    VireoSerialConsole *self = user_data;

    self->write_source = 0;
    flush_pending(self);
    return G_SOURCE_REMOVE;
}

/* Writes what it can; FALSE when the console ended. */
static gboolean
flush_pending(VireoSerialConsole *self)
{
    while (self->pending->len > 0) {
        ssize_t n = write(self->fd, self->pending->data, self->pending->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            if (!self->write_source)
                self->write_source = g_unix_fd_add(self->fd, G_IO_OUT, on_writable, self);
            return TRUE;
        }
        if (n < 0) {
            end_with_errno(self, errno);
            return FALSE;
        }
        g_byte_array_remove_range(self->pending, 0, n);
    }
    return TRUE;
}

static void
on_commit(VteTerminal *terminal, const char *text, guint size, VireoSerialConsole *self)
{
    if (self->fd < 0)
        return;
    g_byte_array_append(self->pending, (const guint8 *)text, size);
    flush_pending(self);
}

static gboolean
vireo_serial_console_open_fd(VireoConsole *console, int fd, GError **error)
{
    VireoSerialConsole *self = VIREO_SERIAL_CONSOLE(console);
    g_autoptr(GError) local_error = NULL;

    if (!g_unix_set_fd_nonblocking(fd, TRUE, &local_error)) {
        close(fd);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    _("The serial console cannot be used: %s"), local_error->message);
        return FALSE;
    }
    self->fd = fd;
    g_byte_array_set_size(self->pending, 0);
    vte_terminal_reset(self->terminal, TRUE, TRUE);
    self->read_source = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_readable, self);
    /* A byte stream has no handshake: it is up. */
    vireo_console_emit_connected(console);
    return TRUE;
}

static void
vireo_serial_console_close(VireoConsole *console)
{
    VireoSerialConsole *self = VIREO_SERIAL_CONSOLE(console);

    g_clear_handle_id(&self->read_source, g_source_remove);
    g_clear_handle_id(&self->write_source, g_source_remove);
    if (self->fd >= 0) {
        close(self->fd);
        self->fd = -1;
    }
    g_byte_array_set_size(self->pending, 0);
}

static void
vireo_serial_console_type_text(VireoConsole *console, const char *text)
{
    VireoSerialConsole *self = VIREO_SERIAL_CONSOLE(console);

    /* As if typed: through "commit". */
    vte_terminal_feed_child(self->terminal, text, -1);
}

static void
vireo_serial_console_finalize(GObject *object)
{
    VireoSerialConsole *self = VIREO_SERIAL_CONSOLE(object);

    g_byte_array_unref(self->pending);
    G_OBJECT_CLASS(vireo_serial_console_parent_class)->finalize(object);
}

static void
vireo_serial_console_class_init(VireoSerialConsoleClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    VireoConsoleClass *console_class = VIREO_CONSOLE_CLASS(klass);

    object_class->finalize = vireo_serial_console_finalize;

    console_class->graphical = FALSE;
    console_class->open_fd = vireo_serial_console_open_fd;
    console_class->close = vireo_serial_console_close;
    console_class->type_text = vireo_serial_console_type_text;
}

static void
vireo_serial_console_init(VireoSerialConsole *self)
{
    GtkWidget *scrolled = gtk_scrolled_window_new(NULL, NULL);

    self->fd = -1;
    self->pending = g_byte_array_new();
    self->terminal = VTE_TERMINAL(vte_terminal_new());
    vte_terminal_set_scrollback_lines(self->terminal, 10000);
    vte_terminal_set_scroll_on_output(self->terminal, TRUE);
    vte_terminal_set_scroll_on_keystroke(self->terminal, TRUE);
    gtk_widget_set_hexpand(GTK_WIDGET(self->terminal), TRUE);
    gtk_widget_set_vexpand(GTK_WIDGET(self->terminal), TRUE);
    atk_object_set_name(gtk_widget_get_accessible(GTK_WIDGET(self->terminal)),
                        _("Serial console"));
    g_signal_connect(self->terminal, "commit", G_CALLBACK(on_commit), self);

    gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scrolled), GTK_POLICY_NEVER,
                                   GTK_POLICY_AUTOMATIC);
    gtk_container_add(GTK_CONTAINER(scrolled), GTK_WIDGET(self->terminal));
    gtk_widget_show_all(scrolled);
    gtk_container_add(GTK_CONTAINER(self), scrolled);
}

GtkWidget *
vireo_serial_console_new(void)
{
    return g_object_new(VIREO_TYPE_SERIAL_CONSOLE, NULL);
}

char *
vireo_serial_console_dup_text(VireoSerialConsole *self)
{
    g_return_val_if_fail(VIREO_IS_SERIAL_CONSOLE(self), NULL);

    return vte_terminal_get_text(self->terminal, NULL, NULL, NULL);
}
