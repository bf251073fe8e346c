/* vireo-connection-store.c: the connections the window shows, and their settings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vireo-connection-store.h"

struct _VireoConnectionStore {
    GObject parent_instance;

    GSettings *settings;
    GListStore *connections;
    /* Per connection (by pointer): its Entry. */
    GHashTable *entries;
    GCancellable *cancellable;
    /* Saved URIs that no backend accepted: written back untouched. */
    GPtrArray *unusable;
};

typedef struct {
    gboolean autoconnect;
    gboolean persistent;
} Entry;

G_DEFINE_FINAL_TYPE(VireoConnectionStore, vireo_connection_store, G_TYPE_OBJECT)

static void
save(VireoConnectionStore *self)
{
    GListModel *model = G_LIST_MODEL(self->connections);
    GVariantBuilder builder;

    g_variant_builder_init(&builder, G_VARIANT_TYPE("a(sb)"));
    for (guint i = 0; i < g_list_model_get_n_items(model); i++) {
        g_autoptr(VireoConnection) connection = g_list_model_get_item(model, i);
        Entry *entry = g_hash_table_lookup(self->entries, connection);

        if (entry->persistent)
            g_variant_builder_add(&builder, "(sb)", vireo_connection_get_uri(connection),
                                  entry->autoconnect);
    }
    for (guint i = 0; i < self->unusable->len; i++)
        g_variant_builder_add_value(&builder, g_ptr_array_index(self->unusable, i));
    g_settings_set_value(self->settings, "connections", g_variant_builder_end(&builder));
}

static guint
interval_msec(VireoConnectionStore *self)
{
    return g_settings_get_uint(self->settings, "stats-interval") * 1000;
}

static void
on_stats_interval_changed(VireoConnectionStore *self)
{
    GListModel *model = G_LIST_MODEL(self->connections);
    guint msec = interval_msec(self);

    for (guint i = 0; i < g_list_model_get_n_items(model); i++) {
        g_autoptr(VireoConnection) connection = g_list_model_get_item(model, i);
        vireo_connection_set_stats_interval(connection, msec);
    }
}

static VireoConnection *
find(VireoConnectionStore *self, const char *uri)
{
    GListModel *model = G_LIST_MODEL(self->connections);

    for (guint i = 0; i < g_list_model_get_n_items(model); i++) {
        g_autoptr(VireoConnection) connection = g_list_model_get_item(model, i);
        if (g_strcmp0(vireo_connection_get_uri(connection), uri) == 0)
            return connection;
    }
    return NULL;
}

static void
on_open_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    VireoConnection *connection = VIREO_CONNECTION(source);
    g_autoptr(GError) error = NULL;

    /* The connection's state and error message carry the outcome to the view. */
    if (!vireo_connection_open_finish(connection, result, &error))
        g_debug("Could not open %s: %s", vireo_connection_get_uri(connection), error->message);
}

void
vireo_connection_store_open(VireoConnectionStore *self, VireoConnection *connection)
{
    g_return_if_fail(VIREO_IS_CONNECTION_STORE(self));
    g_return_if_fail(VIREO_IS_CONNECTION(connection));

    if (vireo_connection_get_state(connection) != VIREO_CONNECTION_STATE_DISCONNECTED)
        return;
    vireo_connection_open_async(connection, self->cancellable, on_open_done, NULL);
}

static VireoConnection *
add(VireoConnectionStore *self, const char *uri, gboolean autoconnect, gboolean persistent,
    GError **error)
{
    g_autoptr(VireoConnection) connection = vireo_connection_new_for_uri(uri, error);
    Entry *entry;

    if (connection == NULL)
        return NULL;
    entry = g_new0(Entry, 1);
    entry->autoconnect = autoconnect;
    entry->persistent = persistent;
    g_hash_table_insert(self->entries, connection, entry);
    vireo_connection_set_stats_interval(connection, interval_msec(self));
    g_list_store_append(self->connections, connection);
    return connection;
}

static void
vireo_connection_store_dispose(GObject *object)
{
    VireoConnectionStore *self = VIREO_CONNECTION_STORE(object);

    g_cancellable_cancel(self->cancellable);
    g_clear_object(&self->cancellable);
    if (self->settings != NULL)
        g_signal_handlers_disconnect_by_data(self->settings, self);
    g_clear_object(&self->settings);
    if (self->connections != NULL)
        g_list_store_remove_all(self->connections);
    g_clear_object(&self->connections);
    g_clear_pointer(&self->entries, g_hash_table_unref);
    g_clear_pointer(&self->unusable, g_ptr_array_unref);
    G_OBJECT_CLASS(vireo_connection_store_parent_class)->dispose(object);
}

static void
vireo_connection_store_class_init(VireoConnectionStoreClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = vireo_connection_store_dispose;
}

static void
vireo_connection_store_init(VireoConnectionStore *self)
{
    self->connections = g_list_store_new(VIREO_TYPE_CONNECTION);
    self->entries = g_hash_table_new_full(NULL, NULL, NULL, g_free);
    self->cancellable = g_cancellable_new();
    self->unusable = g_ptr_array_new_with_free_func((GDestroyNotify)g_variant_unref);
}

VireoConnectionStore *
vireo_connection_store_new(GSettings *settings)
{
    VireoConnectionStore *self;

    g_return_val_if_fail(G_IS_SETTINGS(settings), NULL);

    self = g_object_new(VIREO_TYPE_CONNECTION_STORE, NULL);
    self->settings = g_object_ref(settings);
    g_signal_connect_swapped(settings, "changed::stats-interval",
                             G_CALLBACK(on_stats_interval_changed), self);
    return self;
}

GListModel *
vireo_connection_store_get_connections(VireoConnectionStore *self)
{
    g_return_val_if_fail(VIREO_IS_CONNECTION_STORE(self), NULL);
    return G_LIST_MODEL(self->connections);
}

gboolean
vireo_connection_store_load(VireoConnectionStore *self, GError **error)
{
    g_autoptr(GVariant) saved = NULL;
    g_autoptr(GString) bad = NULL;
    GVariantIter iter;
    const char *uri;
    gboolean autoconnect;

    g_return_val_if_fail(VIREO_IS_CONNECTION_STORE(self), FALSE);

    saved = g_settings_get_value(self->settings, "connections");
    g_variant_iter_init(&iter, saved);
    while (g_variant_iter_next(&iter, "(&sb)", &uri, &autoconnect)) {
        g_autoptr(GError) local_error = NULL;
        VireoConnection *connection;

        if (find(self, uri) != NULL)
            continue;
        connection = add(self, uri, autoconnect, TRUE, &local_error);
        if (connection == NULL) {
            g_ptr_array_add(self->unusable,
                            g_variant_ref_sink(g_variant_new("(sb)", uri, autoconnect)));
            if (bad == NULL)
                bad = g_string_new(NULL);
            else
                g_string_append_c(bad, '\n');
            g_string_append(bad, local_error->message);
            continue;
        }
        if (autoconnect)
            vireo_connection_store_open(self, connection);
    }

    if (bad != NULL) {
        g_set_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_URI,
                    _("Some saved connections cannot be opened and are kept as they are. %s"),
                    bad->str);
        return FALSE;
    }
    return TRUE;
}

VireoConnection *
vireo_connection_store_add(VireoConnectionStore *self, const char *uri, gboolean autoconnect,
                           gboolean persistent, GError **error)
{
    VireoConnection *connection;

    g_return_val_if_fail(VIREO_IS_CONNECTION_STORE(self), NULL);
    g_return_val_if_fail(uri != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    connection = find(self, uri);
    if (connection != NULL) {
        Entry *entry = g_hash_table_lookup(self->entries, connection);

        /* Adding again from the dialog makes a run-only connection saved. */
        if (persistent) {
            entry->persistent = TRUE;
            entry->autoconnect = autoconnect;
            save(self);
        }
    } else {
        connection = add(self, uri, autoconnect, persistent, error);
        if (connection == NULL)
            return NULL;
        if (persistent)
            save(self);
    }
    vireo_connection_store_open(self, connection);
    return connection;
}

void
vireo_connection_store_remove(VireoConnectionStore *self, VireoConnection *connection)
{
    guint position;

    g_return_if_fail(VIREO_IS_CONNECTION_STORE(self));
    g_return_if_fail(VIREO_IS_CONNECTION(connection));

    if (!g_list_store_find(self->connections, connection, &position))
        return;
    g_object_ref(connection);
    g_list_store_remove(self->connections, position);
    g_hash_table_remove(self->entries, connection);
    save(self);
    vireo_connection_close(connection);
    g_object_unref(connection);
}

gboolean
vireo_connection_store_get_autoconnect(VireoConnectionStore *self, VireoConnection *connection)
{
    Entry *entry;

    g_return_val_if_fail(VIREO_IS_CONNECTION_STORE(self), FALSE);

    entry = g_hash_table_lookup(self->entries, connection);
    return entry != NULL && entry->autoconnect;
}

void
vireo_connection_store_set_autoconnect(VireoConnectionStore *self, VireoConnection *connection,
                                       gboolean autoconnect)
{
    Entry *entry;

    g_return_if_fail(VIREO_IS_CONNECTION_STORE(self));

    entry = g_hash_table_lookup(self->entries, connection);
    g_return_if_fail(entry != NULL);
    if (entry->autoconnect == autoconnect && entry->persistent)
        return;
    entry->autoconnect = autoconnect;
    /* Choosing to connect at start only makes sense for a saved connection. */
    entry->persistent = TRUE;
    save(self);
}

void
vireo_connection_store_close_all(VireoConnectionStore *self)
{
    GListModel *model;

    g_return_if_fail(VIREO_IS_CONNECTION_STORE(self));

    g_cancellable_cancel(self->cancellable);
    model = G_LIST_MODEL(self->connections);
    for (guint i = 0; i < g_list_model_get_n_items(model); i++) {
        g_autoptr(VireoConnection) connection = g_list_model_get_item(model, i);
        vireo_connection_close(connection);
    }
}
