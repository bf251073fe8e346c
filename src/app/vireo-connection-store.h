/* vireo-connection-store.h: the connections the window shows, and their settings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Holds the VireoConnections of this run in order (a GListModel), loads and
 * saves the persistent ones with their autoconnect flags in GSettings
 * ("connections"), opens them, and applies the statistics interval
 * ("stats-interval") to all of them.
 */
#pragma once

#include <gio/gio.h>

#include "vireo-connection.h"

G_BEGIN_DECLS

#define VIREO_TYPE_CONNECTION_STORE (vireo_connection_store_get_type())
G_DECLARE_FINAL_TYPE(VireoConnectionStore, vireo_connection_store, VIREO, CONNECTION_STORE,
                     GObject)

VireoConnectionStore *vireo_connection_store_new(GSettings *settings);
/* A GListModel of VireoConnection. */
GListModel *vireo_connection_store_get_connections(VireoConnectionStore *self);
/* Adds the saved connections and opens those marked autoconnect.  Saved
 * URIs no backend accepts are kept in the settings and reported in @error
 * (the others are added all the same). */
gboolean vireo_connection_store_load(VireoConnectionStore *self, GError **error);
/* Adds a connection for @uri (or finds the one already there) and opens it.
 * @persistent saves it in the settings; otherwise it lasts for this run.
 * Fails with VIREO_ERROR_INVALID_URI when no backend handles @uri. */
VireoConnection *vireo_connection_store_add(VireoConnectionStore *self, const char *uri,
                                            gboolean autoconnect, gboolean persistent,
                                            GError **error);
/* Closes @connection and forgets it, in the settings too. */
void vireo_connection_store_remove(VireoConnectionStore *self, VireoConnection *connection);
/* Opens @connection unless it is open or opening; its state tells the outcome. */
void vireo_connection_store_open(VireoConnectionStore *self, VireoConnection *connection);
gboolean vireo_connection_store_get_autoconnect(VireoConnectionStore *self,
                                                VireoConnection *connection);
void vireo_connection_store_set_autoconnect(VireoConnectionStore *self,
                                            VireoConnection *connection, gboolean autoconnect);
/* Closes every connection and cancels opens still running (at quit). */
void vireo_connection_store_close_all(VireoConnectionStore *self);

G_END_DECLS
