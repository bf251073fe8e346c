/* vireo-window.c: the main window, connections and their VMs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GtkTreeStore mirrors the store's connections (top-level rows) and each
 * connection's domains (children), following their items-changed signals;
 * cells are drawn from the objects by data functions, so a property change
 * is one row-changed and a statistics sample one redraw.  Nothing here
 * waits on a hypervisor: libvireo reports through signals.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vireo-cell-renderer-sparkline.h"
#include "vireo-window-private.h"

G_DEFINE_FINAL_TYPE(VireoWindow, vireo_window, GTK_TYPE_APPLICATION_WINDOW)

enum {
    PROP_0,
    PROP_APPLICATION_OBJECT,
    N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define DOMAINS_OWNER_KEY "vireo-window-connection"

static GObject *
object_at(VireoWindow *self, GtkTreeIter *iter)
{
    GObject *object = NULL;

    /* The store keeps a reference; return a borrowed pointer. */
    gtk_tree_model_get(GTK_TREE_MODEL(self->model), iter, 0, &object, -1);
    if (object != NULL)
        g_object_unref(object);
    return object;
}

static gboolean
lookup_row(VireoWindow *self, gpointer object, GtkTreeIter *iter)
{
    GtkTreeIter *found = g_hash_table_lookup(self->rows, object);

    if (found == NULL)
        return FALSE;
    *iter = *found;
    return TRUE;
}

static void
row_changed(VireoWindow *self, gpointer object)
{
    GtkTreeIter iter;
    g_autoptr(GtkTreePath) path = NULL;

    if (!lookup_row(self, object, &iter))
        return;
    path = gtk_tree_model_get_path(GTK_TREE_MODEL(self->model), &iter);
    gtk_tree_model_row_changed(GTK_TREE_MODEL(self->model), path, &iter);
}

/* ---- details strip under the list ---- */

static void
update_details(VireoWindow *self)
{
    g_autofree char *text = NULL;
    const char *tooltip = NULL;
    VireoStats *stats = NULL;

    if (self->selected_domain != NULL) {
        VireoDomain *domain = self->selected_domain;
        guint vcpus = vireo_domain_get_vcpus(domain);
        g_autofree char *memory = g_format_size_full(vireo_domain_get_memory(domain) * 1024,
                                                     G_FORMAT_SIZE_IEC_UNITS);

        text = g_strdup_printf(g_dngettext(GETTEXT_PACKAGE,
                                           "%s: %s, %u virtual CPU, %s of memory",
                                           "%s: %s, %u virtual CPUs, %s of memory", vcpus),
                               vireo_domain_get_name(domain),
                               vireo_domain_state_to_string(vireo_domain_get_state(domain)),
                               vcpus, memory);
        tooltip = vireo_domain_get_state_reason(domain);
        /* why it crashed (and where its log is) is the first thing to know */
        if (vireo_domain_get_state(domain) == VIREO_DOMAIN_STATE_CRASHED && tooltip) {
            char *with_reason = g_strdup_printf(_("%s — %s"), text, tooltip);
            g_free(text);
            text = with_reason;
        }
        stats = vireo_domain_get_stats(domain);
    } else if (self->selected_connection != NULL) {
        text = g_strdup_printf(_("Connection %s"),
                               vireo_connection_get_uri(self->selected_connection));
        tooltip = vireo_connection_get_error_message(self->selected_connection);
        if (!tooltip)
            tooltip = vireo_connection_get_warning(self->selected_connection);
        stats = vireo_connection_get_host_stats(self->selected_connection);
    } else {
        text = g_strdup(_("Add a connection with the + button to see its virtual machines."));
    }
    gtk_label_set_text(self->details_label, text);
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->details_label), tooltip);
    vireo_graph_set_stats(self->details_graph, stats);
}

static void
on_selected_changed(VireoWindow *self)
{
    update_details(self);
    vireo_window_update_actions(self);
}

static void
set_selection(VireoWindow *self, VireoConnection *connection, VireoDomain *domain)
{
    if (self->selected_domain == domain && self->selected_connection == connection)
        return;
    if (self->selected_domain != domain) {
        if (self->selected_domain != NULL)
            g_signal_handlers_disconnect_by_func(self->selected_domain, on_selected_changed, self);
        g_set_object(&self->selected_domain, domain);
        if (domain != NULL)
            g_signal_connect_swapped(domain, "notify", G_CALLBACK(on_selected_changed), self);
    }
    if (self->selected_connection != connection) {
        if (self->selected_connection != NULL)
            g_signal_handlers_disconnect_by_func(self->selected_connection, on_selected_changed,
                                                 self);
        g_set_object(&self->selected_connection, connection);
        if (connection != NULL)
            g_signal_connect_swapped(connection, "notify", G_CALLBACK(on_selected_changed), self);
    }
    if (!gtk_widget_in_destruction(GTK_WIDGET(self)))
        on_selected_changed(self);
}

static void
on_selection_changed(GtkTreeSelection *selection, VireoWindow *self)
{
    GtkTreeIter iter;
    GObject *object;

    if (!gtk_tree_selection_get_selected(selection, NULL, &iter)) {
        set_selection(self, NULL, NULL);
        return;
    }
    object = object_at(self, &iter);
    if (VIREO_IS_DOMAIN(object))
        set_selection(self, vireo_domain_get_connection(VIREO_DOMAIN(object)),
                      VIREO_DOMAIN(object));
    else
        set_selection(self, VIREO_CONNECTION(object), NULL);
}

/* ---- domain rows ---- */

static void
on_domain_notify(VireoWindow *self, GParamSpec *pspec, VireoDomain *domain)
{
    row_changed(self, domain);
}

static void
on_stats_changed(VireoWindow *self)
{
    /* GDK merges these into one redraw of the visible rows per frame. */
    gtk_widget_queue_draw(GTK_WIDGET(self->tree_view));
}

static void
add_domain_row(VireoWindow *self, GtkTreeIter *parent, int position, VireoDomain *domain)
{
    GtkTreeIter iter;

    gtk_tree_store_insert_with_values(self->model, &iter, parent, position, 0, domain, -1);
    g_hash_table_insert(self->rows, domain, g_memdup2(&iter, sizeof iter));
    g_signal_connect_swapped(domain, "notify", G_CALLBACK(on_domain_notify), self);
    g_signal_connect_swapped(vireo_domain_get_stats(domain), "changed",
                             G_CALLBACK(on_stats_changed), self);
}

static void clear_shutdown_offer(VireoWindow *self);

static void
forget_domain(VireoWindow *self, VireoDomain *domain)
{
    if (self->slow_shutdown == domain)
        clear_shutdown_offer(self);
    g_signal_handlers_disconnect_by_data(domain, self);
    g_signal_handlers_disconnect_by_data(vireo_domain_get_stats(domain), self);
    g_hash_table_remove(self->rows, domain);
}

static void
on_domains_changed(GListModel *domains, guint position, guint removed, guint added,
                   VireoWindow *self)
{
    VireoConnection *connection = g_object_get_data(G_OBJECT(domains), DOMAINS_OWNER_KEY);
    GtkTreeModel *model = GTK_TREE_MODEL(self->model);
    GtkTreeIter parent;
    GtkTreeIter child;
    gboolean was_empty;

    if (!lookup_row(self, connection, &parent))
        return;
    was_empty = !gtk_tree_model_iter_has_child(model, &parent);

    for (guint i = 0; i < removed; i++) {
        if (!gtk_tree_model_iter_nth_child(model, &child, &parent, position))
            break;
        forget_domain(self, VIREO_DOMAIN(object_at(self, &child)));
        gtk_tree_store_remove(self->model, &child);
    }
    for (guint i = 0; i < added; i++) {
        g_autoptr(VireoDomain) domain = g_list_model_get_item(domains, position + i);
        add_domain_row(self, &parent, position + i, domain);
    }

    /* Show the VMs of a connection that just opened; later, the user's choice. */
    if (was_empty && added > 0) {
        g_autoptr(GtkTreePath) path = gtk_tree_model_get_path(model, &parent);
        gtk_tree_view_expand_row(self->tree_view, path, FALSE);
    }
}

/* ---- connection rows ---- */

/* A connection that works but with something to know (KVM is emulated,
 * a definition cannot be read): said once, in the notice bar. */
static void
show_connection_warning(VireoWindow *self, VireoConnection *connection)
{
    const char *warning = vireo_connection_get_warning(connection);

    if (!warning || vireo_connection_get_state(connection) != VIREO_CONNECTION_STATE_CONNECTED ||
        g_hash_table_contains(self->warned, connection))
        return;
    g_hash_table_add(self->warned, connection);
    g_autofree char *name = vireo_connection_dup_display_name(connection);
    g_autofree char *title = g_strdup_printf(_("%s works, with a limitation."), name);
    vireo_window_show_notice(self, title, warning);
}

static void show_error_about(VireoWindow *self, const char *title, const char *detail,
                             VireoConnection *connection);

static void
hide_connection_error(VireoWindow *self, VireoConnection *connection)
{
    if (connection == NULL || self->error_connection != connection)
        return;
    g_clear_object(&self->error_connection);
    gtk_widget_set_visible(self->error_connect_button, FALSE);
    gtk_info_bar_set_revealed(self->error_bar, FALSE);
}

/* A connection that could not open, or that was lost, says so in the error
 * bar too: the row's reason is cut to the column's width, the bar shows it
 * whole, with a button to connect again. */
static void
on_connection_state(VireoWindow *self, VireoConnection *connection)
{
    VireoConnectionState state = vireo_connection_get_state(connection);
    gpointer last = g_hash_table_lookup(self->connection_states, connection);
    const char *reason = vireo_connection_get_error_message(connection);

    g_hash_table_insert(self->connection_states, connection, GINT_TO_POINTER(state + 1));
    if (last == NULL || GPOINTER_TO_INT(last) - 1 == (int)state)
        return;
    if (state == VIREO_CONNECTION_STATE_CONNECTED) {
        hide_connection_error(self, connection);
        return;
    }
    if (state != VIREO_CONNECTION_STATE_DISCONNECTED || reason == NULL)
        return;

    g_autofree char *name = vireo_connection_dup_display_name(connection);
    g_autofree char *title = NULL;
    if (GPOINTER_TO_INT(last) - 1 == VIREO_CONNECTION_STATE_CONNECTED)
        title = g_strdup_printf(_("The connection to %s was lost."), name);
    else
        title = g_strdup_printf(_("Could not connect to %s."), name);
    show_error_about(self, title, reason, connection);
}

static void
on_connection_notify(VireoWindow *self, GParamSpec *pspec, VireoConnection *connection)
{
    row_changed(self, connection);
    if (g_str_equal(pspec->name, "state"))
        on_connection_state(self, connection);
    show_connection_warning(self, connection);
}

static void
add_connection_row(VireoWindow *self, int position, VireoConnection *connection)
{
    GListModel *domains = vireo_connection_get_domains(connection);
    GtkTreeIter iter;
    guint n;

    gtk_tree_store_insert_with_values(self->model, &iter, NULL, position, 0, connection, -1);
    g_hash_table_insert(self->rows, connection, g_memdup2(&iter, sizeof iter));
    g_signal_connect_swapped(connection, "notify", G_CALLBACK(on_connection_notify), self);
    g_hash_table_insert(self->connection_states, connection,
                        GINT_TO_POINTER(vireo_connection_get_state(connection) + 1));

    g_object_set_data(G_OBJECT(domains), DOMAINS_OWNER_KEY, connection);
    g_signal_connect(domains, "items-changed", G_CALLBACK(on_domains_changed), self);
    n = g_list_model_get_n_items(domains);
    if (n > 0)
        on_domains_changed(domains, 0, 0, n, self);
    show_connection_warning(self, connection);
}

static void
remove_connection_row(VireoWindow *self, GtkTreeIter *iter)
{
    VireoConnection *connection = VIREO_CONNECTION(object_at(self, iter));
    GtkTreeModel *model = GTK_TREE_MODEL(self->model);
    GtkTreeIter child;

    if (gtk_tree_model_iter_children(model, &child, iter)) {
        do
            forget_domain(self, VIREO_DOMAIN(object_at(self, &child)));
        while (gtk_tree_model_iter_next(model, &child));
    }
    g_signal_handlers_disconnect_by_data(vireo_connection_get_domains(connection), self);
    g_signal_handlers_disconnect_by_data(connection, self);
    if (self->selected_connection == connection)
        set_selection(self, NULL, NULL);
    hide_connection_error(self, connection);
    g_hash_table_remove(self->warned, connection);
    g_hash_table_remove(self->connection_states, connection);
    g_hash_table_remove(self->rows, connection);
    gtk_tree_store_remove(self->model, iter);
}

static void
on_connections_changed(GListModel *connections, guint position, guint removed, guint added,
                       VireoWindow *self)
{
    GtkTreeIter iter;

    for (guint i = 0; i < removed; i++) {
        if (!gtk_tree_model_iter_nth_child(GTK_TREE_MODEL(self->model), &iter, NULL, position))
            break;
        remove_connection_row(self, &iter);
    }
    for (guint i = 0; i < added; i++) {
        g_autoptr(VireoConnection) connection = g_list_model_get_item(connections, position + i);
        add_connection_row(self, position + i, connection);
    }

    /* A connection just added (from the dialog or the command line) is selected. */
    if (added > 0) {
        g_autoptr(VireoConnection) last = g_list_model_get_item(connections, position + added - 1);

        if (lookup_row(self, last, &iter))
            gtk_tree_selection_select_iter(self->selection, &iter);
    }
}

/* ---- cells ---- */

static const char *
connection_state_text(VireoConnection *connection)
{
    switch (vireo_connection_get_state(connection)) {
    case VIREO_CONNECTION_STATE_CONNECTED:
        return _("Connected");
    case VIREO_CONNECTION_STATE_CONNECTING:
        return _("Connecting…");
    case VIREO_CONNECTION_STATE_DISCONNECTED:
    default:
        return _("Disconnected");
    }
}

static void
icon_data_func(GtkTreeViewColumn *column, GtkCellRenderer *cell, GtkTreeModel *model,
               GtkTreeIter *iter, gpointer user_data)
{
    GObject *object = object_at(user_data, iter);
    const char *icon;

    if (VIREO_IS_DOMAIN(object)) {
        icon = vireo_domain_state_to_icon_name(vireo_domain_get_state(VIREO_DOMAIN(object)));
    } else {
        VireoConnection *connection = VIREO_CONNECTION(object);

        switch (vireo_connection_get_state(connection)) {
        case VIREO_CONNECTION_STATE_CONNECTED:
            if (vireo_connection_get_warning(connection))
                icon = "dialog-warning-symbolic";
            else
                icon = vireo_connection_is_remote(connection) ? "network-server-symbolic"
                                                              : "computer-symbolic";
            break;
        case VIREO_CONNECTION_STATE_CONNECTING:
            icon = "content-loading-symbolic";
            break;
        case VIREO_CONNECTION_STATE_DISCONNECTED:
        default:
            icon = vireo_connection_get_error_message(connection) != NULL
                       ? "dialog-error-symbolic"
                       : "network-offline-symbolic";
            break;
        }
    }
    g_object_set(cell, "icon-name", icon, NULL);
}

static void
name_data_func(GtkTreeViewColumn *column, GtkCellRenderer *cell, GtkTreeModel *model,
               GtkTreeIter *iter, gpointer user_data)
{
    GObject *object = object_at(user_data, iter);

    if (VIREO_IS_DOMAIN(object)) {
        g_object_set(cell, "text", vireo_domain_get_name(VIREO_DOMAIN(object)),
                     "weight", PANGO_WEIGHT_NORMAL, NULL);
    } else {
        g_autofree char *name =
            vireo_connection_dup_display_name(VIREO_CONNECTION(object));
        g_object_set(cell, "text", name, "weight", PANGO_WEIGHT_BOLD, NULL);
    }
}

static void
state_data_func(GtkTreeViewColumn *column, GtkCellRenderer *cell, GtkTreeModel *model,
                GtkTreeIter *iter, gpointer user_data)
{
    GObject *object = object_at(user_data, iter);
    const char *text;

    if (VIREO_IS_DOMAIN(object))
        text = vireo_domain_state_to_string(vireo_domain_get_state(VIREO_DOMAIN(object)));
    else
        text = connection_state_text(VIREO_CONNECTION(object));
    g_object_set(cell, "text", text, NULL);
}

static void
title_data_func(GtkTreeViewColumn *column, GtkCellRenderer *cell, GtkTreeModel *model,
                GtkTreeIter *iter, gpointer user_data)
{
    GObject *object = object_at(user_data, iter);
    const char *text = NULL;

    if (VIREO_IS_DOMAIN(object)) {
        text = vireo_domain_get_title(VIREO_DOMAIN(object));
    } else {
        VireoConnection *connection = VIREO_CONNECTION(object);

        /* Why it is disconnected, or where it is connected to. */
        text = vireo_connection_get_error_message(connection);
        if (text == NULL)
            text = vireo_connection_get_uri(connection);
    }
    g_object_set(cell, "text", text != NULL ? text : "", NULL);
}

static void
cpu_data_func(GtkTreeViewColumn *column, GtkCellRenderer *cell, GtkTreeModel *model,
              GtkTreeIter *iter, gpointer user_data)
{
    GObject *object = object_at(user_data, iter);
    VireoStats *stats = NULL;

    if (VIREO_IS_DOMAIN(object)) {
        if (vireo_domain_is_active(VIREO_DOMAIN(object)))
            stats = vireo_domain_get_stats(VIREO_DOMAIN(object));
    } else if (vireo_connection_get_state(VIREO_CONNECTION(object)) ==
               VIREO_CONNECTION_STATE_CONNECTED) {
        stats = vireo_connection_get_host_stats(VIREO_CONNECTION(object));
    }
    g_object_set(cell, "stats", stats, NULL);
}

/* Type-to-search: matches a part of a VM's name or title, or of a
 * connection's name, ignoring case.  Returns FALSE on a match (GTK's rule). */
static gboolean
search_equal_func(GtkTreeModel *model, int column, const char *key, GtkTreeIter *iter,
                  gpointer user_data)
{
    GObject *object = object_at(user_data, iter);
    g_autofree char *needle = g_utf8_casefold(key, -1);
    g_autofree char *name = NULL;
    const char *title = NULL;
    g_autofree char *folded_name = NULL;
    g_autofree char *folded_title = NULL;

    if (VIREO_IS_DOMAIN(object)) {
        name = g_strdup(vireo_domain_get_name(VIREO_DOMAIN(object)));
        title = vireo_domain_get_title(VIREO_DOMAIN(object));
    } else {
        name = vireo_connection_dup_display_name(VIREO_CONNECTION(object));
    }
    folded_name = g_utf8_casefold(name != NULL ? name : "", -1);
    if (strstr(folded_name, needle) != NULL)
        return FALSE;
    if (title == NULL)
        return TRUE;
    folded_title = g_utf8_casefold(title, -1);
    return strstr(folded_title, needle) == NULL;
}

/* ---- row activation and context menus ---- */

static void
on_row_activated(GtkTreeView *tree_view, GtkTreePath *path, GtkTreeViewColumn *column,
                 VireoWindow *self)
{
    GtkTreeIter iter;
    GObject *object;

    if (!gtk_tree_model_get_iter(GTK_TREE_MODEL(self->model), &iter, path))
        return;
    object = object_at(self, &iter);
    if (VIREO_IS_DOMAIN(object)) {
        VireoConnection *connection = vireo_domain_get_connection(VIREO_DOMAIN(object));
        if (connection != NULL)
            vireo_application_show_console(self->application, connection,
                                           vireo_domain_get_name(VIREO_DOMAIN(object)));
        return;
    }
    if (!VIREO_IS_CONNECTION(object))
        return;
    if (vireo_connection_get_state(VIREO_CONNECTION(object)) ==
        VIREO_CONNECTION_STATE_DISCONNECTED)
        vireo_connection_store_open(self->store, VIREO_CONNECTION(object));
    else if (gtk_tree_view_row_expanded(tree_view, path))
        gtk_tree_view_collapse_row(tree_view, path);
    else
        gtk_tree_view_expand_row(tree_view, path, FALSE);
}

static void
popup_menu(VireoWindow *self, const GdkEvent *event)
{
    GtkWidget *menu = self->selected_domain != NULL ? self->vm_menu : self->connection_menu;

    if (self->selected_connection == NULL)
        return;
    if (event != NULL) {
        gtk_menu_popup_at_pointer(GTK_MENU(menu), event);
    } else {
        GtkTreeIter iter;
        GdkRectangle rect = {0, 0, 1, 1};

        if (gtk_tree_selection_get_selected(self->selection, NULL, &iter)) {
            g_autoptr(GtkTreePath) path =
                gtk_tree_model_get_path(GTK_TREE_MODEL(self->model), &iter);
            gtk_tree_view_get_cell_area(self->tree_view, path, self->name_column, &rect);
            gtk_tree_view_convert_bin_window_to_widget_coords(self->tree_view, rect.x, rect.y,
                                                              &rect.x, &rect.y);
        }
        gtk_menu_popup_at_rect(GTK_MENU(menu), gtk_widget_get_window(GTK_WIDGET(self->tree_view)),
                               &rect, GDK_GRAVITY_SOUTH_WEST, GDK_GRAVITY_NORTH_WEST, NULL);
    }
}

static gboolean
on_tree_button_press(GtkWidget *widget, GdkEventButton *event, VireoWindow *self)
{
    g_autoptr(GtkTreePath) path = NULL;

    if (!gdk_event_triggers_context_menu((GdkEvent *)event) ||
        event->window != gtk_tree_view_get_bin_window(self->tree_view))
        return GDK_EVENT_PROPAGATE;
    if (!gtk_tree_view_get_path_at_pos(self->tree_view, event->x, event->y, &path, NULL, NULL,
                                       NULL))
        return GDK_EVENT_PROPAGATE;
    gtk_tree_selection_select_path(self->selection, path);
    popup_menu(self, (GdkEvent *)event);
    return GDK_EVENT_STOP;
}

static gboolean
on_tree_popup_menu(GtkWidget *widget, VireoWindow *self)
{
    popup_menu(self, NULL);
    return TRUE;
}

/* ---- error bar ---- */

enum { RESPONSE_CONNECT_AGAIN = 1 };

static void
on_error_bar_response(GtkInfoBar *bar, int response, VireoWindow *self)
{
    g_autoptr(VireoConnection) connection =
        self->error_connection ? g_object_ref(self->error_connection) : NULL;

    if (response != GTK_RESPONSE_CLOSE && response != RESPONSE_CONNECT_AGAIN)
        return;
    g_clear_object(&self->error_connection);
    gtk_widget_set_visible(self->error_connect_button, FALSE);
    gtk_info_bar_set_revealed(bar, FALSE);
    if (response == RESPONSE_CONNECT_AGAIN && connection != NULL)
        vireo_connection_store_open(self->store, connection);
}

/* Shows @title and @detail in the error bar; about @connection (offering to
 * connect again) or, when it is NULL, about something else. */
static void
show_error_about(VireoWindow *self, const char *title, const char *detail,
                 VireoConnection *connection)
{
    gtk_label_set_text(self->error_title, title);
    gtk_label_set_text(self->error_detail, detail != NULL ? detail : "");
    gtk_widget_set_visible(GTK_WIDGET(self->error_detail), detail != NULL && *detail != '\0');
    g_set_object(&self->error_connection, connection);
    gtk_widget_set_visible(self->error_connect_button, connection != NULL);
    gtk_info_bar_set_revealed(self->error_bar, TRUE);
}

void
vireo_window_show_error(VireoWindow *self, const char *title, const char *detail)
{
    g_return_if_fail(VIREO_IS_WINDOW(self));
    g_return_if_fail(title != NULL);

    show_error_about(self, title, detail, NULL);
}

static void
on_notice_bar_response(GtkInfoBar *bar, int response, VireoWindow *self)
{
    if (response == GTK_RESPONSE_CLOSE)
        gtk_info_bar_set_revealed(bar, FALSE);
}

void
vireo_window_show_notice(VireoWindow *self, const char *title, const char *detail)
{
    g_return_if_fail(VIREO_IS_WINDOW(self));
    g_return_if_fail(title != NULL);

    gtk_label_set_text(self->notice_title, title);
    gtk_label_set_text(self->notice_detail, detail != NULL ? detail : "");
    gtk_widget_set_visible(GTK_WIDGET(self->notice_detail), detail != NULL && *detail != '\0');
    gtk_info_bar_set_revealed(self->notice_bar, TRUE);
}

/* ---- a shutdown that takes long ---- */

enum { RESPONSE_KEEP_WAITING = 1, RESPONSE_FORCE_OFF = 2 };

static void
clear_shutdown_offer(VireoWindow *self)
{
    if (self->slow_shutdown) {
        g_signal_handlers_disconnect_by_data(self->slow_shutdown, self->shutdown_bar);
        g_object_set_data(G_OBJECT(self->slow_shutdown), "vireo-shutdown-timer", NULL);
    }
    g_clear_object(&self->slow_shutdown);
    gtk_info_bar_set_revealed(self->shutdown_bar, FALSE);
}

static void
on_slow_domain_state(VireoDomain *domain, GParamSpec *pspec, GtkInfoBar *bar)
{
    VireoWindow *self = VIREO_WINDOW(gtk_widget_get_toplevel(GTK_WIDGET(bar)));

    /* it went down after all */
    if (!vireo_domain_is_active(domain))
        clear_shutdown_offer(self);
}

static void
on_forced_off(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(VireoWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    VireoDomain *domain = VIREO_DOMAIN(source);

    if (vireo_domain_action_finish(domain, result, &error) ||
        g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    g_autofree char *title =
        g_strdup_printf(_("Could not force “%s” off."), vireo_domain_get_name(domain));
    vireo_window_show_error(self, title, error->message);
}

static void
on_shutdown_bar_response(GtkInfoBar *bar, int response, VireoWindow *self)
{
    g_autoptr(VireoDomain) domain = self->slow_shutdown ? g_object_ref(self->slow_shutdown)
                                                       : NULL;

    clear_shutdown_offer(self);
    if (domain && response == RESPONSE_FORCE_OFF)
        vireo_domain_action_async(domain, VIREO_DOMAIN_ACTION_FORCE_OFF, self->cancellable,
                                  on_forced_off, g_object_ref(self));
    else if (domain && response == RESPONSE_KEEP_WAITING)
        vireo_window_watch_shutdown(self, domain);
}

typedef struct {
    VireoWindow *window; /* weak */
    VireoDomain *domain; /* weak */
    guint id;
} ShutdownTimer;

static void
shutdown_timer_free(gpointer data)
{
    ShutdownTimer *timer = data;

    if (timer->window)
        g_object_remove_weak_pointer(G_OBJECT(timer->window), (gpointer *)&timer->window);
    g_clear_handle_id(&timer->id, g_source_remove);
    g_free(timer);
}

static gboolean
on_shutdown_timeout(gpointer user_data)
{
    ShutdownTimer *timer = user_data;
    VireoWindow *self = timer->window;
    VireoDomain *domain = timer->domain;

    timer->id = 0;
    if (!self || !vireo_domain_is_active(domain)) {
        g_object_set_data(G_OBJECT(domain), "vireo-shutdown-timer", NULL);
        return G_SOURCE_REMOVE;
    }
    guint seconds = g_settings_get_uint(self->settings, "shutdown-timeout");
    clear_shutdown_offer(self);
    self->slow_shutdown = g_object_ref(domain);
    g_autofree char *text = g_strdup_printf(
        g_dngettext(GETTEXT_PACKAGE,
                    "“%s” has not shut down after %u second. Its guest may ignore the power "
                    "button. Force it off (what it has not saved is lost), or keep waiting?",
                    "“%s” has not shut down after %u seconds. Its guest may ignore the power "
                    "button. Force it off (what it has not saved is lost), or keep waiting?",
                    seconds),
        vireo_domain_get_name(domain), seconds);
    gtk_label_set_text(self->shutdown_label, text);
    g_signal_connect(domain, "notify::state", G_CALLBACK(on_slow_domain_state),
                     self->shutdown_bar);
    gtk_info_bar_set_revealed(self->shutdown_bar, TRUE);
    return G_SOURCE_REMOVE;
}

void
vireo_window_watch_shutdown(VireoWindow *self, VireoDomain *domain)
{
    g_return_if_fail(VIREO_IS_WINDOW(self));
    g_return_if_fail(VIREO_IS_DOMAIN(domain));

    ShutdownTimer *timer = g_new0(ShutdownTimer, 1);
    guint seconds = g_settings_get_uint(self->settings, "shutdown-timeout");

    timer->window = self;
    g_object_add_weak_pointer(G_OBJECT(self), (gpointer *)&timer->window);
    timer->domain = domain;
    timer->id = g_timeout_add_seconds(seconds, on_shutdown_timeout, timer);
    /* one timer per VM: a new request restarts it; it goes with the VM */
    g_object_set_data_full(G_OBJECT(domain), "vireo-shutdown-timer", timer, shutdown_timer_free);
}

/* ---- window ---- */

static void
save_window_state(VireoWindow *self)
{
    gboolean maximized = gtk_window_is_maximized(GTK_WINDOW(self));
    int width, height;

    g_settings_set_boolean(self->settings, "window-maximized", maximized);
    if (!maximized) {
        gtk_window_get_size(GTK_WINDOW(self), &width, &height);
        g_settings_set(self->settings, "window-size", "(ii)", width, height);
    }
}

static void
vireo_window_constructed(GObject *object)
{
    VireoWindow *self = VIREO_WINDOW(object);
    GListModel *connections;
    GMenu *primary_menu;
    int width, height;

    G_OBJECT_CLASS(vireo_window_parent_class)->constructed(object);

    self->settings = g_object_ref(vireo_application_get_settings(self->application));
    self->store = g_object_ref(vireo_application_get_store(self->application));

    g_settings_get(self->settings, "window-size", "(ii)", &width, &height);
    gtk_window_set_default_size(GTK_WINDOW(self), width, height);
    if (g_settings_get_boolean(self->settings, "window-maximized"))
        gtk_window_maximize(GTK_WINDOW(self));

    primary_menu = gtk_application_get_menu_by_id(GTK_APPLICATION(self->application),
                                                  "primary-menu");
    gtk_menu_button_set_menu_model(self->primary_menu_button, G_MENU_MODEL(primary_menu));
    /* Context menus, attached to the list so that their items find win.* actions. */
    self->vm_menu = gtk_menu_new_from_model(G_MENU_MODEL(
        gtk_application_get_menu_by_id(GTK_APPLICATION(self->application), "vm-menu")));
    gtk_menu_attach_to_widget(GTK_MENU(self->vm_menu), GTK_WIDGET(self->tree_view), NULL);
    self->connection_menu = gtk_menu_new_from_model(G_MENU_MODEL(
        gtk_application_get_menu_by_id(GTK_APPLICATION(self->application), "connection-menu")));
    gtk_menu_attach_to_widget(GTK_MENU(self->connection_menu), GTK_WIDGET(self->tree_view), NULL);

    connections = vireo_connection_store_get_connections(self->store);
    g_signal_connect(connections, "items-changed", G_CALLBACK(on_connections_changed), self);
    on_connections_changed(connections, 0, 0, g_list_model_get_n_items(connections), self);

    vireo_window_install_actions(self);
    update_details(self);
    vireo_window_update_actions(self);
}

static void
vireo_window_dispose(GObject *object)
{
    VireoWindow *self = VIREO_WINDOW(object);
    GtkTreeIter iter;

    /* Runs first in gtk_widget_destroy(), while the template children live;
     * the teardown below happens once. */
    if (self->settings == NULL) {
        G_OBJECT_CLASS(vireo_window_parent_class)->dispose(object);
        return;
    }
    if (gtk_widget_get_realized(GTK_WIDGET(self)))
        save_window_state(self);
    g_signal_handlers_disconnect_by_data(self->selection, self);
    g_cancellable_cancel(self->cancellable);
    if (self->store != NULL)
        g_signal_handlers_disconnect_by_data(vireo_connection_store_get_connections(self->store),
                                             self);
    if (self->model != NULL) {
        while (gtk_tree_model_get_iter_first(GTK_TREE_MODEL(self->model), &iter))
            remove_connection_row(self, &iter);
    }
    set_selection(self, NULL, NULL);
    clear_shutdown_offer(self);
    g_clear_object(&self->error_connection);
    g_clear_pointer(&self->warned, g_hash_table_unref);
    g_clear_pointer(&self->connection_states, g_hash_table_unref);
    g_clear_object(&self->cancellable);
    g_clear_object(&self->store);
    g_clear_object(&self->settings);
    g_clear_pointer(&self->rows, g_hash_table_unref);
    g_clear_object(&self->model);
    G_OBJECT_CLASS(vireo_window_parent_class)->dispose(object);
}

static void
vireo_window_set_property(GObject *object, guint prop_id, const GValue *value,
                          GParamSpec *pspec)
{
    VireoWindow *self = VIREO_WINDOW(object);

    switch (prop_id) {
    case PROP_APPLICATION_OBJECT:
        self->application = g_value_get_object(value);
        gtk_window_set_application(GTK_WINDOW(self), GTK_APPLICATION(self->application));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void
vireo_window_class_init(VireoWindowClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->constructed = vireo_window_constructed;
    object_class->dispose = vireo_window_dispose;
    object_class->set_property = vireo_window_set_property;

    /* The GtkWindow "application" property is not construct-time; this one is. */
    properties[PROP_APPLICATION_OBJECT] = g_param_spec_object(
        "vireo-application", NULL, NULL, VIREO_TYPE_APPLICATION,
        G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    g_type_ensure(VIREO_TYPE_CELL_RENDERER_SPARKLINE);
    g_type_ensure(VIREO_TYPE_GRAPH);

    gtk_widget_class_set_template_from_resource(widget_class, "/org/vireo/Vireo/vireo-window.ui");
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, error_bar);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, error_title);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, error_detail);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, error_connect_button);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, notice_bar);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, notice_title);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, notice_detail);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, shutdown_bar);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, shutdown_label);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, tree_view);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, selection);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, name_column);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, state_column);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, title_column);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, cpu_column);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, icon_renderer);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, name_renderer);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, state_renderer);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, title_renderer);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, cpu_renderer);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, primary_menu_button);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, details_label);
    gtk_widget_class_bind_template_child(widget_class, VireoWindow, details_graph);
    gtk_widget_class_bind_template_callback(widget_class, on_error_bar_response);
    gtk_widget_class_bind_template_callback(widget_class, on_notice_bar_response);
    gtk_widget_class_bind_template_callback(widget_class, on_shutdown_bar_response);
    gtk_widget_class_bind_template_callback(widget_class, on_row_activated);
    gtk_widget_class_bind_template_callback(widget_class, on_tree_button_press);
    gtk_widget_class_bind_template_callback(widget_class, on_tree_popup_menu);
    gtk_widget_class_bind_template_callback(widget_class, on_selection_changed);
}

static void
vireo_window_init(VireoWindow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));

    self->cancellable = g_cancellable_new();
    self->rows = g_hash_table_new_full(NULL, NULL, NULL, g_free);
    self->warned = g_hash_table_new(NULL, NULL);
    self->connection_states = g_hash_table_new(NULL, NULL);
    self->model = gtk_tree_store_new(1, G_TYPE_OBJECT);

    gtk_tree_view_column_set_cell_data_func(self->name_column, self->icon_renderer,
                                            icon_data_func, self, NULL);
    gtk_tree_view_column_set_cell_data_func(self->name_column, self->name_renderer,
                                            name_data_func, self, NULL);
    gtk_tree_view_column_set_cell_data_func(self->state_column, self->state_renderer,
                                            state_data_func, self, NULL);
    gtk_tree_view_column_set_cell_data_func(self->title_column, self->title_renderer,
                                            title_data_func, self, NULL);
    gtk_tree_view_column_set_cell_data_func(self->cpu_column, self->cpu_renderer, cpu_data_func,
                                            self, NULL);
    gtk_tree_view_set_search_column(self->tree_view, 0);
    gtk_tree_view_set_search_equal_func(self->tree_view, search_equal_func, self, NULL);
    gtk_tree_view_set_model(self->tree_view, GTK_TREE_MODEL(self->model));
}

VireoWindow *
vireo_window_new(VireoApplication *application)
{
    g_return_val_if_fail(VIREO_IS_APPLICATION(application), NULL);

    return g_object_new(VIREO_TYPE_WINDOW, "vireo-application", application, NULL);
}
