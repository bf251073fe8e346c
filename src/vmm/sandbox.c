/* sandbox.c: seccomp filters, one per kind of thread (as Firecracker does).
 *
 * Three allowlists (sandbox-rules.c): the main loop, the vCPU threads and
 * the display threads.  libseccomp compiles them at build time
 * (sandbox-gen) into the BPF programs vireo-vmm carries
 * (sandbox-filters.h); main() only puts the process id into them, before
 * any thread starts, and each thread installs its own with one seccomp(2)
 * call after its setup and before it runs guest code or serves clients.
 * A filter is inherited and filters stack: the main thread enters its
 * filter once the consoles and the display are set up, so everything it
 * starts after that (GLib's workers, which the control server starts, and
 * the vCPUs of every boot) is under the main filter too, plus its own.
 * Threads of the display are started before, and have the display filter
 * alone.
 *
 * A call outside the list traps (SECCOMP_RET_TRAP): the SIGSYS handler
 * names the thread and the call on stderr with write(2) alone, then makes
 * the same call again with SIGSYS blocked, which the kernel answers by
 * killing the whole process with SIGSYS, so the parent sees a signal
 * death (and a core, where those are kept).  A call of another
 * architecture (int 0x80, x32) kills the process at once.  clone3 fails
 * with ENOSYS so that glibc falls back to clone, whose flags a filter can
 * read: threads may be started, processes may not.
 */
#define _GNU_SOURCE
#include "sandbox.h"
#include "sandbox-filters.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/sysinfo.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp trap (glibc has it as of 2.37) */
#endif

static bool enabled;
static struct sock_fprog progs[VMM_SANDBOX_N_ROLES];
static __thread const char *thread_role;

static const char *const role_names[VMM_SANDBOX_N_ROLES] = {
    [VMM_SANDBOX_MAIN] = "main",
    [VMM_SANDBOX_VCPU] = "vCPU",
    [VMM_SANDBOX_DISPLAY] = "display",
};

const struct sock_fprog *vmm_sandbox_program(enum vmm_sandbox_role role)
{
    return enabled && role < VMM_SANDBOX_N_ROLES ? &progs[role] : NULL;
}

const char *vmm_sandbox_role_name(enum vmm_sandbox_role role)
{
    return role < VMM_SANDBOX_N_ROLES ? role_names[role] : "unknown";
}

bool vmm_sandbox_enabled(void)
{
    return enabled;
}

/* ---- a forbidden call ---- */

static size_t put(char *buf, size_t at, size_t size, const char *s)
{
    while (*s && at + 1 < size)
        buf[at++] = *s++;
    return at;
}

static size_t put_num(char *buf, size_t at, size_t size, unsigned long v)
{
    char digits[24];
    size_t n = 0;

    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) && n < sizeof(digits));
    while (n && at + 1 < size)
        buf[at++] = digits[--n];
    return at;
}

/* async-signal-safe: write(2) and the generated names */
static void on_sigsys(int sig, siginfo_t *info, void *uctx)
{
    char msg[256], comm[17] = "";
    size_t n = 0;
    int nr = info->si_syscall;
    ssize_t ignored;

    (void)sig;
    if (info->si_code != SYS_SECCOMP) {
        n = put(msg, n, sizeof(msg), "vireo-vmm: killed by SIGSYS\n");
        ignored = write(STDERR_FILENO, msg, n);
        signal(SIGSYS, SIG_DFL);
        raise(SIGSYS); /* delivered once this handler returns */
        return;
    }
    prctl(PR_GET_NAME, comm, 0, 0, 0);
    /* threads libraries start have the filter of the thread that
     * started them, and no role of their own */
    prctl(PR_GET_NAME, comm, 0, 0, 0);
    n = put(msg, n, sizeof(msg), "vireo-vmm: seccomp: ");
    n = put(msg, n, sizeof(msg), thread_role ? "the " : "a thread started by "
                                                       "another, ");
    if (thread_role) {
        n = put(msg, n, sizeof(msg), thread_role);
        n = put(msg, n, sizeof(msg), " thread, ");
    }
    n = put(msg, n, sizeof(msg), "\"");
    n = put(msg, n, sizeof(msg), comm);
    n = put(msg, n, sizeof(msg), "\", made a forbidden system call, ");
    n = put(msg, n, sizeof(msg),
            vmm_sandbox_syscall_names +
                (nr >= 0 && nr < VMM_SANDBOX_N_SYSCALLS
                     ? vmm_sandbox_syscall_name_at[nr]
                     : 0));
    n = put(msg, n, sizeof(msg), " (");
    n = put_num(msg, n, sizeof(msg), (unsigned long)nr);
    n = put(msg, n, sizeof(msg), "); ending the VM (--no-seccomp turns the "
                                 "sandbox off to debug this)\n");
    ignored = write(STDERR_FILENO, msg, n);
    (void)ignored;
#if defined(__x86_64__)
    {
        /* the same call again: with SIGSYS blocked in its handler, the
         * kernel kills the process with SIGSYS */
        const greg_t *r = ((ucontext_t *)uctx)->uc_mcontext.gregs;

        syscall(nr, r[REG_RDI], r[REG_RSI], r[REG_RDX], r[REG_R10], r[REG_R8],
                r[REG_R9]);
    }
#else
    (void)uctx;
#endif
    _exit(128 + SIGSYS);
}

/* ---- setting up ---- */

int vmm_sandbox_init(bool enable)
{
    struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};

    enabled = false;
    if (!enable)
        return 0;
    /* tgkill: our own threads only */
    for (int role = 0; role < VMM_SANDBOX_N_ROLES; role++) {
        const struct vmm_sandbox_filter *f = &vmm_sandbox_filters[role];

        for (unsigned i = 0; i < f->n_pid_slots; i++)
            f->insns[f->pid_slots[i]].k = (uint32_t)getpid();
        progs[role].len = f->len;
        progs[role].filter = f->insns;
    }
    /* what libc would otherwise do lazily, on a thread that may no longer:
     * read /etc/localtime (the RTC's first timegm) and its messages */
    tzset();
    (void)strerror(EINVAL);
    /* glibc reads /sys/devices/system/cpu/online for the arena limit
     * when a ninth thread first mallocs; this is the limit it computes */
    mallopt(M_ARENA_MAX, 8 * get_nprocs());
    if (sigaction(SIGSYS, &sa, NULL) < 0)
        return -errno;
    /* inherited by every thread, and required for a filter without
     * CAP_SYS_ADMIN */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    enabled = true;
    return 0;
}

void vmm_sandbox_enter(enum vmm_sandbox_role role)
{
    if (!enabled)
        return;
    thread_role = vmm_sandbox_role_name(role);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &progs[role]) < 0) {
        fprintf(stderr, "vireo-vmm: cannot put the %s thread under its "
                        "seccomp filter: %s; --no-seccomp runs without "
                        "one\n", thread_role, strerror(errno));
        _exit(2);
    }
}
