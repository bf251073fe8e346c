/* vireo-libvirt-domain.h: a VM on a libvirt connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libvirt/libvirt.h>

#include "vireo-domain.h"
#include "vireo-libvirt-util.h"

G_BEGIN_DECLS

#define VIREO_TYPE_LIBVIRT_DOMAIN (vireo_libvirt_domain_get_type())
G_DECLARE_FINAL_TYPE(VireoLibvirtDomain, vireo_libvirt_domain, VIREO, LIBVIRT_DOMAIN, VireoDomain)

/* Name and UUID come from @handle (no call to the hypervisor). */
VireoLibvirtDomain *vireo_libvirt_domain_new(VireoConnection *connection, virDomainPtr handle);
virDomainPtr vireo_libvirt_domain_get_handle(VireoLibvirtDomain *self);
/* Main context: show what a worker thread read. */
void vireo_libvirt_domain_apply_info(VireoLibvirtDomain *self, const VireoLibvirtDomainInfo *info);
/* Read the domain again in a thread and apply it (or remove the domain from
 * its connection when it is gone).  A result older than one already applied
 * is dropped, so refreshes may overlap. */
void vireo_libvirt_domain_refresh(VireoLibvirtDomain *self);

G_END_DECLS
