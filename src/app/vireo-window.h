/* vireo-window.h: the main window, connections and their VMs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef struct _VireoApplication VireoApplication;

#define VIREO_TYPE_WINDOW (vireo_window_get_type())
G_DECLARE_FINAL_TYPE(VireoWindow, vireo_window, VIREO, WINDOW, GtkApplicationWindow)

VireoWindow *vireo_window_new(VireoApplication *application);
/* Shows @title (a whole sentence) and @detail (libvireo's message) in the
 * window's error bar until the user closes it. */
void vireo_window_show_error(VireoWindow *self, const char *title, const char *detail);

G_END_DECLS
