/* vireo-libvirt-util.h: helpers shared by the libvirt backend's types
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Error classification, state reasons and the snapshot of a domain that a
 * worker thread reads and the main context applies.
 */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "vireo-connection.h"
#include "vireo-domain.h"

G_BEGIN_DECLS

/* The VIREO_ERROR code that fits libvirt's @error; @fallback when none does. */
VireoError vireo_libvirt_classify_error(const virError *error, VireoError fallback);
/* Same for a failed virConnectOpen*(): also INVALID_URI, UNREACHABLE, AUTH_FAILED. */
VireoError vireo_libvirt_classify_open_error(const virError *error);
/* libvirt's own message for the calling thread's last error, never NULL. */
const char *vireo_libvirt_last_error_message(void);
/* A sentence for the user from the calling thread's last libvirt error when
 * opening @uri failed. */
void vireo_libvirt_set_open_error(GError **error, const char *uri);

/* "booted", "shut down by the guest"… for a libvirt state and its reason code. */
const char *vireo_libvirt_state_reason_to_string(int state, int reason);

/* What a worker thread reads about one domain (a few blocking calls). */
typedef struct {
    virDomainPtr domain;
    char *uuid;
    char *name;
    char *title;
    int state;
    int reason;
    guint vcpus;
    guint64 memory_kib;
    guint64 max_memory_kib;
    gboolean persistent;
    gboolean has_managed_save;
    gboolean gone; /* the hypervisor no longer knows it */
} VireoLibvirtDomainInfo;

/* Blocking: call from a worker thread.  Returns NULL with @error set on a
 * failure other than "no such domain" (which sets ->gone). */
VireoLibvirtDomainInfo *vireo_libvirt_domain_info_read(virDomainPtr domain, GError **error);
void vireo_libvirt_domain_info_free(VireoLibvirtDomainInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VireoLibvirtDomainInfo, vireo_libvirt_domain_info_free)

/* A disk of a domain definition, as far as deleting it is concerned. */
typedef struct {
    char *type;   /* file, block, volume, network… */
    char *device; /* disk, cdrom, floppy, lun */
    char *file;   /* source file= or dev= */
    char *pool;   /* source pool= (type volume) */
    char *volume; /* source volume= (type volume) */
    gboolean readonly;
    gboolean shareable;
} VireoLibvirtDisk;

/* The value of attribute @name in a GMarkup start_element callback, or NULL. */
const char *vireo_libvirt_markup_attribute(const char **names, const char **values,
                                           const char *name);

void vireo_libvirt_disk_free(VireoLibvirtDisk *disk);
/* The <disk> elements of domain XML; NULL with @error on malformed XML. */
GPtrArray *vireo_libvirt_parse_disks(const char *xml, GError **error);

G_END_DECLS
