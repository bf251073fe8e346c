/* vireo.h: libvireo, the model behind Vireo's front ends
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Include this one header.  Call vireo_core_init() once at start-up, before
 * the main loop runs (vireo_connection_new_for_uri() calls it too): it hooks
 * libvirt's events into the default GLib main context, so connections must
 * be used from the thread that runs that context.
 */
#pragma once

#include "vireo-connection.h"
#include "vireo-domain.h"
#include "vireo-stats.h"
#include "vireo-ssh.h"
#include "vireo-uri.h"

G_BEGIN_DECLS

void vireo_core_init(void);

G_END_DECLS
