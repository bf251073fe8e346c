/* sandbox.c: seccomp filters, one per kind of thread (as Firecracker does).
 *
 * Three allowlists: the main loop (lifecycle, restart, control, consoles),
 * the vCPU threads (KVM_RUN and the device models: KVM ioctls only) and
 * the display threads (refresh, VNC accept, VNC clients).  main() compiles
 * them with libseccomp once, before any thread starts, into BPF kept in
 * memory; each thread installs its own with one seccomp(2) call after its
 * setup and before it runs guest code or serves clients.  A filter is
 * inherited and filters stack: the main thread enters its filter once the
 * consoles and the display are set up, so everything it starts after that
 * (GLib's workers, which the control server starts, and the vCPUs of
 * every boot) is under the main filter too, plus its own.  Threads of the
 * display are started before, and have the display filter alone.
 *
 * A call outside the list traps (SECCOMP_RET_TRAP): the SIGSYS handler
 * names the thread and the call on stderr with write(2) alone, then makes
 * the same call again with SIGSYS blocked, which the kernel answers by
 * killing the whole process with SIGSYS, so the parent sees a signal
 * death (and a core, where those are kept).  clone3 fails with ENOSYS so
 * that glibc falls back to clone, whose flags a filter can read: threads
 * may be started, processes may not.
 */
#define _GNU_SOURCE
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp trap (glibc has it as of 2.37) */
#endif

#define MAX_NR 512 /* syscall names known to the SIGSYS handler */

static bool enabled;
static struct sock_fprog progs[VMM_SANDBOX_N_ROLES];
static const char *names[MAX_NR];
static __thread const char *thread_role;

static const char *const role_names[VMM_SANDBOX_N_ROLES] = {
    [VMM_SANDBOX_MAIN] = "main",
    [VMM_SANDBOX_VCPU] = "vCPU",
    [VMM_SANDBOX_DISPLAY] = "display",
};

const char *vmm_sandbox_role_name(enum vmm_sandbox_role role)
{
    return role < VMM_SANDBOX_N_ROLES ? role_names[role] : "unknown";
}

bool vmm_sandbox_enabled(void)
{
    return enabled;
}

/* ---- the lists ---- */

/* every thread: memory for malloc, locks, clocks, the log, the kick
 * signal, and ending */
static const int common[] = {
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(writev),
    SCMP_SYS(futex), SCMP_SYS(sched_yield),
    SCMP_SYS(munmap), SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(mremap),
    SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
    SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
    SCMP_SYS(getpid), SCMP_SYS(gettid),
    SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
    SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/* the main thread from the control server's setup on, and the main loop:
 * GLib and GDBus (and their worker threads), the consoles, the control
 * socket (its connections, their credentials and the file descriptors
 * OpenVnc hands out), and every boot, which opens /dev/kvm and the kernel,
 * makes guest RAM (the first time), builds a VM and starts its vCPUs */
static const int main_only[] = {
    SCMP_SYS(readv), SCMP_SYS(pread64), SCMP_SYS(lseek),
    SCMP_SYS(close), SCMP_SYS(fcntl), SCMP_SYS(dup), SCMP_SYS(dup3),
    SCMP_SYS(newfstatat), SCMP_SYS(fstat), SCMP_SYS(statx), SCMP_SYS(unlink),
    SCMP_SYS(umask), SCMP_SYS(fallocate), SCMP_SYS(memfd_create),
    SCMP_SYS(ftruncate),
    SCMP_SYS(mmap), SCMP_SYS(mprotect),
    SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(eventfd2), SCMP_SYS(pipe2),
    SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(bind), SCMP_SYS(listen),
    SCMP_SYS(socketpair), SCMP_SYS(shutdown),
    SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(sendto), SCMP_SYS(sendmsg),
    SCMP_SYS(getsockopt), SCMP_SYS(setsockopt), SCMP_SYS(getsockname),
    SCMP_SYS(getpeername),
    SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
    SCMP_SYS(getrandom), SCMP_SYS(rt_sigaction),
    SCMP_SYS(sched_getattr), SCMP_SYS(sched_setattr),
    SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
};

/* the display threads: polling and serving VNC sockets, client threads,
 * the dirty log */
static const int display_only[] = {
    SCMP_SYS(close), SCMP_SYS(fcntl), SCMP_SYS(pipe2),
    SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6),
    SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(shutdown),
    SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(sendto), SCMP_SYS(sendmsg),
    SCMP_SYS(getsockopt), SCMP_SYS(setsockopt), SCMP_SYS(getsockname),
    SCMP_SYS(getpeername), SCMP_SYS(getuid), SCMP_SYS(geteuid),
    SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
};

/* the vCPU threads: the serial port on a socket, and no more */
static const int vcpu_only[] = {
    SCMP_SYS(sendto),
};

/* KVM ioctls a vCPU thread makes: running, the device models' interrupt
 * lines and the framebuffer slot the guest moves, the crash dump */
static const unsigned long vcpu_ioctls[] = {
    KVM_RUN, KVM_IRQ_LINE, KVM_SET_USER_MEMORY_REGION, KVM_GET_REGS,
    KVM_GET_SREGS,
};

/* the display: the framebuffer's dirty log, and the keyboard's and
 * mouse's interrupts (the VNC clients' input goes to the devices) */
static const unsigned long display_ioctls[] = {
    KVM_GET_DIRTY_LOG, KVM_IRQ_LINE,
};

static int add_list(scmp_filter_ctx ctx, const int *nrs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nrs[i], 0);

        if (err)
            return err;
    }
    return 0;
}

static int add_ioctls(scmp_filter_ctx ctx, const unsigned long *cmds,
                      size_t n)
{
    for (size_t i = 0; i < n; i++) {
        /* the kernel takes the request as an unsigned int */
        int err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                                   SCMP_A1_32(SCMP_CMP_EQ, (uint32_t)cmds[i]));

        if (err)
            return err;
    }
    return 0;
}

#define ADD_LIST(ctx, a) add_list(ctx, a, sizeof(a) / sizeof(a[0]))
#define ADD_IOCTLS(ctx, a) add_ioctls(ctx, a, sizeof(a) / sizeof(a[0]))

/* Threads, never processes: clone needs CLONE_THREAD; clone3 hides its
 * flags in memory, so it says ENOSYS and glibc falls back to clone. */
static int add_threads(scmp_filter_ctx ctx)
{
    int err;

    if ((err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                                SCMP_A0_64(SCMP_CMP_MASKED_EQ, CLONE_THREAD,
                                           CLONE_THREAD))))
        return err;
    /* the stacks of new threads */
    return 0;
}

/* No file opens, but they fail (EACCES) instead of ending the VM: glibc
 * opens a few lazily and copes without them (malloc reads
 * /proc/sys/vm/overcommit_memory the first time it shrinks a thread's
 * heap, which may be on any thread). */
static int add_no_files(scmp_filter_ctx ctx)
{
    int err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat),
                               0);

    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0);
    return err;
}

/* memory that never becomes executable */
static int add_mmap_no_exec(scmp_filter_ctx ctx)
{
    int err;

    if ((err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                                SCMP_A2_32(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))))
        return err;
    return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                            SCMP_A2_32(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
}

static int add_role(scmp_filter_ctx ctx, enum vmm_sandbox_role role)
{
    /* signals only to our own threads (the vCPU kick, GLib's wakeups) */
    int err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                               SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)getpid()));

    if (!err)
        err = ADD_LIST(ctx, common);
    /* the SIGSYS handler names the thread */
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                               SCMP_A0_32(SCMP_CMP_EQ, PR_GET_NAME));
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
                               0);
    if (err)
        return err;
    switch (role) {
    case VMM_SANDBOX_MAIN:
        if ((err = ADD_LIST(ctx, main_only)) || (err = add_threads(ctx)))
            return err;
        /* every KVM ioctl (type 0xAE) */
        if ((err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                                    SCMP_A1_32(SCMP_CMP_MASKED_EQ, 0xff00,
                                               KVMIO << 8))))
            return err;
        /* files to read (the kernel and initrd) and /dev/kvm, to restart;
         * no new files, none truncated */
        if ((err = seccomp_rule_add(
                 ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
                 SCMP_A2_32(SCMP_CMP_MASKED_EQ,
                            O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
                                __O_TMPFILE,
                            0))))
            return err;
        /* Unix sockets only (the control and serial sockets, should they
         * be set up late); nothing is connected to */
        if ((err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                                    SCMP_A0_32(SCMP_CMP_EQ, AF_UNIX))))
            return err;
        /* naming GLib's threads; the vCPUs of a restarted VM add theirs */
        if ((err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                                    SCMP_A0_32(SCMP_CMP_EQ, PR_SET_NAME))) ||
            (err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(seccomp), 1,
                                    SCMP_A0_32(SCMP_CMP_EQ,
                                               SECCOMP_SET_MODE_FILTER))))
            return err;
        return 0;
    case VMM_SANDBOX_VCPU:
        if ((err = ADD_LIST(ctx, vcpu_only)) || (err = add_mmap_no_exec(ctx)) ||
            (err = add_no_files(ctx)))
            return err;
        return ADD_IOCTLS(ctx, vcpu_ioctls);
    case VMM_SANDBOX_DISPLAY:
        if ((err = ADD_LIST(ctx, display_only)) || (err = add_threads(ctx)) ||
            (err = add_mmap_no_exec(ctx)) || (err = add_no_files(ctx)))
            return err;
        return ADD_IOCTLS(ctx, display_ioctls);
    case VMM_SANDBOX_N_ROLES:
        break;
    }
    return -EINVAL;
}

/* libseccomp writes the program to a file; it is kept in memory */
static int compile(enum vmm_sandbox_role role, struct sock_fprog *prog)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
    struct stat st;
    void *buf = NULL;
    int fd = -1, err;

    if (!ctx)
        return -ENOMEM;
    if ((err = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
                                SCMP_ACT_KILL_PROCESS)) ||
        (err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) ||
        (err = add_role(ctx, role)))
        goto out;
    fd = memfd_create("vireo-vmm-seccomp", MFD_CLOEXEC);
    if (fd < 0) {
        err = -errno;
        goto out;
    }
    if ((err = seccomp_export_bpf(ctx, fd)))
        goto out;
    if (fstat(fd, &st) < 0 || st.st_size <= 0 ||
        st.st_size % sizeof(struct sock_filter) ||
        st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
        err = -E2BIG;
        goto out;
    }
    buf = malloc((size_t)st.st_size);
    if (!buf || pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
        err = buf ? -EIO : -ENOMEM;
        goto out;
    }
    prog->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
    prog->filter = buf;
    buf = NULL;
out:
    free(buf);
    if (fd >= 0)
        close(fd);
    seccomp_release(ctx);
    return err;
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

/* async-signal-safe: write(2) and the tables built before any filter */
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
            nr >= 0 && nr < MAX_NR && names[nr] ? names[nr] : "unknown");
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
    int err;

    enabled = false;
    if (!enable)
        return 0;
    for (int role = 0; role < VMM_SANDBOX_N_ROLES; role++)
        if ((err = compile(role, &progs[role])))
            return err;
    for (int nr = 0; nr < MAX_NR; nr++)
        names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
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
