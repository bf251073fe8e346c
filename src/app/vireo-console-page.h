/* vireo-console-page.h: a VM's console, or a page that says why there is none
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Follows a VM by connection and name: opens its console (graphical or
 * serial) while it runs, shows "shut off" with a Run button when it does
 * not, asks for the VNC password, reconnects when the display goes away
 * while the VM still runs (a reboot), and otherwise says what is wrong with
 * a way to try again.
 */
#pragma once

#include <gtk/gtk.h>

#include "vireo-console.h"
#include "vireo.h"

G_BEGIN_DECLS

typedef enum {
    VIREO_CONSOLE_STATUS_NO_HOST,    /* the connection is not open */
    VIREO_CONSOLE_STATUS_NO_VM,      /* no such VM on the host */
    VIREO_CONSOLE_STATUS_OFF,        /* the VM does not run */
    VIREO_CONSOLE_STATUS_CONNECTING, /* opening the console */
    VIREO_CONSOLE_STATUS_PASSWORD,   /* waiting for the user's password */
    VIREO_CONSOLE_STATUS_CONNECTED,  /* the console shows the guest */
    VIREO_CONSOLE_STATUS_FAILED,     /* could not connect: the page says why */
} VireoConsoleStatus;

#define VIREO_TYPE_CONSOLE_PAGE (vireo_console_page_get_type())
G_DECLARE_FINAL_TYPE(VireoConsolePage, vireo_console_page, VIREO, CONSOLE_PAGE, GtkStack)

GtkWidget *vireo_console_page_new(VireoConnection *connection, const char *domain_name);
VireoConnection *vireo_console_page_get_connection(VireoConsolePage *self);
const char *vireo_console_page_get_domain_name(VireoConsolePage *self);
/* The VM once the connection lists it, else NULL. */
VireoDomain *vireo_console_page_get_domain(VireoConsolePage *self);
VireoConsoleStatus vireo_console_page_get_status(VireoConsolePage *self);
/* The console widget in use (a VireoVncConsole or VireoSerialConsole). */
VireoConsole *vireo_console_page_get_console(VireoConsolePage *self);
/* Switch between the graphical console and the serial one. */
void vireo_console_page_set_serial(VireoConsolePage *self, gboolean serial);
gboolean vireo_console_page_get_serial(VireoConsolePage *self);
/* Connects again now (after a failure). */
void vireo_console_page_reconnect(VireoConsolePage *self);

G_END_DECLS
