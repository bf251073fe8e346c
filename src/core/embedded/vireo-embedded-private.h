/* vireo-embedded-private.h: what the embedded backend's files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vireo-embedded-config.h"
#include "vireo-embedded-connection.h"
#include "vireo-embedded-domain.h"
#include "vireo-embedded-files.h"

G_BEGIN_DECLS

const VireoEmbeddedDirs *vireo_embedded_connection_get_dirs(VireoEmbeddedConnection *self);
const char *vireo_embedded_connection_get_vmm(VireoEmbeddedConnection *self);
const VireoEmbeddedVmmFeatures *
vireo_embedded_connection_get_features(VireoEmbeddedConnection *self);
/* A VM defined while this one was running, or undefined: the connection
 * drops a transient domain once it has stopped. */
void vireo_embedded_connection_domain_stopped(VireoEmbeddedConnection *self,
                                              VireoEmbeddedDomain *domain);

/* @config: (transfer full), the definition; @persistent: whether it is
 * also saved (a running VM that was undefined is not). */
VireoEmbeddedDomain *vireo_embedded_domain_new(VireoEmbeddedConnection *connection,
                                               VireoEmbeddedConfig *config,
                                               gboolean persistent);
VireoEmbeddedConfig *vireo_embedded_domain_get_config(VireoEmbeddedDomain *self);
/* A new definition (define, or the file changed): (transfer full). */
void vireo_embedded_domain_set_config(VireoEmbeddedDomain *self, VireoEmbeddedConfig *config);
/* What the runtime folder says: RUN_LIVE attaches to the VMM (finishing
 * once attached or when that failed); the other states apply at once. */
void vireo_embedded_domain_apply_run_state_async(VireoEmbeddedDomain *self,
                                                 VireoEmbeddedRunState state,
                                                 const char *reason,
                                                 GAsyncReadyCallback callback,
                                                 gpointer user_data);
void vireo_embedded_domain_apply_run_state_finish(VireoEmbeddedDomain *self,
                                                  GAsyncResult *result);
/* TRUE while attached to, or starting, a VMM. */
gboolean vireo_embedded_domain_is_attached(VireoEmbeddedDomain *self);
/* Asks the VMM for statistics (skipped while the previous ask runs). */
void vireo_embedded_domain_poll_stats(VireoEmbeddedDomain *self);
/* The connection closes: let go of the VMM, which keeps running. */
void vireo_embedded_domain_detach(VireoEmbeddedDomain *self);

G_END_DECLS
