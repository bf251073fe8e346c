/* vireo-application.h: the Vireo GtkApplication
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vireo-connection-store.h"

G_BEGIN_DECLS

#define VIREO_TYPE_APPLICATION (vireo_application_get_type())
G_DECLARE_FINAL_TYPE(VireoApplication, vireo_application, VIREO, APPLICATION, GtkApplication)

VireoApplication *vireo_application_new(void);
GSettings *vireo_application_get_settings(VireoApplication *self);
VireoConnectionStore *vireo_application_get_store(VireoApplication *self);

/* Presents the window of the VM @domain_name on @connection (one per VM). */
void vireo_application_show_console(VireoApplication *self, VireoConnection *connection,
                                    const char *domain_name);

G_END_DECLS
