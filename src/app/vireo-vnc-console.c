/* vireo-vnc-console.c: the guest's screen over VNC (gtk-vnc)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A VncDisplay on the stream the base class opened.  The clipboard goes
 * both ways: what the guest cuts is put on the host's clipboard, and what
 * the host copies is offered to the guest when it changes.  "Type clipboard"
 * sends text as key presses, with Shift where the keymap needs it.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <unistd.h>
#include <vncdisplay.h>

#include "vireo-vnc-console.h"

struct _VireoVncConsole {
    VireoConsole parent_instance;

    VncDisplay *display;
    GtkScrolledWindow *scroller; /* scrolls the screen shown 1:1 */
    gboolean scaling;
    gboolean initialized;
    /* What went wrong, said when the connection ends: gtk-vnc reports an
     * error or a refused password first, then "disconnected". */
    char *error_message;
    char *auth_failure;
    guint error_timeout;
    gboolean keyboard_grabbed;
    gboolean pointer_grabbed;
    guint64 frames;
    gulong update_handler;
    VncConnection *connection; /* while open, for the frame count */
    /* The clipboard text we last set from the guest, so that it is not
     * sent back to it. */
    char *guest_text;
    gulong owner_change_handler;
};

G_DEFINE_FINAL_TYPE(VireoVncConsole, vireo_vnc_console, VIREO_TYPE_CONSOLE)

enum {
    PROP_0,
    PROP_GRABBED,
    PROP_GUEST_WIDTH,
    PROP_GUEST_HEIGHT,
    N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
    SIGNAL_FIRST_FRAME,
    N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- scaling ---- */

/* Scaled, the screen fills the console; 1:1, it is as big as the guest's
 * and scrolls where the console is smaller. */
static void
update_size_request(VireoVncConsole *self)
{
    int width = -1, height = -1;

    if (!self->scaling && self->initialized) {
        int scale = gtk_widget_get_scale_factor(GTK_WIDGET(self));
        width = vnc_display_get_width(self->display) / scale;
        height = vnc_display_get_height(self->display) / scale;
    }
    gtk_widget_set_size_request(GTK_WIDGET(self->display), width, height);
    gtk_scrolled_window_set_policy(self->scroller,
                                   self->scaling ? GTK_POLICY_NEVER : GTK_POLICY_AUTOMATIC,
                                   self->scaling ? GTK_POLICY_NEVER : GTK_POLICY_AUTOMATIC);
}

/* ---- session ---- */

static void
on_framebuffer_update(VncConnection *connection, int x, int y, int width, int height,
                      VireoVncConsole *self)
{
    if (self->frames++ == 0) {
        g_debug("console: first frame");
        g_signal_emit(self, signals[SIGNAL_FIRST_FRAME], 0);
    }
}

static void
disconnect_connection(VireoVncConsole *self)
{
    if (self->connection) {
        g_clear_signal_handler(&self->update_handler, self->connection);
        g_clear_object(&self->connection);
    }
}

static void
on_vnc_initialized(VncDisplay *display, VireoVncConsole *self)
{
    self->initialized = TRUE;
    update_size_request(self);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_GUEST_WIDTH]);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_GUEST_HEIGHT]);
    vireo_console_emit_connected(VIREO_CONSOLE(self));
}

static void
on_vnc_desktop_resize(VncDisplay *display, int width, int height, VireoVncConsole *self)
{
    update_size_request(self);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_GUEST_WIDTH]);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_GUEST_HEIGHT]);
}

static void
end_session(VireoVncConsole *self)
{
    gboolean was_initialized = self->initialized;
    g_autofree char *error_message = g_steal_pointer(&self->error_message);
    g_autofree char *auth_failure = g_steal_pointer(&self->auth_failure);

    g_clear_handle_id(&self->error_timeout, g_source_remove);
    self->initialized = FALSE;
    if (auth_failure) {
        vireo_console_emit_ended(VIREO_CONSOLE(self), VIREO_CONSOLE_END_AUTH_FAILED,
                                 auth_failure);
    } else if (error_message) {
        vireo_console_emit_ended(VIREO_CONSOLE(self), VIREO_CONSOLE_END_ERROR, error_message);
    } else if (was_initialized) {
        /* The guest went away (shut down, reboot, QEMU gone). */
        vireo_console_emit_ended(VIREO_CONSOLE(self), VIREO_CONSOLE_END_CLOSED,
                                 _("The display of the virtual machine closed."));
    } else {
        vireo_console_emit_ended(VIREO_CONSOLE(self), VIREO_CONSOLE_END_ERROR,
                                 _("The display server closed the connection before showing "
                                   "anything."));
    }
}

static gboolean
error_timeout_cb(gpointer user_data)
{
    VireoVncConsole *self = user_data;

    /* No "disconnected" followed the error: end it here. */
    self->error_timeout = 0;
    end_session(self);
    return G_SOURCE_REMOVE;
}

static void
on_vnc_error(VncDisplay *display, const char *message, VireoVncConsole *self)
{
    if (!self->error_message)
        self->error_message = g_strdup_printf(_("The VNC connection failed: %s"), message);
    if (!self->error_timeout)
        self->error_timeout = g_timeout_add_seconds(2, error_timeout_cb, self);
}

static void
on_vnc_disconnected(VncDisplay *display, VireoVncConsole *self)
{
    end_session(self);
}

static void
on_vnc_auth_credential(VncDisplay *display, GValueArray *credentials, VireoVncConsole *self)
{
    gboolean need_password = FALSE;

    G_GNUC_BEGIN_IGNORE_DEPRECATIONS
    for (guint i = 0; i < credentials->n_values; i++) {
        int type = g_value_get_enum(g_value_array_get_nth(credentials, i));
        switch (type) {
        case VNC_DISPLAY_CREDENTIAL_PASSWORD:
            need_password = TRUE;
            break;
        case VNC_DISPLAY_CREDENTIAL_CLIENTNAME:
            vnc_display_set_credential(display, type, "vireo");
            break;
        case VNC_DISPLAY_CREDENTIAL_USERNAME:
            vnc_display_set_credential(display, type, g_get_user_name());
            break;
        default:
            break;
        }
    }
    G_GNUC_END_IGNORE_DEPRECATIONS
    if (need_password)
        vireo_console_emit_credentials_required(VIREO_CONSOLE(self));
}

static void
on_vnc_auth_failure(VncDisplay *display, const char *reason, VireoVncConsole *self)
{
    g_free(self->auth_failure);
    self->auth_failure = g_strdup_printf(
        _("The display refused the password (%s). Type the VNC password of the virtual "
          "machine again."),
        reason && *reason ? reason : _("no reason given"));
    if (!self->error_timeout)
        self->error_timeout = g_timeout_add_seconds(2, error_timeout_cb, self);
}

static void
on_vnc_auth_unsupported(VncDisplay *display, guint auth_type, VireoVncConsole *self)
{
    g_autofree char *text = g_strdup_printf(
        _("The display asks for a kind of authentication Vireo does not know (VNC type %u)."),
        auth_type);

    vireo_console_emit_ended(VIREO_CONSOLE(self), VIREO_CONSOLE_END_ERROR, text);
}

/* "grabbed" follows the pointer: gtk-vnc holds the keyboard whenever the
 * display has the focus, which needs no hint; a held pointer does. */
static void
update_grab(VireoVncConsole *self, gboolean *field, gboolean value)
{
    gboolean before = self->pointer_grabbed;

    *field = value;
    if (before != self->pointer_grabbed)
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_GRABBED]);
}

static void
on_keyboard_grab(VncDisplay *display, VireoVncConsole *self)
{
    update_grab(self, &self->keyboard_grabbed, TRUE);
}

static void
on_keyboard_ungrab(VncDisplay *display, VireoVncConsole *self)
{
    update_grab(self, &self->keyboard_grabbed, FALSE);
}

static void
on_pointer_grab(VncDisplay *display, VireoVncConsole *self)
{
    update_grab(self, &self->pointer_grabbed, TRUE);
}

static void
on_pointer_ungrab(VncDisplay *display, VireoVncConsole *self)
{
    update_grab(self, &self->pointer_grabbed, FALSE);
}

/* ---- clipboard ---- */

/* RFB cut text is Latin-1 (RFC 6143, 7.5.6 and 7.6.4) and gtk-vnc passes
 * bytes through as they are.  What the guest cuts is read as Latin-1,
 * unless it is valid UTF-8 with letters beyond ASCII: some servers send
 * that, and Latin-1 text almost never reads as UTF-8 by chance.  What the
 * host copies is sent as Latin-1, a character it lacks as "?". */
static char *
text_from_guest(const char *text)
{
    if (g_utf8_validate(text, -1, NULL))
        return g_strdup(text);
    return g_convert(text, -1, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
}

static char *
text_to_guest(const char *text)
{
    if (!g_utf8_validate(text, -1, NULL))
        return NULL;
    return g_convert_with_fallback(text, -1, "ISO-8859-1", "UTF-8", "?", NULL, NULL, NULL);
}

static void
on_server_cut_text(VncDisplay *display, const char *text, VireoVncConsole *self)
{
    GtkClipboard *clipboard = gtk_widget_get_clipboard(GTK_WIDGET(self), GDK_SELECTION_CLIPBOARD);
    g_autofree char *utf8 = text ? text_from_guest(text) : NULL;

    if (!utf8)
        return;
    g_free(self->guest_text);
    self->guest_text = g_strdup(utf8);
    gtk_clipboard_set_text(clipboard, utf8, -1);
}

static void
clipboard_text_received(GtkClipboard *clipboard, const char *text, gpointer user_data)
{
    g_autoptr(VireoVncConsole) self = user_data;

    if (!text || !vireo_console_is_connected(VIREO_CONSOLE(self)))
        return;
    if (g_strcmp0(text, self->guest_text) == 0)
        return; /* the guest's own text coming back */
    /* The guest holds other text from now on: its earlier text, copied on
     * the host again, is news to it. */
    g_clear_pointer(&self->guest_text, g_free);
    g_autofree char *latin1 = text_to_guest(text);
    if (latin1)
        vnc_display_client_cut_text(self->display, latin1);
}

static void
on_owner_change(GtkClipboard *clipboard, GdkEvent *event, VireoVncConsole *self)
{
    if (vireo_console_is_connected(VIREO_CONSOLE(self)))
        gtk_clipboard_request_text(clipboard, clipboard_text_received, g_object_ref(self));
}

/* ---- VireoConsole ---- */

static gboolean
vireo_vnc_console_open_fd(VireoConsole *console, int fd, GError **error)
{
    VireoVncConsole *self = VIREO_VNC_CONSOLE(console);

    self->initialized = FALSE;
    self->frames = 0;
    g_clear_pointer(&self->error_message, g_free);
    g_clear_pointer(&self->auth_failure, g_free);
    disconnect_connection(self);
    if (!vnc_display_open_fd(self->display, fd)) {
        close(fd);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    _("The VNC viewer could not use the connection."));
        return FALSE;
    }
    /* gtk-vnc dup()s nothing: the display owns @fd from here on. */
    self->connection = g_object_ref(vnc_display_get_connection(self->display));
    self->update_handler = g_signal_connect(self->connection, "vnc-framebuffer-update",
                                            G_CALLBACK(on_framebuffer_update), self);
    return TRUE;
}

static void
vireo_vnc_console_close(VireoConsole *console)
{
    VireoVncConsole *self = VIREO_VNC_CONSOLE(console);

    self->initialized = FALSE;
    g_clear_handle_id(&self->error_timeout, g_source_remove);
    disconnect_connection(self);
    if (vnc_display_is_open(self->display))
        vnc_display_close(self->display);
    update_grab(self, &self->keyboard_grabbed, FALSE);
    update_grab(self, &self->pointer_grabbed, FALSE);
}

static GdkPixbuf *
vireo_vnc_console_get_pixbuf(VireoConsole *console)
{
    VireoVncConsole *self = VIREO_VNC_CONSOLE(console);

    if (!self->initialized)
        return NULL;
    return vnc_display_get_pixbuf(self->display);
}

static void
vireo_vnc_console_send_keys(VireoConsole *console, const guint *keyvals, guint n_keyvals)
{
    VireoVncConsole *self = VIREO_VNC_CONSOLE(console);

    vnc_display_send_keys(self->display, keyvals, (int)n_keyvals);
}

/* The keyval for @c, and whether Shift is needed for it on this keymap. */
static guint
keyval_for_char(gunichar c, gboolean *shift)
{
    GdkKeymap *keymap = gdk_keymap_get_for_display(gdk_display_get_default());
    g_autofree GdkKeymapKey *keys = NULL;
    int n_keys = 0;
    guint keyval;

    *shift = FALSE;
    if (c == '\n')
        return GDK_KEY_Return;
    if (c == '\t')
        return GDK_KEY_Tab;
    keyval = gdk_unicode_to_keyval(c);
    if (gdk_keymap_get_entries_for_keyval(keymap, keyval, &keys, &n_keys) && n_keys > 0) {
        /* Prefer a key of the first group; level 1 is Shift. */
        for (int i = 0; i < n_keys; i++) {
            if (keys[i].group == 0) {
                *shift = keys[i].level == 1;
                return keyval;
            }
        }
        *shift = keys[0].level == 1;
    }
    return keyval;
}

static void
vireo_vnc_console_type_text(VireoConsole *console, const char *text)
{
    VireoVncConsole *self = VIREO_VNC_CONSOLE(console);

    for (const char *p = text; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char_validated(p, -1);
        gboolean shift;

        if (c == (gunichar)-1 || c == (gunichar)-2)
            break;
        if (c == '\r')
            continue;
        guint keyval = keyval_for_char(c, &shift);
        if (shift) {
            guint keys[] = {GDK_KEY_Shift_L, keyval};
            vnc_display_send_keys(self->display, keys, 2);
        } else {
            vnc_display_send_keys(self->display, &keyval, 1);
        }
    }
}

static void
vireo_vnc_console_set_password(VireoConsole *console, const char *password)
{
    VireoVncConsole *self = VIREO_VNC_CONSOLE(console);

    vnc_display_set_credential(self->display, VNC_DISPLAY_CREDENTIAL_PASSWORD, password);
}

/* ---- GObject ---- */

static void
vireo_vnc_console_realize(GtkWidget *widget)
{
    VireoVncConsole *self = VIREO_VNC_CONSOLE(widget);
    GtkClipboard *clipboard = gtk_widget_get_clipboard(widget, GDK_SELECTION_CLIPBOARD);

    GTK_WIDGET_CLASS(vireo_vnc_console_parent_class)->realize(widget);
    self->owner_change_handler =
        g_signal_connect(clipboard, "owner-change", G_CALLBACK(on_owner_change), self);
}

static void
vireo_vnc_console_unrealize(GtkWidget *widget)
{
    VireoVncConsole *self = VIREO_VNC_CONSOLE(widget);
    GtkClipboard *clipboard = gtk_widget_get_clipboard(widget, GDK_SELECTION_CLIPBOARD);

    g_clear_signal_handler(&self->owner_change_handler, clipboard);
    GTK_WIDGET_CLASS(vireo_vnc_console_parent_class)->unrealize(widget);
}

static void
vireo_vnc_console_finalize(GObject *object)
{
    VireoVncConsole *self = VIREO_VNC_CONSOLE(object);

    g_free(self->guest_text);
    g_free(self->error_message);
    g_free(self->auth_failure);
    G_OBJECT_CLASS(vireo_vnc_console_parent_class)->finalize(object);
}

static void
vireo_vnc_console_get_property(GObject *object, guint prop_id, GValue *value,
                               GParamSpec *pspec)
{
    VireoVncConsole *self = VIREO_VNC_CONSOLE(object);
    int width = 0, height = 0;

    vireo_vnc_console_get_guest_size(self, &width, &height);
    switch (prop_id) {
    case PROP_GRABBED:
        g_value_set_boolean(value, vireo_vnc_console_get_grabbed(self));
        break;
    case PROP_GUEST_WIDTH:
        g_value_set_int(value, width);
        break;
    case PROP_GUEST_HEIGHT:
        g_value_set_int(value, height);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void
vireo_vnc_console_class_init(VireoVncConsoleClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    VireoConsoleClass *console_class = VIREO_CONSOLE_CLASS(klass);

    object_class->finalize = vireo_vnc_console_finalize;
    object_class->get_property = vireo_vnc_console_get_property;
    widget_class->realize = vireo_vnc_console_realize;
    widget_class->unrealize = vireo_vnc_console_unrealize;

    console_class->graphical = TRUE;
    console_class->open_fd = vireo_vnc_console_open_fd;
    console_class->close = vireo_vnc_console_close;
    console_class->get_pixbuf = vireo_vnc_console_get_pixbuf;
    console_class->send_keys = vireo_vnc_console_send_keys;
    console_class->type_text = vireo_vnc_console_type_text;
    console_class->set_password = vireo_vnc_console_set_password;

    properties[PROP_GRABBED] = g_param_spec_boolean("grabbed", NULL, NULL, FALSE,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_GUEST_WIDTH] = g_param_spec_int("guest-width", NULL, NULL, 0, G_MAXINT, 0,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_GUEST_HEIGHT] = g_param_spec_int(
        "guest-height", NULL, NULL, 0, G_MAXINT, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    /* The first screen update after connecting. */
    signals[SIGNAL_FIRST_FRAME] = g_signal_new("first-frame", G_TYPE_FROM_CLASS(klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                               G_TYPE_NONE, 0);
}

static void
vireo_vnc_console_init(VireoVncConsole *self)
{
    self->display = VNC_DISPLAY(vnc_display_new());
    self->scaling = TRUE;
    vnc_display_set_scaling(self->display, TRUE);
    vnc_display_set_keep_aspect_ratio(self->display, TRUE);
    vnc_display_set_pointer_grab(self->display, TRUE);
    vnc_display_set_keyboard_grab(self->display, TRUE);
    /* Other viewers of the same VM stay connected. */
    vnc_display_set_shared_flag(self->display, TRUE);
    /* A guest that changes resolution is followed, not asked to. */
    vnc_display_set_force_size(self->display, FALSE);
    gtk_widget_set_can_focus(GTK_WIDGET(self->display), TRUE);
    gtk_widget_set_hexpand(GTK_WIDGET(self->display), TRUE);
    gtk_widget_set_vexpand(GTK_WIDGET(self->display), TRUE);
    atk_object_set_name(gtk_widget_get_accessible(GTK_WIDGET(self->display)),
                        _("Graphical console"));

    g_signal_connect(self->display, "vnc-initialized", G_CALLBACK(on_vnc_initialized), self);
    g_signal_connect(self->display, "vnc-disconnected", G_CALLBACK(on_vnc_disconnected), self);
    g_signal_connect(self->display, "vnc-error", G_CALLBACK(on_vnc_error), self);
    g_signal_connect(self->display, "vnc-desktop-resize", G_CALLBACK(on_vnc_desktop_resize),
                     self);
    g_signal_connect(self->display, "vnc-auth-credential", G_CALLBACK(on_vnc_auth_credential),
                     self);
    g_signal_connect(self->display, "vnc-auth-failure", G_CALLBACK(on_vnc_auth_failure), self);
    g_signal_connect(self->display, "vnc-auth-unsupported",
                     G_CALLBACK(on_vnc_auth_unsupported), self);
    g_signal_connect(self->display, "vnc-keyboard-grab", G_CALLBACK(on_keyboard_grab), self);
    g_signal_connect(self->display, "vnc-keyboard-ungrab", G_CALLBACK(on_keyboard_ungrab), self);
    g_signal_connect(self->display, "vnc-pointer-grab", G_CALLBACK(on_pointer_grab), self);
    g_signal_connect(self->display, "vnc-pointer-ungrab", G_CALLBACK(on_pointer_ungrab), self);
    g_signal_connect(self->display, "vnc-server-cut-text", G_CALLBACK(on_server_cut_text), self);

    self->scroller = GTK_SCROLLED_WINDOW(gtk_scrolled_window_new(NULL, NULL));
    gtk_scrolled_window_set_policy(self->scroller, GTK_POLICY_NEVER, GTK_POLICY_NEVER);
    atk_object_set_name(gtk_widget_get_accessible(GTK_WIDGET(self->scroller)),
                        _("Guest screen"));
    GtkWidget *viewport = gtk_viewport_new(NULL, NULL);
    gtk_viewport_set_shadow_type(GTK_VIEWPORT(viewport), GTK_SHADOW_NONE);
    gtk_container_add(GTK_CONTAINER(viewport), GTK_WIDGET(self->display));
    gtk_container_add(GTK_CONTAINER(self->scroller), viewport);
    gtk_widget_show_all(GTK_WIDGET(self->scroller));
    gtk_container_add(GTK_CONTAINER(self), GTK_WIDGET(self->scroller));
}

GtkWidget *
vireo_vnc_console_new(void)
{
    return g_object_new(VIREO_TYPE_VNC_CONSOLE, NULL);
}

void
vireo_vnc_console_set_scaling(VireoVncConsole *self, gboolean scaling)
{
    g_return_if_fail(VIREO_IS_VNC_CONSOLE(self));

    self->scaling = scaling;
    vnc_display_set_scaling(self->display, scaling);
    update_size_request(self);
}

gboolean
vireo_vnc_console_get_guest_size(VireoVncConsole *self, int *width, int *height)
{
    g_return_val_if_fail(VIREO_IS_VNC_CONSOLE(self), FALSE);

    if (!self->initialized)
        return FALSE;
    if (width)
        *width = vnc_display_get_width(self->display);
    if (height)
        *height = vnc_display_get_height(self->display);
    return TRUE;
}

gboolean
vireo_vnc_console_set_release_keys(VireoVncConsole *self, const char *keys)
{
    g_return_val_if_fail(VIREO_IS_VNC_CONSOLE(self), FALSE);

    if (!keys || !*keys)
        return FALSE;
    VncGrabSequence *sequence = vnc_grab_sequence_new_from_string(keys);
    gboolean valid = sequence && sequence->nkeysyms > 0;
    for (guint i = 0; valid && i < sequence->nkeysyms; i++)
        valid = sequence->keysyms[i] != 0 && sequence->keysyms[i] != GDK_KEY_VoidSymbol;
    if (valid)
        vnc_display_set_grab_keys(self->display, sequence);
    if (sequence)
        vnc_grab_sequence_free(sequence);
    return valid;
}

gboolean
vireo_vnc_console_get_grabbed(VireoVncConsole *self)
{
    g_return_val_if_fail(VIREO_IS_VNC_CONSOLE(self), FALSE);

    return self->pointer_grabbed;
}

guint64
vireo_vnc_console_get_frames(VireoVncConsole *self)
{
    g_return_val_if_fail(VIREO_IS_VNC_CONSOLE(self), 0);

    return self->frames;
}
