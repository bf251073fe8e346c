/* vireo-add-connection-dialog.h: choose a hypervisor, local or over SSH
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define VIREO_TYPE_ADD_CONNECTION_DIALOG (vireo_add_connection_dialog_get_type())
G_DECLARE_FINAL_TYPE(VireoAddConnectionDialog, vireo_add_connection_dialog, VIREO,
                     ADD_CONNECTION_DIALOG, GtkDialog)

GtkWidget *vireo_add_connection_dialog_new(GtkWindow *parent);
/* The URI the input makes, or NULL while something is missing (the dialog
 * then says what). */
char *vireo_add_connection_dialog_dup_uri(VireoAddConnectionDialog *self);
gboolean vireo_add_connection_dialog_get_autoconnect(VireoAddConnectionDialog *self);
/* Shows why the connection cannot be added (e.g. libvireo rejected the URI). */
void vireo_add_connection_dialog_set_problem(VireoAddConnectionDialog *self,
                                             const char *message);
G_END_DECLS
