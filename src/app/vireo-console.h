/* vireo-console.h: a VM's console widget, one subclass per kind
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * As virt-viewer's display classes: the base opens the stream (from a
 * domain through libvireo, from an address, or from a file descriptor) and
 * reports how it ends; VireoVncConsole shows a screen over VNC and
 * VireoSerialConsole a terminal on a byte stream.
 */
#pragma once

#include <gtk/gtk.h>

#include "vireo.h"

G_BEGIN_DECLS

typedef enum {
    VIREO_CONSOLE_END_CLOSED,      /* the other side closed (VM stopped, rebooting…) */
    VIREO_CONSOLE_END_ERROR,       /* could not be reached, or broke */
    VIREO_CONSOLE_END_AUTH_FAILED, /* the password was refused */
} VireoConsoleEnd;

#define VIREO_TYPE_CONSOLE (vireo_console_get_type())
G_DECLARE_DERIVABLE_TYPE(VireoConsole, vireo_console, VIREO, CONSOLE, GtkBin)

struct _VireoConsoleClass {
    GtkBinClass parent_class;

    /* TRUE: opened through vireo_domain_open_graphics_async(), else serial. */
    gboolean graphical;

    /* Takes @fd; the session goes on asynchronously and ends in
     * vireo_console_emit_connected() or _emit_ended(). */
    gboolean (*open_fd)(VireoConsole *self, int fd, GError **error);
    void (*close)(VireoConsole *self);
    /* What the console shows, at its own resolution.  Default: the widget. */
    GdkPixbuf *(*get_pixbuf)(VireoConsole *self);
    /* Press @keyvals together, then release them; NULL: not supported. */
    void (*send_keys)(VireoConsole *self, const guint *keyvals, guint n_keyvals);
    /* Type @text as keystrokes. */
    void (*type_text)(VireoConsole *self, const char *text);
    /* Answers a "credentials-required" request. */
    void (*set_password)(VireoConsole *self, const char *password);

    gpointer padding[8];
};

/* Opens the console of @domain (graphical or serial, by the subclass). */
void vireo_console_open_domain(VireoConsole *self, VireoDomain *domain);
/* Opens a stream to "host:port" or a Unix socket path. */
void vireo_console_open_address(VireoConsole *self, const char *address);
/* Takes @fd, a connected stream. */
void vireo_console_open_fd(VireoConsole *self, int fd);
void vireo_console_close(VireoConsole *self);
gboolean vireo_console_is_connected(VireoConsole *self);
/* TRUE while opening or connected. */
gboolean vireo_console_is_open(VireoConsole *self);

GdkPixbuf *vireo_console_get_pixbuf(VireoConsole *self);
gboolean vireo_console_save_screenshot(VireoConsole *self, const char *path, GError **error);
gboolean vireo_console_can_send_keys(VireoConsole *self);
void vireo_console_send_keys(VireoConsole *self, const guint *keyvals, guint n_keyvals);
void vireo_console_type_text(VireoConsole *self, const char *text);
void vireo_console_set_password(VireoConsole *self, const char *password);

/* For subclasses. */
void vireo_console_emit_connected(VireoConsole *self);
/* Ends the session (once) with @how and a sentence for the user. */
void vireo_console_emit_ended(VireoConsole *self, VireoConsoleEnd how, const char *message);
void vireo_console_emit_credentials_required(VireoConsole *self);

/* The keyvals of a send-key name ("ctrl-alt-del", "ctrl-alt-backspace",
 * "ctrl-alt-f1"…"ctrl-alt-f12", "print"); FALSE for an unknown name. */
gboolean vireo_console_keys_for_name(const char *name, guint *keyvals, guint *n_keyvals);

G_END_DECLS
