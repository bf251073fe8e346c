/* vireo-libvirt-connection.h: a connection through libvirt (any libvirt URI)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vireo-connection.h"
#include "vireo-ssh.h"

G_BEGIN_DECLS

#define VIREO_TYPE_LIBVIRT_CONNECTION (vireo_libvirt_connection_get_type())
G_DECLARE_FINAL_TYPE(VireoLibvirtConnection, vireo_libvirt_connection, VIREO,
                     LIBVIRT_CONNECTION, VireoConnection)

/* The SSH master of the connection's host (qemu+ssh:// URIs); NULL with
 * @error for other URIs. */
VireoSshMux *vireo_libvirt_connection_get_ssh_mux(VireoLibvirtConnection *self, GError **error);

G_END_DECLS
