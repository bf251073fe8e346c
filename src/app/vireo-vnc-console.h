/* vireo-vnc-console.h: the guest's screen over VNC (gtk-vnc)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vireo-console.h"

G_BEGIN_DECLS

#define VIREO_TYPE_VNC_CONSOLE (vireo_vnc_console_get_type())
G_DECLARE_FINAL_TYPE(VireoVncConsole, vireo_vnc_console, VIREO, VNC_CONSOLE, VireoConsole)

GtkWidget *vireo_vnc_console_new(void);
/* Scale the guest's screen to the widget (keeping its aspect ratio), or
 * show it pixel for pixel. */
void vireo_vnc_console_set_scaling(VireoVncConsole *self, gboolean scaling);
/* The guest's screen size; FALSE before the first frame. */
gboolean vireo_vnc_console_get_guest_size(VireoVncConsole *self, int *width, int *height);
/* The key combination that releases the grab, as "Control_L+Alt_L"; FALSE
 * (and no change) when @keys names no keys. */
gboolean vireo_vnc_console_set_release_keys(VireoVncConsole *self, const char *keys);
/* TRUE while the guest holds the pointer (and so the keyboard). */
gboolean vireo_vnc_console_get_grabbed(VireoVncConsole *self);
/* Frames received since connecting (for tests and the benchmark). */
guint64 vireo_vnc_console_get_frames(VireoVncConsole *self);

G_END_DECLS
