/* vireo-connection.h: one hypervisor connection and the VMs it holds
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A VireoConnection is abstract; each connection kind is one subclass
 * (libvirt/, embedded/).  vireo_connection_new_for_uri() picks it from the URI.
 *
 * Nothing here blocks the caller: opening, defining and every backend call
 * runs off the main thread and reports through _async/_finish pairs or
 * property notifications on the main context that created the connection.
 */
#pragma once

#include <gio/gio.h>

#include "vireo-domain.h"
#include "vireo-stats.h"

G_BEGIN_DECLS

typedef enum {
    VIREO_CONNECTION_STATE_DISCONNECTED,
    VIREO_CONNECTION_STATE_CONNECTING,
    VIREO_CONNECTION_STATE_CONNECTED,
} VireoConnectionState;

GType vireo_connection_state_get_type(void) G_GNUC_CONST;
#define VIREO_TYPE_CONNECTION_STATE (vireo_connection_state_get_type())

/* Errors in VIREO_ERROR carry a message written for the user: what happened
 * and, where there is one, what to do. */
typedef enum {
    VIREO_ERROR_FAILED,
    VIREO_ERROR_INVALID_URI,     /* the URI cannot be parsed or names no driver */
    VIREO_ERROR_UNREACHABLE,     /* host unreachable, refused, daemon not running */
    VIREO_ERROR_AUTH_FAILED,     /* authentication was refused */
    VIREO_ERROR_TIMED_OUT,       /* no answer within the open timeout */
    VIREO_ERROR_NOT_CONNECTED,   /* the call needs a connection that is not open */
    VIREO_ERROR_NOT_FOUND,       /* no such VM (or it went away) */
    VIREO_ERROR_INVALID_STATE,   /* the VM is not in a state that allows this */
    VIREO_ERROR_INVALID_XML,     /* a definition was rejected */
    VIREO_ERROR_NOT_SUPPORTED,   /* the backend cannot do this */
    VIREO_ERROR_OPERATION_FAILED /* the hypervisor refused or failed */
} VireoError;

#define VIREO_ERROR (vireo_error_quark())
GQuark vireo_error_quark(void);

#define VIREO_TYPE_CONNECTION (vireo_connection_get_type())
G_DECLARE_DERIVABLE_TYPE(VireoConnection, vireo_connection, VIREO, CONNECTION, GObject)

struct _VireoConnectionClass {
    GObjectClass parent_class;

    /* Open the backend.  Called with the state already CONNECTING. */
    void (*open_async)(VireoConnection *self, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data);
    gboolean (*open_finish)(VireoConnection *self, GAsyncResult *result, GError **error);
    /* Drop the backend connection; the base class then empties the domain list. */
    void (*close)(VireoConnection *self);
    /* Define (create or update) a VM from libvirt domain XML. */
    void (*define_xml_async)(VireoConnection *self, const char *xml, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
    VireoDomain *(*define_xml_finish)(VireoConnection *self, GAsyncResult *result,
                                      GError **error);
    /* Collect one round of statistics for every VM (one bulk call). */
    void (*poll_stats)(VireoConnection *self);

    gpointer padding[8];
};

/* Returns a connection in state DISCONNECTED; open it with _open_async().
 * Fails with VIREO_ERROR_INVALID_URI when no backend handles @uri. */
VireoConnection *vireo_connection_new_for_uri(const char *uri, GError **error);

const char *vireo_connection_get_uri(VireoConnection *self);
/* A short name for lists: "QEMU/KVM", "QEMU/KVM: host.example", "Test". */
char *vireo_connection_dup_display_name(VireoConnection *self);
gboolean vireo_connection_is_remote(VireoConnection *self);
VireoConnectionState vireo_connection_get_state(VireoConnection *self);
/* Why the connection is DISCONNECTED, for the user; NULL after a clean close. */
const char *vireo_connection_get_error_message(VireoConnection *self);
/* What the user should know about this connection that is not an error
 * (KVM is emulated and slow, a definition could not be read…), else NULL. */
const char *vireo_connection_get_warning(VireoConnection *self);
/* Host name reported by the hypervisor once connected, else NULL. */
const char *vireo_connection_get_hostname(VireoConnection *self);

/* Seconds an open may take before it fails with VIREO_ERROR_TIMED_OUT (default 30). */
guint vireo_connection_get_open_timeout(VireoConnection *self);
void vireo_connection_set_open_timeout(VireoConnection *self, guint seconds);
/* Statistics polling interval in milliseconds; 0 stops polling (default 1000). */
guint vireo_connection_get_stats_interval(VireoConnection *self);
void vireo_connection_set_stats_interval(VireoConnection *self, guint msec);

/* Opens (or re-opens after a disconnect). */
void vireo_connection_open_async(VireoConnection *self, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
gboolean vireo_connection_open_finish(VireoConnection *self, GAsyncResult *result,
                                      GError **error);
void vireo_connection_close(VireoConnection *self);

/* The VMs, a GListModel of VireoDomain, kept current by events. */
GListModel *vireo_connection_get_domains(VireoConnection *self);
VireoDomain *vireo_connection_lookup_domain_by_uuid(VireoConnection *self, const char *uuid);
VireoDomain *vireo_connection_lookup_domain_by_name(VireoConnection *self, const char *name);

void vireo_connection_define_xml_async(VireoConnection *self, const char *xml,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data);
VireoDomain *vireo_connection_define_xml_finish(VireoConnection *self, GAsyncResult *result,
                                                GError **error);

/* Host-wide statistics history (CPU %, memory), NULL where the backend has none. */
VireoStats *vireo_connection_get_host_stats(VireoConnection *self);

/* For backends (src/core only). */
void vireo_connection_set_state(VireoConnection *self, VireoConnectionState state,
                                const char *error_message);
void vireo_connection_set_hostname(VireoConnection *self, const char *hostname);
void vireo_connection_set_warning(VireoConnection *self, const char *warning);
void vireo_connection_add_domain(VireoConnection *self, VireoDomain *domain);
void vireo_connection_remove_domain(VireoConnection *self, VireoDomain *domain);
void vireo_connection_remove_all_domains(VireoConnection *self);

G_END_DECLS
