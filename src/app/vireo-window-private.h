/* vireo-window-private.h: what vireo-window.c and vireo-window-actions.c share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vireo-application.h"
#include "vireo-connection.h"
#include "vireo-graph.h"
#include "vireo-window.h"

G_BEGIN_DECLS

struct _VireoWindow {
    GtkApplicationWindow parent_instance;

    VireoApplication *application;
    GSettings *settings;
    VireoConnectionStore *store;
    GCancellable *cancellable;

    /* One row per connection, its VMs as children; column 0 holds the object. */
    GtkTreeStore *model;
    /* VireoConnection or VireoDomain -> GtkTreeIter (GtkTreeStore's persist). */
    GHashTable *rows;
    /* What the selection points at: the domain (NULL for a connection row)
     * and the connection (the row's, or the domain's). */
    VireoDomain *selected_domain;
    VireoConnection *selected_connection;
    /* Context menus for a VM row and for a connection row. */
    GtkWidget *vm_menu;
    GtkWidget *connection_menu;

    /* Template children */
    GtkInfoBar *error_bar;
    GtkLabel *error_title;
    GtkLabel *error_detail;
    GtkWidget *error_connect_button;
    /* The connection the error bar is about (its Connect Again button), or
     * NULL when it is about something else. */
    VireoConnection *error_connection;
    /* Per connection: its last state plus one, to tell a failed open from
     * a connection lost. */
    GHashTable *connection_states;
    GtkInfoBar *notice_bar;
    GtkLabel *notice_title;
    GtkLabel *notice_detail;
    GtkInfoBar *shutdown_bar;
    GtkLabel *shutdown_label;
    /* The VM whose shutdown takes long (the bar offers to force it off). */
    VireoDomain *slow_shutdown;
    /* Connections whose warning was shown already. */
    GHashTable *warned;
    GtkTreeView *tree_view;
    GtkTreeSelection *selection;
    GtkTreeViewColumn *name_column;
    GtkTreeViewColumn *state_column;
    GtkTreeViewColumn *title_column;
    GtkTreeViewColumn *cpu_column;
    GtkCellRenderer *icon_renderer;
    GtkCellRenderer *name_renderer;
    GtkCellRenderer *state_renderer;
    GtkCellRenderer *title_renderer;
    GtkCellRenderer *cpu_renderer;
    GtkMenuButton *primary_menu_button;
    GtkLabel *details_label;
    VireoGraph *details_graph;
};

/* Shows @title and @detail in the notice bar (something to know, not an
 * error). */
void vireo_window_show_notice(VireoWindow *self, const char *title, const char *detail);
/* After a shutdown was asked for: if @domain still runs after the
 * "shutdown-timeout" setting, offers to force it off. */
void vireo_window_watch_shutdown(VireoWindow *self, VireoDomain *domain);

/* vireo-window-actions.c */
void vireo_window_install_actions(VireoWindow *self);
/* Enables the actions that make sense for the current selection and state. */
void vireo_window_update_actions(VireoWindow *self);

G_END_DECLS
