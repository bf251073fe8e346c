/* console.h: the serial port's back-end (stdio, a Unix socket or a file). */
#pragma once

#include <glib.h>

#include "vmm-machine.h"

typedef struct VmmConsole VmmConsole;

/* @spec is "stdio", "unix:PATH", "file:PATH" or "none". */
VmmConsole *vmm_console_new(const char *spec, GError **error);
/* Connects the console to the machine's UART (after every (re)boot). */
void vmm_console_attach(VmmConsole *con, struct vmm_machine *m);
void vmm_console_detach(VmmConsole *con);
void vmm_console_free(VmmConsole *con);
/* Checks a spec without opening anything (for option parsing). */
gboolean vmm_console_spec_valid(const char *spec, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmmConsole, vmm_console_free)
