/* vireo-preferences-dialog.h: confirmations and the statistics interval
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define VIREO_TYPE_PREFERENCES_DIALOG (vireo_preferences_dialog_get_type())
G_DECLARE_FINAL_TYPE(VireoPreferencesDialog, vireo_preferences_dialog, VIREO,
                     PREFERENCES_DIALOG, GtkDialog)

/* Every control is bound to @settings (org.vireo.Vireo): changes apply at once. */
GtkWidget *vireo_preferences_dialog_new(GtkWindow *parent, GSettings *settings);

G_END_DECLS
