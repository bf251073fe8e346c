/* sandbox-filters.h: the seccomp programs vireo-vmm carries.
 *
 * sandbox-gen writes them at build time (sandbox-filters.c in the build
 * directory) from sandbox-rules.c with libseccomp's own compiler and
 * seccomp_export_bpf, as Firecracker's seccompiler does: vireo-vmm only
 * installs them (sandbox.c).
 */
#pragma once

#include <linux/filter.h>

#include "sandbox.h"

/* syscall numbers the SIGSYS handler can name */
#define VMM_SANDBOX_N_SYSCALLS 512

struct vmm_sandbox_filter {
    /* what libseccomp exports, the architecture check first; written to
     * once at start, to put the process id in */
    struct sock_filter *insns;
    unsigned short len;
    /* the instructions whose k is the process id (tgkill's first
     * argument), a stand-in until then */
    const unsigned short *pid_slots;
    unsigned short n_pid_slots;
};

extern const struct vmm_sandbox_filter vmm_sandbox_filters[VMM_SANDBOX_N_ROLES];

/* libseccomp's name of each native syscall number: at
 * vmm_sandbox_syscall_name_at[nr] in vmm_sandbox_syscall_names, which
 * starts with "unknown" (offset 0) for the numbers it does not know */
extern const char vmm_sandbox_syscall_names[];
extern const unsigned short vmm_sandbox_syscall_name_at[VMM_SANDBOX_N_SYSCALLS];
