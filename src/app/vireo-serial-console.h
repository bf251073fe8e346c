/* vireo-serial-console.h: a terminal on the guest's serial port (VTE)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vireo-console.h"

G_BEGIN_DECLS

#define VIREO_TYPE_SERIAL_CONSOLE (vireo_serial_console_get_type())
G_DECLARE_FINAL_TYPE(VireoSerialConsole, vireo_serial_console, VIREO, SERIAL_CONSOLE,
                     VireoConsole)

GtkWidget *vireo_serial_console_new(void);
/* Everything the terminal shows and holds in its scrollback, as text. */
char *vireo_serial_console_dup_text(VireoSerialConsole *self);

G_END_DECLS
