/* vireo-console.c: a VM's console widget (abstract)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <unistd.h>

#include "vireo-console.h"

typedef enum {
    STATE_IDLE,
    STATE_OPENING,    /* waiting for a stream */
    STATE_CONNECTING, /* the subclass has it */
    STATE_CONNECTED,
} State;

typedef struct {
    State state;
    GCancellable *cancellable; /* of the open in progress */
} VireoConsolePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE(VireoConsole, vireo_console, GTK_TYPE_BIN)

enum {
    SIGNAL_CONNECTED,
    SIGNAL_ENDED,
    SIGNAL_CREDENTIALS_REQUIRED,
    N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
cancel_open(VireoConsole *self)
{
    VireoConsolePrivate *priv = vireo_console_get_instance_private(self);

    if (priv->cancellable) {
        g_cancellable_cancel(priv->cancellable);
        g_clear_object(&priv->cancellable);
    }
}

static void
vireo_console_dispose(GObject *object)
{
    VireoConsole *self = VIREO_CONSOLE(object);

    vireo_console_close(self);

    G_OBJECT_CLASS(vireo_console_parent_class)->dispose(object);
}

static GdkPixbuf *
vireo_console_real_get_pixbuf(VireoConsole *self)
{
    GtkWidget *child = gtk_bin_get_child(GTK_BIN(self));
    GtkWidget *widget = child ? child : GTK_WIDGET(self);
    int width = gtk_widget_get_allocated_width(widget);
    int height = gtk_widget_get_allocated_height(widget);

    if (width <= 1 || height <= 1 || !gtk_widget_get_realized(widget))
        return NULL;
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
    cairo_t *cr = cairo_create(surface);
    gtk_widget_draw(widget, cr);
    cairo_destroy(cr);
    GdkPixbuf *pixbuf = gdk_pixbuf_get_from_surface(surface, 0, 0, width, height);
    cairo_surface_destroy(surface);
    return pixbuf;
}

static void
vireo_console_class_init(VireoConsoleClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->dispose = vireo_console_dispose;
    klass->get_pixbuf = vireo_console_real_get_pixbuf;

    /* The stream is up and the console shows the guest. */
    signals[SIGNAL_CONNECTED] = g_signal_new("connected", G_TYPE_FROM_CLASS(klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                             G_TYPE_NONE, 0);
    /* The session is over: (VireoConsoleEnd how, const char *message). */
    signals[SIGNAL_ENDED] =
        g_signal_new("ended", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
    /* The server asks for a password: answer with vireo_console_set_password(). */
    signals[SIGNAL_CREDENTIALS_REQUIRED] =
        g_signal_new("credentials-required", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                     NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
vireo_console_init(VireoConsole *self)
{
}

static void
take_fd(VireoConsole *self, int fd)
{
    VireoConsolePrivate *priv = vireo_console_get_instance_private(self);
    g_autoptr(GError) error = NULL;

    priv->state = STATE_CONNECTING;
    g_debug("console: stream open (fd %d)", fd);
    if (!VIREO_CONSOLE_GET_CLASS(self)->open_fd(self, fd, &error))
        vireo_console_emit_ended(self, VIREO_CONSOLE_END_ERROR, error->message);
}

static void
domain_opened(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(VireoConsole) self = user_data;
    VireoConsolePrivate *priv = vireo_console_get_instance_private(self);
    VireoDomain *domain = VIREO_DOMAIN(source);
    g_autoptr(GError) error = NULL;
    int fd;

    if (VIREO_CONSOLE_GET_CLASS(self)->graphical)
        fd = vireo_domain_open_graphics_finish(domain, result, &error);
    else
        fd = vireo_domain_open_serial_finish(domain, result, &error);

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return; /* closed or replaced meanwhile */
    g_clear_object(&priv->cancellable);
    if (fd < 0) {
        vireo_console_emit_ended(self, VIREO_CONSOLE_END_ERROR, error->message);
        return;
    }
    take_fd(self, fd);
}

void
vireo_console_open_domain(VireoConsole *self, VireoDomain *domain)
{
    g_return_if_fail(VIREO_IS_CONSOLE(self));
    g_return_if_fail(VIREO_IS_DOMAIN(domain));

    VireoConsolePrivate *priv = vireo_console_get_instance_private(self);

    vireo_console_close(self);
    priv->state = STATE_OPENING;
    priv->cancellable = g_cancellable_new();
    if (VIREO_CONSOLE_GET_CLASS(self)->graphical)
        vireo_domain_open_graphics_async(domain, priv->cancellable, domain_opened,
                                         g_object_ref(self));
    else
        vireo_domain_open_serial_async(domain, priv->cancellable, domain_opened,
                                       g_object_ref(self));
}

static void
address_connected(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(VireoConsole) self = user_data;
    VireoConsolePrivate *priv = vireo_console_get_instance_private(self);
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocketConnection) connection =
        g_socket_client_connect_finish(G_SOCKET_CLIENT(source), result, &error);

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    g_clear_object(&priv->cancellable);
    if (!connection) {
        g_autofree char *message =
            g_strdup_printf(_("Could not reach the console: %s"), error->message);
        vireo_console_emit_ended(self, VIREO_CONSOLE_END_ERROR, message);
        return;
    }
    take_fd(self, dup(g_socket_get_fd(g_socket_connection_get_socket(connection))));
}

void
vireo_console_open_address(VireoConsole *self, const char *address)
{
    g_return_if_fail(VIREO_IS_CONSOLE(self));
    g_return_if_fail(address != NULL);

    VireoConsolePrivate *priv = vireo_console_get_instance_private(self);
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketConnectable) connectable = NULL;
    g_autoptr(GError) error = NULL;

    vireo_console_close(self);
    if (address[0] == '/')
        connectable = G_SOCKET_CONNECTABLE(g_unix_socket_address_new(address));
    else
        connectable = g_network_address_parse(address, 5900, &error);
    if (!connectable) {
        g_autofree char *message =
            g_strdup_printf(_("“%s” is not a console address: %s"), address, error->message);
        vireo_console_emit_ended(self, VIREO_CONSOLE_END_ERROR, message);
        return;
    }
    priv->state = STATE_OPENING;
    priv->cancellable = g_cancellable_new();
    g_socket_client_set_timeout(client, 20);
    g_socket_client_connect_async(client, connectable, priv->cancellable, address_connected,
                                  g_object_ref(self));
}

void
vireo_console_open_fd(VireoConsole *self, int fd)
{
    g_return_if_fail(VIREO_IS_CONSOLE(self));
    g_return_if_fail(fd >= 0);

    vireo_console_close(self);
    take_fd(self, fd);
}

void
vireo_console_close(VireoConsole *self)
{
    g_return_if_fail(VIREO_IS_CONSOLE(self));

    VireoConsolePrivate *priv = vireo_console_get_instance_private(self);
    State was = priv->state;

    cancel_open(self);
    priv->state = STATE_IDLE;
    if (was >= STATE_CONNECTING)
        VIREO_CONSOLE_GET_CLASS(self)->close(self);
}

gboolean
vireo_console_is_connected(VireoConsole *self)
{
    g_return_val_if_fail(VIREO_IS_CONSOLE(self), FALSE);

    VireoConsolePrivate *priv = vireo_console_get_instance_private(self);
    return priv->state == STATE_CONNECTED;
}

gboolean
vireo_console_is_open(VireoConsole *self)
{
    g_return_val_if_fail(VIREO_IS_CONSOLE(self), FALSE);

    VireoConsolePrivate *priv = vireo_console_get_instance_private(self);
    return priv->state != STATE_IDLE;
}

GdkPixbuf *
vireo_console_get_pixbuf(VireoConsole *self)
{
    g_return_val_if_fail(VIREO_IS_CONSOLE(self), NULL);

    return VIREO_CONSOLE_GET_CLASS(self)->get_pixbuf(self);
}

gboolean
vireo_console_save_screenshot(VireoConsole *self, const char *path, GError **error)
{
    g_return_val_if_fail(VIREO_IS_CONSOLE(self), FALSE);
    g_return_val_if_fail(path != NULL, FALSE);

    g_autoptr(GdkPixbuf) pixbuf = vireo_console_get_pixbuf(self);
    g_autoptr(GError) local_error = NULL;

    if (!pixbuf) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                    _("The console shows nothing yet, so there is nothing to save."));
        return FALSE;
    }
    if (!gdk_pixbuf_save(pixbuf, path, "png", &local_error, NULL)) {
        g_set_error(error, local_error->domain, local_error->code,
                    _("Could not save the screenshot as %s: %s"), path, local_error->message);
        return FALSE;
    }
    return TRUE;
}

gboolean
vireo_console_can_send_keys(VireoConsole *self)
{
    g_return_val_if_fail(VIREO_IS_CONSOLE(self), FALSE);

    return VIREO_CONSOLE_GET_CLASS(self)->send_keys != NULL && vireo_console_is_connected(self);
}

void
vireo_console_send_keys(VireoConsole *self, const guint *keyvals, guint n_keyvals)
{
    g_return_if_fail(VIREO_IS_CONSOLE(self));

    if (vireo_console_can_send_keys(self))
        VIREO_CONSOLE_GET_CLASS(self)->send_keys(self, keyvals, n_keyvals);
}

void
vireo_console_type_text(VireoConsole *self, const char *text)
{
    g_return_if_fail(VIREO_IS_CONSOLE(self));

    if (text && vireo_console_is_connected(self) && VIREO_CONSOLE_GET_CLASS(self)->type_text)
        VIREO_CONSOLE_GET_CLASS(self)->type_text(self, text);
}

void
vireo_console_set_password(VireoConsole *self, const char *password)
{
    g_return_if_fail(VIREO_IS_CONSOLE(self));

    if (VIREO_CONSOLE_GET_CLASS(self)->set_password)
        VIREO_CONSOLE_GET_CLASS(self)->set_password(self, password ? password : "");
}

void
vireo_console_emit_connected(VireoConsole *self)
{
    g_return_if_fail(VIREO_IS_CONSOLE(self));

    VireoConsolePrivate *priv = vireo_console_get_instance_private(self);
    if (priv->state != STATE_CONNECTING)
        return;
    priv->state = STATE_CONNECTED;
    g_signal_emit(self, signals[SIGNAL_CONNECTED], 0);
}

void
vireo_console_emit_ended(VireoConsole *self, VireoConsoleEnd how, const char *message)
{
    g_return_if_fail(VIREO_IS_CONSOLE(self));

    VireoConsolePrivate *priv = vireo_console_get_instance_private(self);
    State was = priv->state;

    if (was == STATE_IDLE)
        return; /* closed by us: nobody is told */
    priv->state = STATE_IDLE;
    g_clear_object(&priv->cancellable);
    if (was >= STATE_CONNECTING)
        VIREO_CONSOLE_GET_CLASS(self)->close(self);
    g_signal_emit(self, signals[SIGNAL_ENDED], 0, (guint)how, message);
}

void
vireo_console_emit_credentials_required(VireoConsole *self)
{
    g_return_if_fail(VIREO_IS_CONSOLE(self));

    g_signal_emit(self, signals[SIGNAL_CREDENTIALS_REQUIRED], 0);
}

gboolean
vireo_console_keys_for_name(const char *name, guint *keyvals, guint *n_keyvals)
{
    static const struct {
        const char *name;
        guint keyvals[3];
    } table[] = {
        {"ctrl-alt-del", {GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_Delete}},
        {"ctrl-alt-backspace", {GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_BackSpace}},
        {"print", {GDK_KEY_Print}},
    };

    g_return_val_if_fail(name != NULL && keyvals != NULL && n_keyvals != NULL, FALSE);

    for (guint i = 0; i < G_N_ELEMENTS(table); i++) {
        if (!g_str_equal(table[i].name, name))
            continue;
        *n_keyvals = 0;
        for (guint k = 0; k < G_N_ELEMENTS(table[i].keyvals) && table[i].keyvals[k]; k++)
            keyvals[(*n_keyvals)++] = table[i].keyvals[k];
        return TRUE;
    }
    /* ctrl-alt-fN */
    if (g_str_has_prefix(name, "ctrl-alt-f")) {
        guint64 n = 0;
        if (g_ascii_string_to_unsigned(name + strlen("ctrl-alt-f"), 10, 1, 12, &n, NULL)) {
            keyvals[0] = GDK_KEY_Control_L;
            keyvals[1] = GDK_KEY_Alt_L;
            keyvals[2] = GDK_KEY_F1 + (guint)n - 1;
            *n_keyvals = 3;
            return TRUE;
        }
    }
    return FALSE;
}
