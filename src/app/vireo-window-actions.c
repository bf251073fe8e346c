/* vireo-window-actions.c: the main window's actions (win.*)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Toolbar buttons, context menus and accelerators all activate these
 * GActions.  VM actions ask for confirmation where the settings say so, run
 * asynchronously in libvireo, and show a failure in the window's error bar
 * with libvireo's message.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vireo-add-connection-dialog.h"
#include "vireo-delete-dialog.h"
#include "vireo-window-private.h"

/* One VM action or delete, from the click to its outcome. */
typedef struct {
    VireoWindow *window;
    VireoDomain *domain;
    GCancellable *cancellable;
    gboolean is_delete;
    VireoDomainAction action; /* unless is_delete */
} Operation;

static Operation *
operation_new(VireoWindow *self, VireoDomain *domain, gboolean is_delete,
              VireoDomainAction action)
{
    Operation *op = g_new0(Operation, 1);

    op->window = g_object_ref(self);
    op->domain = g_object_ref(domain);
    op->cancellable = g_object_ref(self->cancellable);
    op->is_delete = is_delete;
    op->action = action;
    return op;
}

static void
operation_free(Operation *op)
{
    g_object_unref(op->window);
    g_object_unref(op->domain);
    g_object_unref(op->cancellable);
    g_free(op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Operation, operation_free)

/* Whole sentences, one per action, so that translators see them whole. */
static char *
action_error_title(VireoDomainAction action, const char *name)
{
    switch (action) {
    case VIREO_DOMAIN_ACTION_START:
        return g_strdup_printf(_("Could not start “%s”."), name);
    case VIREO_DOMAIN_ACTION_SHUTDOWN:
        return g_strdup_printf(_("Could not shut down “%s”."), name);
    case VIREO_DOMAIN_ACTION_REBOOT:
        return g_strdup_printf(_("Could not reboot “%s”."), name);
    case VIREO_DOMAIN_ACTION_FORCE_OFF:
        return g_strdup_printf(_("Could not force “%s” off."), name);
    case VIREO_DOMAIN_ACTION_PAUSE:
        return g_strdup_printf(_("Could not pause “%s”."), name);
    case VIREO_DOMAIN_ACTION_RESUME:
        return g_strdup_printf(_("Could not resume “%s”."), name);
    case VIREO_DOMAIN_ACTION_SAVE:
        return g_strdup_printf(_("Could not save “%s”."), name);
    default:
        g_assert_not_reached();
    }
}

static void
on_operation_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(Operation) op = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *title = NULL;
    const char *name = vireo_domain_get_name(op->domain);
    gboolean ok;

    if (op->is_delete)
        ok = vireo_domain_delete_finish(VIREO_DOMAIN(source), result, &error);
    else
        ok = vireo_domain_action_finish(VIREO_DOMAIN(source), result, &error);
    if (ok && !op->is_delete && op->action == VIREO_DOMAIN_ACTION_START &&
        vireo_domain_get_notice(op->domain)) {
        g_autofree char *started =
            g_strdup_printf(_("“%s” started without some parts of its definition."), name);
        vireo_window_show_notice(op->window, started, vireo_domain_get_notice(op->domain));
    }
    if (ok && !op->is_delete && op->action == VIREO_DOMAIN_ACTION_SHUTDOWN)
        vireo_window_watch_shutdown(op->window, op->domain);
    if (ok || g_cancellable_is_cancelled(op->cancellable))
        return;
    if (op->is_delete)
        title = g_strdup_printf(_("Could not delete “%s”."), name);
    else
        title = action_error_title(op->action, name);
    vireo_window_show_error(op->window, title, error->message);
}

static void
run_action(Operation *op)
{
    vireo_domain_action_async(op->domain, op->action, op->cancellable, on_operation_done, op);
}

/* ---- confirmation ---- */

static const char *
confirm_key(VireoDomainAction action)
{
    switch (action) {
    case VIREO_DOMAIN_ACTION_FORCE_OFF:
        return "confirm-force-off";
    case VIREO_DOMAIN_ACTION_SHUTDOWN:
    case VIREO_DOMAIN_ACTION_REBOOT:
        return "confirm-shutdown";
    case VIREO_DOMAIN_ACTION_PAUSE:
        return "confirm-pause";
    default:
        return NULL;
    }
}

static void
on_confirm_response(GtkDialog *dialog, int response, gpointer user_data)
{
    Operation *op = user_data;
    GtkToggleButton *check = g_object_get_data(G_OBJECT(dialog), "vireo-dont-ask");

    if (response == GTK_RESPONSE_ACCEPT) {
        if (gtk_toggle_button_get_active(check))
            g_settings_set_boolean(op->window->settings, confirm_key(op->action), FALSE);
        run_action(op);
    } else {
        operation_free(op);
    }
    gtk_widget_destroy(GTK_WIDGET(dialog));
}

static void
confirm_action(VireoWindow *self, Operation *op)
{
    const char *name = vireo_domain_get_name(op->domain);
    g_autofree char *question = NULL;
    const char *detail;
    const char *button;
    GtkWidget *dialog;
    GtkWidget *check;
    GtkWidget *accept;

    switch (op->action) {
    case VIREO_DOMAIN_ACTION_FORCE_OFF:
        question = g_strdup_printf(_("Force “%s” off?"), name);
        detail = _("The virtual machine stops at once, like a computer whose power cord is "
                   "pulled. Whatever its guest system had not written to disk is lost.");
        button = _("_Force Off");
        break;
    case VIREO_DOMAIN_ACTION_SHUTDOWN:
        question = g_strdup_printf(_("Shut down “%s”?"), name);
        detail = _("The guest system is asked to shut down, as if its power button was "
                   "pressed. Programs running in it are closed.");
        button = _("_Shut Down");
        break;
    case VIREO_DOMAIN_ACTION_REBOOT:
        question = g_strdup_printf(_("Reboot “%s”?"), name);
        detail = _("The guest system is asked to restart. Programs running in it are closed.");
        button = _("_Reboot");
        break;
    case VIREO_DOMAIN_ACTION_PAUSE:
        question = g_strdup_printf(_("Pause “%s”?"), name);
        detail = _("The virtual machine stops running and keeps its memory until it is "
                   "resumed. Its network connections may time out meanwhile.");
        button = _("_Pause");
        break;
    default:
        g_assert_not_reached();
    }

    dialog = gtk_message_dialog_new(GTK_WINDOW(self), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                    GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE, "%s", question);
    gtk_message_dialog_format_secondary_text(GTK_MESSAGE_DIALOG(dialog), "%s", detail);
    gtk_dialog_add_button(GTK_DIALOG(dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
    accept = gtk_dialog_add_button(GTK_DIALOG(dialog), button, GTK_RESPONSE_ACCEPT);
    if (op->action == VIREO_DOMAIN_ACTION_FORCE_OFF)
        gtk_style_context_add_class(gtk_widget_get_style_context(accept), "destructive-action");
    gtk_dialog_set_default_response(GTK_DIALOG(dialog), GTK_RESPONSE_CANCEL);

    check = gtk_check_button_new_with_mnemonic(_("_Do not ask again"));
    gtk_widget_show(check);
    gtk_container_add(GTK_CONTAINER(gtk_message_dialog_get_message_area(GTK_MESSAGE_DIALOG(dialog))),
                      check);
    g_object_set_data(G_OBJECT(dialog), "vireo-dont-ask", check);

    g_signal_connect(dialog, "response", G_CALLBACK(on_confirm_response), op);
    gtk_window_present(GTK_WINDOW(dialog));
}

static void
activate_domain_action(VireoWindow *self, VireoDomainAction action)
{
    const char *key = confirm_key(action);
    Operation *op;

    if (self->selected_domain == NULL)
        return;
    op = operation_new(self, self->selected_domain, FALSE, action);
    if (key != NULL && g_settings_get_boolean(self->settings, key))
        confirm_action(self, op);
    else
        run_action(op);
}

#define DOMAIN_ACTION(func, value)                                                          \
    static void func(GSimpleAction *action, GVariant *parameter, gpointer user_data)       \
    {                                                                                       \
        activate_domain_action(VIREO_WINDOW(user_data), value);                             \
    }

DOMAIN_ACTION(on_run, VIREO_DOMAIN_ACTION_START)
DOMAIN_ACTION(on_pause, VIREO_DOMAIN_ACTION_PAUSE)
DOMAIN_ACTION(on_resume, VIREO_DOMAIN_ACTION_RESUME)
DOMAIN_ACTION(on_shutdown, VIREO_DOMAIN_ACTION_SHUTDOWN)
DOMAIN_ACTION(on_reboot, VIREO_DOMAIN_ACTION_REBOOT)
DOMAIN_ACTION(on_force_off, VIREO_DOMAIN_ACTION_FORCE_OFF)
DOMAIN_ACTION(on_save, VIREO_DOMAIN_ACTION_SAVE)

/* ---- delete ---- */

static void
run_delete(Operation *op, VireoDomainDeleteFlags flags)
{
    vireo_domain_delete_async(op->domain, flags, op->cancellable, on_operation_done, op);
}

static void
on_delete_response(GtkDialog *dialog, int response, gpointer user_data)
{
    Operation *op = user_data;

    if (response == GTK_RESPONSE_ACCEPT)
        run_delete(op, vireo_delete_dialog_get_flags(VIREO_DELETE_DIALOG(dialog)));
    else
        operation_free(op);
    gtk_widget_destroy(GTK_WIDGET(dialog));
}

static void
on_delete(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    VireoWindow *self = user_data;
    GtkWidget *dialog;
    Operation *op;

    if (self->selected_domain == NULL)
        return;
    op = operation_new(self, self->selected_domain, TRUE, 0);
    if (!g_settings_get_boolean(self->settings, "confirm-delete")) {
        /* Without a question, never delete disks: only the definition goes. */
        run_delete(op, VIREO_DOMAIN_DELETE_NONE);
        return;
    }
    dialog = vireo_delete_dialog_new(GTK_WINDOW(self), self->selected_domain);
    g_signal_connect(dialog, "response", G_CALLBACK(on_delete_response), op);
    gtk_window_present(GTK_WINDOW(dialog));
}

/* ---- consoles ---- */

static void
on_open_console(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    VireoWindow *self = user_data;

    if (self->selected_domain == NULL || self->selected_connection == NULL)
        return;
    vireo_application_show_console(self->application, self->selected_connection,
                                   vireo_domain_get_name(self->selected_domain));
}

/* ---- connections ---- */

static void
on_add_connection_response(GtkDialog *dialog, int response, gpointer user_data)
{
    VireoWindow *self = user_data;
    VireoAddConnectionDialog *add = VIREO_ADD_CONNECTION_DIALOG(dialog);
    g_autoptr(GError) error = NULL;
    g_autofree char *uri = NULL;

    if (response != GTK_RESPONSE_ACCEPT) {
        gtk_widget_destroy(GTK_WIDGET(dialog));
        return;
    }
    uri = vireo_add_connection_dialog_dup_uri(add);
    if (uri == NULL)
        return; /* the dialog already says what is missing */
    if (vireo_connection_store_add(self->store, uri,
                                   vireo_add_connection_dialog_get_autoconnect(add), TRUE,
                                   &error) == NULL) {
        /* Keep the dialog and what was typed; say what is wrong. */
        vireo_add_connection_dialog_set_problem(add, error->message);
        return;
    }
    gtk_widget_destroy(GTK_WIDGET(dialog));
}

static void
on_add_connection(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    VireoWindow *self = user_data;
    GtkWidget *dialog = vireo_add_connection_dialog_new(GTK_WINDOW(self));

    g_signal_connect_object(dialog, "response", G_CALLBACK(on_add_connection_response), self, 0);
    gtk_window_present(GTK_WINDOW(dialog));
}

static void
on_connect(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    VireoWindow *self = user_data;

    if (self->selected_connection != NULL)
        vireo_connection_store_open(self->store, self->selected_connection);
}

static void
on_disconnect(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    VireoWindow *self = user_data;

    if (self->selected_connection != NULL)
        vireo_connection_close(self->selected_connection);
}

static void
on_remove_connection(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    VireoWindow *self = user_data;
    g_autoptr(VireoConnection) connection = NULL;

    if (self->selected_connection == NULL)
        return;
    connection = g_object_ref(self->selected_connection);
    vireo_connection_store_remove(self->store, connection);
}

static void
on_autoconnect_changed(GSimpleAction *action, GVariant *value, gpointer user_data)
{
    VireoWindow *self = user_data;

    if (self->selected_connection == NULL)
        return;
    vireo_connection_store_set_autoconnect(self->store, self->selected_connection,
                                           g_variant_get_boolean(value));
    g_simple_action_set_state(action, value);
}

static const GActionEntry win_actions[] = {
    {"add-connection", on_add_connection},
    {"connect", on_connect},
    {"disconnect", on_disconnect},
    {"remove-connection", on_remove_connection},
    {"autoconnect", NULL, NULL, "false", on_autoconnect_changed},
    {"run", on_run},
    {"pause", on_pause},
    {"resume", on_resume},
    {"shutdown", on_shutdown},
    {"reboot", on_reboot},
    {"force-off", on_force_off},
    {"save", on_save},
    {"delete", on_delete},
    {"open-console", on_open_console},
};

void
vireo_window_install_actions(VireoWindow *self)
{
    g_action_map_add_action_entries(G_ACTION_MAP(self), win_actions, G_N_ELEMENTS(win_actions),
                                    self);
}

static void
set_enabled(VireoWindow *self, const char *name, gboolean enabled)
{
    GAction *action = g_action_map_lookup_action(G_ACTION_MAP(self), name);

    g_simple_action_set_enabled(G_SIMPLE_ACTION(action), enabled);
}

void
vireo_window_update_actions(VireoWindow *self)
{
    static const struct {
        const char *name;
        VireoDomainAction action;
    } domain_actions[] = {
        {"run", VIREO_DOMAIN_ACTION_START},
        {"pause", VIREO_DOMAIN_ACTION_PAUSE},
        {"resume", VIREO_DOMAIN_ACTION_RESUME},
        {"shutdown", VIREO_DOMAIN_ACTION_SHUTDOWN},
        {"reboot", VIREO_DOMAIN_ACTION_REBOOT},
        {"force-off", VIREO_DOMAIN_ACTION_FORCE_OFF},
        {"save", VIREO_DOMAIN_ACTION_SAVE},
    };
    VireoDomain *domain = self->selected_domain;
    VireoConnection *connection = self->selected_connection;
    VireoConnectionState state = VIREO_CONNECTION_STATE_DISCONNECTED;
    GAction *autoconnect;

    if (g_action_map_lookup_action(G_ACTION_MAP(self), "run") == NULL)
        return; /* not installed yet */

    for (guint i = 0; i < G_N_ELEMENTS(domain_actions); i++)
        set_enabled(self, domain_actions[i].name,
                    domain != NULL && vireo_domain_can_do(domain, domain_actions[i].action));
    set_enabled(self, "delete", domain != NULL);
    set_enabled(self, "open-console", domain != NULL);

    if (connection != NULL)
        state = vireo_connection_get_state(connection);
    set_enabled(self, "connect",
                connection != NULL && state == VIREO_CONNECTION_STATE_DISCONNECTED);
    set_enabled(self, "disconnect",
                connection != NULL && state != VIREO_CONNECTION_STATE_DISCONNECTED);
    set_enabled(self, "remove-connection", connection != NULL);
    set_enabled(self, "autoconnect", connection != NULL);
    autoconnect = g_action_map_lookup_action(G_ACTION_MAP(self), "autoconnect");
    g_simple_action_set_state(
        G_SIMPLE_ACTION(autoconnect),
        g_variant_new_boolean(connection != NULL &&
                              vireo_connection_store_get_autoconnect(self->store, connection)));
}
