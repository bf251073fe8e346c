/* vireo-delete-dialog.h: confirm deleting a VM, and choose to delete its disks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vireo-domain.h"

G_BEGIN_DECLS

#define VIREO_TYPE_DELETE_DIALOG (vireo_delete_dialog_get_type())
G_DECLARE_FINAL_TYPE(VireoDeleteDialog, vireo_delete_dialog, VIREO, DELETE_DIALOG, GtkDialog)

/* Names @domain and what is lost, and lists its disks (read asynchronously). */
GtkWidget *vireo_delete_dialog_new(GtkWindow *parent, VireoDomain *domain);
/* VIREO_DOMAIN_DELETE_STORAGE when the user chose to delete the disks too. */
VireoDomainDeleteFlags vireo_delete_dialog_get_flags(VireoDeleteDialog *self);

G_END_DECLS
