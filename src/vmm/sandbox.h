/* sandbox.h: seccomp filters, one per kind of thread. */
#pragma once

#include <stdbool.h>

enum vmm_sandbox_role {
    VMM_SANDBOX_MAIN,    /* the main loop: lifecycle, control, consoles */
    VMM_SANDBOX_VCPU,    /* KVM_RUN and the device models */
    VMM_SANDBOX_DISPLAY, /* the refresh, VNC accept and VNC client threads */
    VMM_SANDBOX_N_ROLES,
};

/* Once, in main() before any thread starts: readies the filters (built
 * in at build time, sandbox-filters.h) and installs the SIGSYS handler.  With @enabled false the sandbox stays
 * off and vmm_sandbox_enter() does nothing.  Returns 0 or -errno. */
int vmm_sandbox_init(bool enabled);
bool vmm_sandbox_enabled(void);

/* Puts the calling thread (and the threads it starts later) under the
 * filter for @role.  The process ends, saying why, if that fails: no
 * thread runs unconfined once the sandbox is on. */
void vmm_sandbox_enter(enum vmm_sandbox_role role);

const char *vmm_sandbox_role_name(enum vmm_sandbox_role role);

struct sock_fprog;
/* The program vmm_sandbox_enter() installs for @role (for the tests);
 * NULL while the sandbox is off. */
const struct sock_fprog *vmm_sandbox_program(enum vmm_sandbox_role role);
