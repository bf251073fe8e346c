/* vireo-domain.h: one virtual machine on a connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Abstract; each backend subclasses it.  Properties reflect the last state the
 * backend reported (through events, never by polling the list); actions are
 * _async/_finish pairs that run off the main thread.
 */
#pragma once

#include <gio/gio.h>

#include "vireo-stats.h"

G_BEGIN_DECLS

/* Same values and order as libvirt's virDomainState. */
typedef enum {
    VIREO_DOMAIN_STATE_NOSTATE,
    VIREO_DOMAIN_STATE_RUNNING,
    VIREO_DOMAIN_STATE_BLOCKED,
    VIREO_DOMAIN_STATE_PAUSED,
    VIREO_DOMAIN_STATE_SHUTDOWN, /* shutting down */
    VIREO_DOMAIN_STATE_SHUTOFF,
    VIREO_DOMAIN_STATE_CRASHED,
    VIREO_DOMAIN_STATE_PMSUSPENDED,
} VireoDomainState;

GType vireo_domain_state_get_type(void) G_GNUC_CONST;
#define VIREO_TYPE_DOMAIN_STATE (vireo_domain_state_get_type())

typedef enum {
    VIREO_DOMAIN_ACTION_START,
    VIREO_DOMAIN_ACTION_SHUTDOWN,  /* ACPI power button */
    VIREO_DOMAIN_ACTION_REBOOT,
    VIREO_DOMAIN_ACTION_FORCE_OFF,
    VIREO_DOMAIN_ACTION_PAUSE,
    VIREO_DOMAIN_ACTION_RESUME,
    VIREO_DOMAIN_ACTION_SAVE,      /* managed save; the next start restores it */
} VireoDomainAction;

GType vireo_domain_action_get_type(void) G_GNUC_CONST;
#define VIREO_TYPE_DOMAIN_ACTION (vireo_domain_action_get_type())

typedef enum {
    VIREO_DOMAIN_DELETE_NONE = 0,
    VIREO_DOMAIN_DELETE_STORAGE = 1 << 0, /* also delete the VM's disk volumes */
} VireoDomainDeleteFlags;

typedef struct _VireoConnection VireoConnection;

#define VIREO_TYPE_DOMAIN (vireo_domain_get_type())
G_DECLARE_DERIVABLE_TYPE(VireoDomain, vireo_domain, VIREO, DOMAIN, GObject)

struct _VireoDomainClass {
    GObjectClass parent_class;

    void (*action_async)(VireoDomain *self, VireoDomainAction action, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data);
    gboolean (*action_finish)(VireoDomain *self, GAsyncResult *result, GError **error);
    void (*delete_async)(VireoDomain *self, VireoDomainDeleteFlags flags,
                         GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data);
    gboolean (*delete_finish)(VireoDomain *self, GAsyncResult *result, GError **error);
    /* inactive: the persistent definition rather than the live one */
    void (*get_xml_async)(VireoDomain *self, gboolean inactive, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data);
    char *(*get_xml_finish)(VireoDomain *self, GAsyncResult *result, GError **error);
    /* Disk paths (file or volume) that DELETE_STORAGE would remove. */
    void (*list_storage_async)(VireoDomain *self, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
    GStrv (*list_storage_finish)(VireoDomain *self, GAsyncResult *result, GError **error);
    /* Consoles: each finishes with a connected file descriptor the caller
     * owns (a VNC server; the first serial port or console), or -1 and an
     * error.  Backends without such consoles leave them NULL. */
    void (*open_graphics_async)(VireoDomain *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
    int (*open_graphics_finish)(VireoDomain *self, GAsyncResult *result, GError **error);
    void (*open_serial_async)(VireoDomain *self, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
    int (*open_serial_finish)(VireoDomain *self, GAsyncResult *result, GError **error);
    /* Whether the backend can do @action at all (NULL: every action);
     * vireo_domain_can_do() asks it before looking at the state. */
    gboolean (*supports_action)(VireoDomain *self, VireoDomainAction action);

    gpointer padding[3];
};

VireoConnection *vireo_domain_get_connection(VireoDomain *self);
const char *vireo_domain_get_name(VireoDomain *self);
const char *vireo_domain_get_uuid(VireoDomain *self);
/* Short description from <title>; NULL when unset. */
const char *vireo_domain_get_title(VireoDomain *self);
VireoDomainState vireo_domain_get_state(VireoDomain *self);
/* Why it is in that state, for the user ("booted", "crashed", "shut down by the guest"…). */
const char *vireo_domain_get_state_reason(VireoDomain *self);
guint vireo_domain_get_vcpus(VireoDomain *self);
/* Current memory in KiB. */
guint64 vireo_domain_get_memory(VireoDomain *self);
guint64 vireo_domain_get_max_memory(VireoDomain *self);
gboolean vireo_domain_get_persistent(VireoDomain *self);
gboolean vireo_domain_get_has_managed_save(VireoDomain *self);
/* What the user should know about the VM that is not an error (parts of its
 * definition the hypervisor left out when it started…); NULL when nothing. */
const char *vireo_domain_get_notice(VireoDomain *self);
/* TRUE while the VM runs or is paused (a console can be shown). */
gboolean vireo_domain_is_active(VireoDomain *self);
/* Whether @action makes sense in the current state (for sensitivity of buttons). */
gboolean vireo_domain_can_do(VireoDomain *self, VireoDomainAction action);

/* The statistics history; the domain emits "stats-updated" after each sample. */
VireoStats *vireo_domain_get_stats(VireoDomain *self);

/* A translated, human name for a state ("Running", "Shut off"…). */
const char *vireo_domain_state_to_string(VireoDomainState state);
/* The icon name for a state in lists. */
const char *vireo_domain_state_to_icon_name(VireoDomainState state);

void vireo_domain_action_async(VireoDomain *self, VireoDomainAction action,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data);
gboolean vireo_domain_action_finish(VireoDomain *self, GAsyncResult *result, GError **error);

void vireo_domain_delete_async(VireoDomain *self, VireoDomainDeleteFlags flags,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data);
gboolean vireo_domain_delete_finish(VireoDomain *self, GAsyncResult *result, GError **error);

void vireo_domain_get_xml_async(VireoDomain *self, gboolean inactive, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
char *vireo_domain_get_xml_finish(VireoDomain *self, GAsyncResult *result, GError **error);

void vireo_domain_list_storage_async(VireoDomain *self, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);
GStrv vireo_domain_list_storage_finish(VireoDomain *self, GAsyncResult *result, GError **error);

/* The graphical console: a connected stream to the VM's VNC server (local
 * socket, SSH tunnel or the VMM's own), for vnc_display_open_fd().  Finishes
 * with a file descriptor the caller owns, or -1 and an error:
 * VIREO_ERROR_NOT_CONNECTED when the connection is closed,
 * VIREO_ERROR_INVALID_STATE when the VM is not running,
 * VIREO_ERROR_NOT_SUPPORTED when it has no graphical console (or the backend
 * has none), VIREO_ERROR_UNREACHABLE when it exists but cannot be reached. */
void vireo_domain_open_graphics_async(VireoDomain *self, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
int vireo_domain_open_graphics_finish(VireoDomain *self, GAsyncResult *result, GError **error);

/* The text console: a connected byte stream to the first serial port or
 * console; same ownership and errors as the graphical one. */
void vireo_domain_open_serial_async(VireoDomain *self, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
int vireo_domain_open_serial_finish(VireoDomain *self, GAsyncResult *result, GError **error);

/* For backends (src/core only): update what the hypervisor reported.  Each
 * setter notifies only on change. */
void vireo_domain_set_name(VireoDomain *self, const char *name);
void vireo_domain_set_title(VireoDomain *self, const char *title);
void vireo_domain_set_state(VireoDomain *self, VireoDomainState state, const char *reason);
void vireo_domain_set_vcpus(VireoDomain *self, guint vcpus);
void vireo_domain_set_memory(VireoDomain *self, guint64 memory_kib, guint64 max_memory_kib);
void vireo_domain_set_persistent(VireoDomain *self, gboolean persistent);
void vireo_domain_set_has_managed_save(VireoDomain *self, gboolean has_managed_save);
void vireo_domain_set_notice(VireoDomain *self, const char *notice);
/* "Could not start “NAME”: DETAIL" and its kin, one whole sentence per
 * action, for backends' errors. */
char *vireo_domain_action_error_message(VireoDomainAction action, const char *name,
                                        const char *detail);
/* Feeds one reading into the history and emits "stats-updated". */
void vireo_domain_push_stats(VireoDomain *self, const VireoStatsCounters *counters);

G_END_DECLS
