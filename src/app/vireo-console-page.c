/* vireo-console-page.c: a VM's console, or a page that says why there is none
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vireo-console-page.h"
#include "vireo-serial-console.h"
#include "vireo-vnc-console.h"

/* A display that closes while its VM runs (a reboot, QEMU restarting it) is
 * reconnected this many times, waiting longer each time. */
#define MAX_RETRIES      6
#define RETRY_DELAY_MSEC 250

struct _VireoConsolePage {
    GtkStack parent_instance;

    VireoConnection *connection;
    char *domain_name;
    VireoDomain *domain;
    gboolean serial;
    VireoConsole *console;
    VireoConsoleStatus status;

    gboolean failed;         /* a failure is shown until the user retries */
    gboolean ever_connected; /* this session reached the guest once */
    guint retries;
    guint retry_source;
    char *password;          /* what the user typed, for reconnects */
    GCancellable *cancellable;

    /* Template children */
    GtkImage *status_icon;
    GtkSpinner *status_spinner;
    GtkLabel *status_title;
    GtkLabel *status_detail;
    GtkWidget *run_button;
    GtkWidget *retry_button;
    GtkWidget *connect_button;
    GtkLabel *password_title;
    GtkLabel *password_problem;
    GtkEntry *password_entry;
    GtkBox *console_box;
};

G_DEFINE_FINAL_TYPE(VireoConsolePage, vireo_console_page, GTK_TYPE_STACK)

enum {
    PROP_0,
    PROP_STATUS,
    PROP_CONSOLE,
    PROP_DOMAIN,
    N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void update(VireoConsolePage *self);

/* ---- what the page shows ---- */

typedef enum {
    BUTTON_NONE,
    BUTTON_RUN,
    BUTTON_RETRY,
    BUTTON_CONNECT,
} Button;

static void
set_status(VireoConsolePage *self, VireoConsoleStatus status)
{
    if (self->status == status)
        return;
    self->status = status;
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_STATUS]);
}

static void
show_status(VireoConsolePage *self, VireoConsoleStatus status, const char *icon,
            const char *title, const char *detail, Button button)
{
    gboolean busy = icon == NULL;

    gtk_widget_set_visible(GTK_WIDGET(self->status_icon), !busy);
    if (icon)
        gtk_image_set_from_icon_name(self->status_icon, icon, GTK_ICON_SIZE_DIALOG);
    gtk_widget_set_visible(GTK_WIDGET(self->status_spinner), busy);
    if (busy)
        gtk_spinner_start(self->status_spinner);
    else
        gtk_spinner_stop(self->status_spinner);
    gtk_label_set_text(self->status_title, title);
    gtk_label_set_text(self->status_detail, detail ? detail : "");
    gtk_widget_set_visible(GTK_WIDGET(self->status_detail), detail && *detail);
    gtk_widget_set_visible(self->run_button, button == BUTTON_RUN);
    gtk_widget_set_visible(self->retry_button, button == BUTTON_RETRY);
    gtk_widget_set_visible(self->connect_button, button == BUTTON_CONNECT);
    gtk_stack_set_visible_child_name(GTK_STACK(self), "status");
    set_status(self, status);
}

static void
show_connecting(VireoConsolePage *self, const char *title)
{
    show_status(self, VIREO_CONSOLE_STATUS_CONNECTING, NULL, title, NULL, BUTTON_NONE);
}

static void
show_failure(VireoConsolePage *self, const char *title, const char *detail)
{
    self->failed = TRUE;
    show_status(self, VIREO_CONSOLE_STATUS_FAILED, "dialog-error-symbolic", title, detail,
                BUTTON_RETRY);
}

static void
show_password(VireoConsolePage *self, const char *problem)
{
    g_autofree char *title =
        g_strdup_printf(_("The display of “%s” needs a password."), self->domain_name);

    gtk_label_set_text(self->password_title, title);
    gtk_label_set_text(self->password_problem, problem ? problem : "");
    gtk_widget_set_visible(GTK_WIDGET(self->password_problem), problem != NULL);
    gtk_entry_set_text(self->password_entry, "");
    gtk_stack_set_visible_child_name(GTK_STACK(self), "password");
    gtk_widget_grab_focus(GTK_WIDGET(self->password_entry));
    set_status(self, VIREO_CONSOLE_STATUS_PASSWORD);
}

/* ---- the console ---- */

static void
stop_console(VireoConsolePage *self)
{
    g_clear_handle_id(&self->retry_source, g_source_remove);
    if (self->console)
        vireo_console_close(self->console);
    self->ever_connected = FALSE;
    self->retries = 0;
}

static void
open_console(VireoConsolePage *self)
{
    g_autofree char *title = NULL;

    if (self->ever_connected)
        title = g_strdup_printf(_("Reconnecting to “%s”…"), self->domain_name);
    else if (self->serial)
        title = g_strdup_printf(_("Opening the serial console of “%s”…"), self->domain_name);
    else
        title = g_strdup_printf(_("Connecting to the display of “%s”…"), self->domain_name);
    show_connecting(self, title);
    g_debug("console of %s: opening (%s)", self->domain_name, self->serial ? "serial" : "graphics");
    vireo_console_open_domain(self->console, self->domain);
}

static gboolean
retry_cb(gpointer user_data)
{
    VireoConsolePage *self = user_data;

    self->retry_source = 0;
    if (self->domain && vireo_domain_is_active(self->domain))
        open_console(self);
    else
        update(self);
    return G_SOURCE_REMOVE;
}

static void
on_console_connected(VireoConsole *console, VireoConsolePage *self)
{
    g_debug("console of %s: connected", self->domain_name);
    self->ever_connected = TRUE;
    self->retries = 0;
    self->failed = FALSE;
    gtk_stack_set_visible_child_name(GTK_STACK(self), "console");
    gtk_widget_grab_focus(gtk_bin_get_child(GTK_BIN(console)));
    set_status(self, VIREO_CONSOLE_STATUS_CONNECTED);
}

static void
on_console_ended(VireoConsole *console, guint how, const char *message, VireoConsolePage *self)
{
    gboolean running = self->domain && vireo_domain_is_active(self->domain);

    if (how == VIREO_CONSOLE_END_AUTH_FAILED) {
        g_clear_pointer(&self->password, g_free);
        show_password(self, message);
        return;
    }
    /* A display that went away under a running VM comes back (reboot):
     * follow it.  A first attempt that fails says why at once. */
    if (running && (how == VIREO_CONSOLE_END_CLOSED || self->ever_connected) &&
        self->retries < MAX_RETRIES) {
        g_autofree char *title =
            g_strdup_printf(_("Reconnecting to “%s”…"), self->domain_name);
        guint delay = RETRY_DELAY_MSEC << self->retries++;
        show_connecting(self, title);
        self->retry_source = g_timeout_add(delay, retry_cb, self);
        return;
    }
    if (!running) {
        update(self);
        return;
    }
    g_autofree char *title = self->serial
                                 ? g_strdup_printf(_("Could not open the serial console of “%s”."),
                                                   self->domain_name)
                                 : g_strdup_printf(_("Could not show the display of “%s”."),
                                                   self->domain_name);
    self->ever_connected = FALSE;
    self->retries = 0;
    show_failure(self, title, message);
}

static void
on_credentials_required(VireoConsole *console, VireoConsolePage *self)
{
    if (self->password)
        vireo_console_set_password(console, self->password);
    else
        show_password(self, NULL);
}

static void
submit_password(VireoConsolePage *self)
{
    const char *text = gtk_entry_get_text(self->password_entry);

    g_free(self->password);
    self->password = g_strdup(text);
    gtk_entry_set_text(self->password_entry, "");
    if (self->console && vireo_console_is_open(self->console)) {
        /* The server is waiting for it. */
        show_connecting(self, _("Logging in…"));
        vireo_console_set_password(self->console, self->password);
    } else if (self->domain && vireo_domain_is_active(self->domain)) {
        open_console(self);
    }
}

static void
on_password_activate(GtkEntry *entry, VireoConsolePage *self)
{
    submit_password(self);
}

static void
on_password_clicked(GtkButton *button, VireoConsolePage *self)
{
    submit_password(self);
}

static void
replace_console(VireoConsolePage *self)
{
    if (self->console) {
        g_signal_handlers_disconnect_by_data(self->console, self);
        vireo_console_close(self->console);
        gtk_widget_destroy(GTK_WIDGET(self->console));
        self->console = NULL;
    }
    self->console = VIREO_CONSOLE(self->serial ? vireo_serial_console_new()
                                               : vireo_vnc_console_new());
    gtk_widget_set_hexpand(GTK_WIDGET(self->console), TRUE);
    gtk_widget_set_vexpand(GTK_WIDGET(self->console), TRUE);
    g_signal_connect(self->console, "connected", G_CALLBACK(on_console_connected), self);
    g_signal_connect(self->console, "ended", G_CALLBACK(on_console_ended), self);
    g_signal_connect(self->console, "credentials-required", G_CALLBACK(on_credentials_required),
                     self);
    gtk_widget_show(GTK_WIDGET(self->console));
    gtk_container_add(GTK_CONTAINER(self->console_box), GTK_WIDGET(self->console));
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_CONSOLE]);
}

/* ---- following the VM ---- */

static void on_domain_active(GObject *object, GParamSpec *pspec, VireoConsolePage *self);

static void
set_domain(VireoConsolePage *self, VireoDomain *domain)
{
    if (self->domain == domain)
        return;
    if (self->domain) {
        g_signal_handlers_disconnect_by_data(self->domain, self);
        g_clear_object(&self->domain);
    }
    if (domain) {
        self->domain = g_object_ref(domain);
        g_signal_connect(domain, "notify::active", G_CALLBACK(on_domain_active), self);
        g_signal_connect_swapped(domain, "notify::state", G_CALLBACK(update), self);
    }
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_DOMAIN]);
}

static void
on_domain_active(GObject *object, GParamSpec *pspec, VireoConsolePage *self)
{
    /* A new run (or its end): whatever failed before may work now. */
    self->failed = FALSE;
    update(self);
}

static void
update(VireoConsolePage *self)
{
    g_autofree char *host = vireo_connection_dup_display_name(self->connection);
    g_autofree char *title = NULL;
    VireoConnectionState state = vireo_connection_get_state(self->connection);

    if (state != VIREO_CONNECTION_STATE_CONNECTED) {
        stop_console(self);
        set_domain(self, NULL);
        if (state == VIREO_CONNECTION_STATE_CONNECTING) {
            title = g_strdup_printf(_("Connecting to %s…"), host);
            show_connecting(self, title);
            return;
        }
        const char *why = vireo_connection_get_error_message(self->connection);
        title = g_strdup_printf(_("Vireo is not connected to %s."), host);
        show_status(self, VIREO_CONSOLE_STATUS_NO_HOST, "network-offline-symbolic", title,
                    why ? why : _("Connect to the host to see the console of its virtual "
                                  "machines."),
                    BUTTON_CONNECT);
        return;
    }

    if (!self->domain)
        set_domain(self,
                   vireo_connection_lookup_domain_by_name(self->connection, self->domain_name));
    if (!self->domain) {
        stop_console(self);
        title = g_strdup_printf(_("There is no virtual machine named “%s” on %s."),
                                self->domain_name, host);
        show_status(self, VIREO_CONSOLE_STATUS_NO_VM, "dialog-question-symbolic", title,
                    _("It may have been deleted or renamed. Choose it again in the main "
                      "window."),
                    BUTTON_NONE);
        return;
    }

    if (!vireo_domain_is_active(self->domain)) {
        VireoDomainState domain_state = vireo_domain_get_state(self->domain);
        const char *reason = vireo_domain_get_state_reason(self->domain);
        g_autofree char *detail = NULL;

        stop_console(self);
        if (domain_state == VIREO_DOMAIN_STATE_CRASHED)
            title = g_strdup_printf(_("“%s” crashed."), self->domain_name);
        else
            title = g_strdup_printf(_("“%s” is shut off."), self->domain_name);
        if (reason && *reason)
            detail = g_strdup_printf(_("Reason: %s. Run it to see its console."), reason);
        else
            detail = g_strdup(_("Run it to see its console."));
        show_status(self, VIREO_CONSOLE_STATUS_OFF, "system-shutdown-symbolic", title, detail,
                    BUTTON_RUN);
        return;
    }

    /* Running: a console that is up or on its way stays; a failure stays
     * until the user tries again. */
    if (self->failed || self->retry_source || vireo_console_is_open(self->console))
        return;
    open_console(self);
}

static void
on_domains_changed(GListModel *domains, guint position, guint removed, guint added,
                   VireoConsolePage *self)
{
    if (removed > 0 && self->domain) {
        /* Still listed? */
        gboolean found = FALSE;
        for (guint i = 0; i < g_list_model_get_n_items(domains) && !found; i++) {
            g_autoptr(GObject) item = g_list_model_get_item(domains, i);
            found = item == G_OBJECT(self->domain);
        }
        if (!found) {
            stop_console(self);
            set_domain(self, NULL);
        }
    }
    update(self);
}

/* ---- buttons ---- */

static void
on_run_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(VireoConsolePage) self = user_data;
    g_autoptr(GError) error = NULL;

    if (vireo_domain_action_finish(VIREO_DOMAIN(source), result, &error))
        return; /* the state change brings the console */
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    g_autofree char *title = g_strdup_printf(_("Could not start “%s”."), self->domain_name);
    show_failure(self, title, error->message);
}

static void
on_run_clicked(GtkButton *button, VireoConsolePage *self)
{
    g_autofree char *title = g_strdup_printf(_("Starting “%s”…"), self->domain_name);

    if (!self->domain)
        return;
    show_connecting(self, title);
    vireo_domain_action_async(self->domain, VIREO_DOMAIN_ACTION_START, self->cancellable,
                              on_run_done, g_object_ref(self));
}

static void
on_retry_clicked(GtkButton *button, VireoConsolePage *self)
{
    vireo_console_page_reconnect(self);
}

static void
on_connect_clicked(GtkButton *button, VireoConsolePage *self)
{
    vireo_connection_open_async(self->connection, self->cancellable, NULL, NULL);
}

/* ---- GObject ---- */

static void
vireo_console_page_dispose(GObject *object)
{
    VireoConsolePage *self = VIREO_CONSOLE_PAGE(object);

    if (self->cancellable)
        g_cancellable_cancel(self->cancellable);
    g_clear_handle_id(&self->retry_source, g_source_remove);
    if (self->console) {
        g_signal_handlers_disconnect_by_data(self->console, self);
        vireo_console_close(self->console);
        self->console = NULL;
    }
    set_domain(self, NULL);
    if (self->connection) {
        g_signal_handlers_disconnect_by_data(self->connection, self);
        g_signal_handlers_disconnect_by_data(vireo_connection_get_domains(self->connection),
                                             self);
        g_clear_object(&self->connection);
    }
    g_clear_object(&self->cancellable);

    G_OBJECT_CLASS(vireo_console_page_parent_class)->dispose(object);
}

static void
vireo_console_page_finalize(GObject *object)
{
    VireoConsolePage *self = VIREO_CONSOLE_PAGE(object);

    g_free(self->domain_name);
    g_free(self->password);
    G_OBJECT_CLASS(vireo_console_page_parent_class)->finalize(object);
}

static void
vireo_console_page_get_property(GObject *object, guint prop_id, GValue *value,
                                GParamSpec *pspec)
{
    VireoConsolePage *self = VIREO_CONSOLE_PAGE(object);

    switch (prop_id) {
    case PROP_STATUS:
        g_value_set_int(value, self->status);
        break;
    case PROP_CONSOLE:
        g_value_set_object(value, self->console);
        break;
    case PROP_DOMAIN:
        g_value_set_object(value, self->domain);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void
vireo_console_page_class_init(VireoConsolePageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->dispose = vireo_console_page_dispose;
    object_class->finalize = vireo_console_page_finalize;
    object_class->get_property = vireo_console_page_get_property;

    properties[PROP_STATUS] =
        g_param_spec_int("status", NULL, NULL, VIREO_CONSOLE_STATUS_NO_HOST,
                         VIREO_CONSOLE_STATUS_FAILED, VIREO_CONSOLE_STATUS_NO_HOST,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_CONSOLE] = g_param_spec_object("console", NULL, NULL, VIREO_TYPE_CONSOLE,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_DOMAIN] = g_param_spec_object("domain", NULL, NULL, VIREO_TYPE_DOMAIN,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/vireo/Vireo/vireo-console-page.ui");
    gtk_widget_class_bind_template_child(widget_class, VireoConsolePage, status_icon);
    gtk_widget_class_bind_template_child(widget_class, VireoConsolePage, status_spinner);
    gtk_widget_class_bind_template_child(widget_class, VireoConsolePage, status_title);
    gtk_widget_class_bind_template_child(widget_class, VireoConsolePage, status_detail);
    gtk_widget_class_bind_template_child(widget_class, VireoConsolePage, run_button);
    gtk_widget_class_bind_template_child(widget_class, VireoConsolePage, retry_button);
    gtk_widget_class_bind_template_child(widget_class, VireoConsolePage, connect_button);
    gtk_widget_class_bind_template_child(widget_class, VireoConsolePage, password_title);
    gtk_widget_class_bind_template_child(widget_class, VireoConsolePage, password_problem);
    gtk_widget_class_bind_template_child(widget_class, VireoConsolePage, password_entry);
    gtk_widget_class_bind_template_child(widget_class, VireoConsolePage, console_box);
    gtk_widget_class_bind_template_callback(widget_class, on_run_clicked);
    gtk_widget_class_bind_template_callback(widget_class, on_retry_clicked);
    gtk_widget_class_bind_template_callback(widget_class, on_connect_clicked);
    gtk_widget_class_bind_template_callback(widget_class, on_password_activate);
    gtk_widget_class_bind_template_callback(widget_class, on_password_clicked);
}

static void
vireo_console_page_init(VireoConsolePage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->cancellable = g_cancellable_new();
    self->status = VIREO_CONSOLE_STATUS_NO_HOST;
}

GtkWidget *
vireo_console_page_new(VireoConnection *connection, const char *domain_name)
{
    g_return_val_if_fail(VIREO_IS_CONNECTION(connection), NULL);
    g_return_val_if_fail(domain_name != NULL, NULL);

    VireoConsolePage *self = g_object_new(VIREO_TYPE_CONSOLE_PAGE, NULL);

    self->connection = g_object_ref(connection);
    self->domain_name = g_strdup(domain_name);
    g_signal_connect_swapped(connection, "notify::state", G_CALLBACK(update), self);
    g_signal_connect(vireo_connection_get_domains(connection), "items-changed",
                     G_CALLBACK(on_domains_changed), self);
    replace_console(self);
    update(self);
    return GTK_WIDGET(self);
}

VireoConnection *
vireo_console_page_get_connection(VireoConsolePage *self)
{
    g_return_val_if_fail(VIREO_IS_CONSOLE_PAGE(self), NULL);
    return self->connection;
}

const char *
vireo_console_page_get_domain_name(VireoConsolePage *self)
{
    g_return_val_if_fail(VIREO_IS_CONSOLE_PAGE(self), NULL);
    return self->domain_name;
}

VireoDomain *
vireo_console_page_get_domain(VireoConsolePage *self)
{
    g_return_val_if_fail(VIREO_IS_CONSOLE_PAGE(self), NULL);
    return self->domain;
}

VireoConsoleStatus
vireo_console_page_get_status(VireoConsolePage *self)
{
    g_return_val_if_fail(VIREO_IS_CONSOLE_PAGE(self), VIREO_CONSOLE_STATUS_NO_HOST);
    return self->status;
}

VireoConsole *
vireo_console_page_get_console(VireoConsolePage *self)
{
    g_return_val_if_fail(VIREO_IS_CONSOLE_PAGE(self), NULL);
    return self->console;
}

void
vireo_console_page_set_serial(VireoConsolePage *self, gboolean serial)
{
    g_return_if_fail(VIREO_IS_CONSOLE_PAGE(self));

    serial = !!serial;
    if (self->serial == serial)
        return;
    self->serial = serial;
    stop_console(self);
    self->failed = FALSE;
    replace_console(self);
    update(self);
}

gboolean
vireo_console_page_get_serial(VireoConsolePage *self)
{
    g_return_val_if_fail(VIREO_IS_CONSOLE_PAGE(self), FALSE);
    return self->serial;
}

void
vireo_console_page_reconnect(VireoConsolePage *self)
{
    g_return_if_fail(VIREO_IS_CONSOLE_PAGE(self));

    self->failed = FALSE;
    stop_console(self);
    update(self);
}
