/* sandbox-rules.h: each thread role's seccomp rules, for libseccomp.
 *
 * The one list of what each kind of thread may do.  Only build-time code
 * links it: sandbox-gen compiles the rules into BPF that vireo-vmm carries
 * (sandbox-filters.h), and the tests compile them again to check that
 * program.  vireo-vmm itself does not link libseccomp.
 */
#pragma once

#include <seccomp.h>
#include <stdint.h>

#include "sandbox.h"

/* A libseccomp filter for @role, every rule added; @pid is the process
 * whose threads tgkill may signal (the only value in the rules that is
 * known at run time only).  NULL, errno set, if libseccomp fails. */
scmp_filter_ctx vmm_sandbox_rules_new(enum vmm_sandbox_role role, uint32_t pid);
