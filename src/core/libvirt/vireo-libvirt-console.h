/* vireo-libvirt-console.h: where a libvirt domain's consoles are
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The graphical console is read from the live domain XML; the serial
 * console is a virStream that a bridge copies to and from a socket, so that
 * both reach the app as plain file descriptors.
 */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>

#include "vireo-domain.h"

G_BEGIN_DECLS

/* The consoles of a domain as its live XML shows them: the first VNC
 * <graphics>, and whether there is a serial port or console. */
typedef struct {
    gboolean found;   /* there is a VNC display */
    int index;        /* its position among all <graphics> (virDomainOpenGraphicsFD) */
    int port;         /* TCP port; -1 when QEMU has none yet or it listens elsewhere */
    char *address;    /* listen address, NULL when none is given */
    char *socket;     /* Unix socket path, when it listens on one */
    gboolean no_listen; /* <listen type='none'/>: reachable through libvirt only */
    char *other_type; /* the type of the first non-VNC display ("spice"), or NULL */
    gboolean has_text; /* a <serial> or <console> device */
} VireoLibvirtConsoles;

void vireo_libvirt_consoles_clear(VireoLibvirtConsoles *graphics);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VireoLibvirtConsoles, vireo_libvirt_consoles_clear)
/* Fills @consoles from domain XML; FALSE with @error on malformed XML. */
gboolean vireo_libvirt_parse_consoles(const char *xml, VireoLibvirtConsoles *graphics,
                                      GError **error);
/* Where to connect for @graphics as seen from the host that runs the VM:
 * "address:port" or a socket path; NULL when there is nothing to connect to.
 * A wildcard or missing listen address means the host's loopback. */
char *vireo_libvirt_consoles_dup_vnc_target(const VireoLibvirtConsoles *graphics);

/* Copies between @stream (opened with VIR_STREAM_NONBLOCK, e.g. by
 * virDomainOpenConsole) and one end of a new socket pair, on the main
 * context through libvirt's event loop; returns the other end, or -1 with
 * @error.  Takes @stream.  The bridge ends when either side closes. */
int vireo_libvirt_stream_bridge_new(virStreamPtr stream, GError **error);

/* VireoDomainClass's console vfuncs for libvirt domains.  Graphics: local
 * connections ask libvirt for a connected socket (virDomainOpenGraphicsFD)
 * and fall back on the address in the live XML; SSH connections forward
 * that address through the host's shared master (VireoSshMux); other
 * remote transports connect to it directly.  Serial: virDomainOpenConsole,
 * bridged. */
void vireo_libvirt_open_graphics_async(VireoDomain *domain, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
int vireo_libvirt_open_graphics_finish(VireoDomain *domain, GAsyncResult *result,
                                       GError **error);
void vireo_libvirt_open_serial_async(VireoDomain *domain, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);
int vireo_libvirt_open_serial_finish(VireoDomain *domain, GAsyncResult *result, GError **error);

G_END_DECLS
