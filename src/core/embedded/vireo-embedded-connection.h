/* vireo-embedded-connection.h: vireo:///session, VMs on the bundled vireo-vmm
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * No daemon: definitions are files (see vireo-embedded-files.h), each
 * running VM is one detached vireo-vmm process with a D-Bus control socket,
 * and every process that opens this connection (the app, vireoctl, the
 * tests) sees the same VMs through those files and sockets.
 */
#pragma once

#include "vireo-connection.h"

G_BEGIN_DECLS

#define VIREO_TYPE_EMBEDDED_CONNECTION (vireo_embedded_connection_get_type())
G_DECLARE_FINAL_TYPE(VireoEmbeddedConnection, vireo_embedded_connection, VIREO,
                     EMBEDDED_CONNECTION, VireoConnection)

/* How KVM serves this host, measured when the connection opened. */
typedef enum {
    VIREO_KVM_UNKNOWN,  /* not checked yet, or the check failed */
    VIREO_KVM_OK,       /* hardware virtualization */
    VIREO_KVM_SLOW,     /* works, but guest kernel code is emulated */
    VIREO_KVM_MISSING,  /* no /dev/kvm */
    VIREO_KVM_DENIED,   /* /dev/kvm is there but not ours to use */
    VIREO_KVM_UNUSABLE, /* present but cannot run a guest */
} VireoKvmStatus;

VireoKvmStatus vireo_embedded_connection_get_kvm_status(VireoEmbeddedConnection *self);
/* Guest kernel-mode instructions per second (0 when unknown). */
double vireo_embedded_connection_get_kvm_speed(VireoEmbeddedConnection *self);
/* The sentence for the user about KVM, or NULL before the check. */
const char *vireo_embedded_connection_get_kvm_message(VireoEmbeddedConnection *self);

/* The vireo-vmm this connection runs: $VIREO_VMM, the build tree's when
 * the running program is in the build tree, the installed one, or PATH's. */
char *vireo_embedded_find_vmm(void);

G_END_DECLS
