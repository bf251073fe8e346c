/* sandbox-rules.c: what each kind of thread may do (see sandbox.c).
 *
 * Three allowlists: the main loop (lifecycle, restart, control, consoles),
 * the vCPU threads (KVM_RUN and the device models: KVM ioctls only) and
 * the display threads (refresh, VNC accept, VNC clients).  Anything else
 * traps (SECCOMP_RET_TRAP, which sandbox.c's SIGSYS handler reports), a
 * foreign architecture's call kills the process, a few calls fail with an
 * errno instead.  Built at build time only (sandbox-gen, the tests).
 */
#define _GNU_SOURCE
#include "sandbox-rules.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>

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

static int add_role(scmp_filter_ctx ctx, enum vmm_sandbox_role role,
                    uint32_t pid)
{
    /* signals only to our own threads (the vCPU kick, GLib's wakeups) */
    int err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                               SCMP_A0_32(SCMP_CMP_EQ, pid));

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

scmp_filter_ctx vmm_sandbox_rules_new(enum vmm_sandbox_role role, uint32_t pid)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
    int err;

    if (!ctx) {
        errno = ENOMEM;
        return NULL;
    }
    if ((err = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
                                SCMP_ACT_KILL_PROCESS)) ||
        (err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) ||
        (err = add_role(ctx, role, pid))) {
        seccomp_release(ctx);
        errno = -err;
        return NULL;
    }
    return ctx;
}
