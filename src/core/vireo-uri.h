/* vireo-uri.h: what a connection URI says, without opening it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Pure helpers over libvirt-style URIs (driver[+transport]://[user@]host[:port]/path?query)
 * used for display names, backend choice and validation.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Checks that @uri has the shape driver[+transport]://…; on failure sets
 * VIREO_ERROR_INVALID_URI with a message that shows the expected form. */
gboolean vireo_uri_validate(const char *uri, GError **error);
/* "qemu" for "qemu+ssh://host/system"; NULL when @uri has no scheme. */
char *vireo_uri_dup_driver(const char *uri);
/* "ssh" for "qemu+ssh://host/system"; NULL when there is none. */
char *vireo_uri_dup_transport(const char *uri);
/* "host" for "qemu+ssh://user@host:22/system"; NULL when there is none. */
char *vireo_uri_dup_host(const char *uri);
/* TRUE when the hypervisor is reached through the network (a transport or a host). */
gboolean vireo_uri_is_remote(const char *uri);
/* "QEMU/KVM", "QEMU/KVM user session", "QEMU/KVM: host", "Test", "Vireo"… (translated). */
char *vireo_uri_dup_display_name(const char *uri);

G_END_DECLS
