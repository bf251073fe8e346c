/* vireoctl.h: what the command files of vireoctl share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * vireoctl is a plain program over libvireo: it opens one connection, runs
 * one command, and waits for libvireo's asynchronous answers by iterating
 * the main context.  Exit status as virsh: 0 success, 1 failure.
 */
#pragma once

#include "vireo.h"

G_BEGIN_DECLS

/* Iterates the default main context until *@slot is set. */
void vctl_wait(GAsyncResult **slot);
void vctl_store_result(GObject *source, GAsyncResult *result, gpointer user_data);
/* "error: MESSAGE" on stderr; returns 1 for `return vctl_fail(...)`. */
int vctl_fail(const char *format, ...) G_GNUC_PRINTF(1, 2);

/* Relays the serial console of @domain to the terminal until Ctrl+] (or
 * until the console closes); returns the exit status. */
int vctl_console(VireoDomain *domain);

G_END_DECLS
