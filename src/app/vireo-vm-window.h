/* vireo-vm-window.h: one virtual machine's window, its console first
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One window per VM (several can be open at once), following it by
 * connection and name.  Its pages are a GtkStack: the console now; details
 * and performance pages are added with vireo_vm_window_add_page().
 */
#pragma once

#include <gtk/gtk.h>

#include "vireo-console-page.h"
#include "vireo.h"

G_BEGIN_DECLS

#define VIREO_TYPE_VM_WINDOW (vireo_vm_window_get_type())
G_DECLARE_FINAL_TYPE(VireoVmWindow, vireo_vm_window, VIREO, VM_WINDOW, GtkApplicationWindow)

VireoVmWindow *vireo_vm_window_new(GtkApplication *application, GSettings *settings,
                                   VireoConnection *connection, const char *domain_name);
VireoConnection *vireo_vm_window_get_connection(VireoVmWindow *self);
const char *vireo_vm_window_get_domain_name(VireoVmWindow *self);
VireoConsolePage *vireo_vm_window_get_console_page(VireoVmWindow *self);
/* Adds a page next to the console (the switcher shows once there are two). */
void vireo_vm_window_add_page(VireoVmWindow *self, GtkWidget *page, const char *name,
                              const char *title);
/* "Ctrl+Alt" for "Control_L+Alt_L": the release keys as people write them. */
char *vireo_vm_window_dup_keys_label(const char *keys);

G_END_DECLS
