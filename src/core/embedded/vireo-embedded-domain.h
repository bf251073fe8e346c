/* vireo-embedded-domain.h: a VM on vireo:///session
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vireo-domain.h"

G_BEGIN_DECLS

#define VIREO_TYPE_EMBEDDED_DOMAIN (vireo_embedded_domain_get_type())
G_DECLARE_FINAL_TYPE(VireoEmbeddedDomain, vireo_embedded_domain, VIREO, EMBEDDED_DOMAIN,
                     VireoDomain)

/* vireo-vmm's log for this VM (it grows run after run). */
const char *vireo_embedded_domain_get_log_path(VireoEmbeddedDomain *self);
/* The running vireo-vmm's process id, 0 when there is none (yet). */
GPid vireo_embedded_domain_get_pid(VireoEmbeddedDomain *self);

G_END_DECLS
