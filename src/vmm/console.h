/* console.h: the serial port's back-end (stdio, a Unix socket or a file). */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "loop.h"
#include "vmm-machine.h"

typedef struct VmmConsole VmmConsole;

/* @spec is "stdio", "unix:PATH", "file:PATH" or "none"; input and
 * clients are served on @loop. */
VmmConsole *vmm_console_new(const char *spec, VmmLoop *loop, VmmError *err);
/* Connects the console to the machine's UART (after every (re)boot). */
void vmm_console_attach(VmmConsole *con, struct vmm_machine *m);
void vmm_console_detach(VmmConsole *con);
void vmm_console_free(VmmConsole *con);
/* Checks a spec without opening anything (for option parsing). */
bool vmm_console_spec_valid(const char *spec, VmmError *err);
