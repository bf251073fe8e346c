/* probe.c: can this host run VMs, and how fast? (vireo-vmm --check-kvm)
 *
 * Opens /dev/kvm, then runs a counted loop (dec ecx; jnz) in a one-page
 * guest in 32-bit kernel mode and times it against the same loop run
 * natively.  Hardware virtualization runs it at native speed; a KVM that
 * emulates guest kernel mode (PVM, nested set-ups without VMX) runs it a
 * thousand times slower, which is what a user must be told.
 *
 * The report is "key: value" lines on stdout, for people and for
 * libvireo alike:
 *   status: ok | slow | missing | denied | unusable
 *   guest-ips: instructions per second in guest kernel mode
 *   native-ips: the same loop on the host
 *   message: one sentence for the user
 */
#define _GNU_SOURCE
#include "kvm/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KVM_PATH VMM_KVM_PATH
#define CODE_GPA 0x1000
/* slower than this (guest instructions per second) is "emulated" */
#define SLOW_IPS 50e6

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct probe_vm {
    int kvm, vm, vcpu;
    struct kvm_run *run;
    size_t run_size;
    uint8_t *mem;
};

static void probe_vm_close(struct probe_vm *p)
{
    if (p->run)
        munmap(p->run, p->run_size);
    if (p->mem)
        munmap(p->mem, 0x10000);
    if (p->vcpu >= 0)
        close(p->vcpu);
    if (p->vm >= 0)
        close(p->vm);
}

static int probe_vm_open(struct probe_vm *p, int kvm)
{
    struct kvm_userspace_memory_region slot = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = 0x10000,
    };

    p->kvm = kvm;
    p->vm = p->vcpu = -1;
    p->vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (p->vm < 0)
        return -errno;
    p->mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p->mem == MAP_FAILED) {
        p->mem = NULL;
        return -errno;
    }
    slot.userspace_addr = (uintptr_t)p->mem;
    if (ioctl(p->vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
        return -errno;
    p->vcpu = ioctl(p->vm, KVM_CREATE_VCPU, 0);
    if (p->vcpu < 0)
        return -errno;
    p->run_size = (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    p->run = mmap(NULL, p->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                  p->vcpu, 0);
    if (p->run == MAP_FAILED) {
        p->run = NULL;
        return -errno;
    }
    return 0;
}

/* Runs "mov ecx, n; 1: dec ecx; jnz 1b; hlt" from the start; returns
 * the seconds KVM_RUN took, or a negative errno. */
static double run_loop(struct probe_vm *p, uint32_t n)
{
    static const uint8_t code[] = {0xb9, 0, 0, 0, 0, /* mov ecx, imm32 */
                                   0x49,             /* dec ecx */
                                   0x75, 0xfd,       /* jnz -3 */
                                   0xf4};            /* hlt */
    struct kvm_sregs sregs;
    struct kvm_regs regs = {.rip = CODE_GPA, .rflags = 0x2};
    struct kvm_segment flat = {
        .base = 0, .limit = 0xffffffff, .present = 1, .s = 1, .db = 1, .g = 1,
    };
    double t0, t1;

    memcpy(p->mem + CODE_GPA, code, sizeof(code));
    memcpy(p->mem + CODE_GPA + 1, &n, 4);
    if (ioctl(p->vcpu, KVM_GET_SREGS, &sregs) < 0)
        return -errno;
    flat.type = 0xb;
    flat.selector = 0x10;
    sregs.cs = flat;
    flat.type = 0x3;
    flat.selector = 0x18;
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = flat;
    sregs.tr = (struct kvm_segment){.limit = 0x67, .selector = 0x20,
                                    .type = 0xb, .present = 1};
    sregs.cr0 = 0x11; /* ET | PE: 32-bit protected mode, no paging */
    sregs.cr4 = 0;
    sregs.efer = 0;
    if (ioctl(p->vcpu, KVM_SET_SREGS, &sregs) < 0 ||
        ioctl(p->vcpu, KVM_SET_REGS, &regs) < 0)
        return -errno;
    t0 = now_s();
    for (;;) {
        if (ioctl(p->vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return -errno;
        }
        if (p->run->exit_reason == KVM_EXIT_HLT)
            break;
        if (p->run->exit_reason != KVM_EXIT_INTR)
            return -EIO;
    }
    t1 = now_s();
    return t1 - t0;
}

/* The same loop on the host, for the comparison. */
static double native_ips(void)
{
    uint32_t n = 1u << 20;
    double t;

    do {
        uint32_t c = n;
        double t0 = now_s();

        __asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(c));
        t = now_s() - t0;
        if (t > 0.005)
            break;
        n *= 4;
    } while (n < (1u << 30));
    return t > 0 ? 2.0 * n / t : 0;
}

const char *vmm_kvm_explain(int err, char *buf, size_t size)
{
    struct stat st;
    struct group *gr;

    if (err == ENOENT || err == ENODEV || err == ENXIO) {
        snprintf(buf, size,
                 "This computer has no KVM (%s does not exist), so it cannot "
                 "run virtual machines. Enable virtualization in the "
                 "firmware settings and load the kvm_intel or kvm_amd "
                 "module.", KVM_PATH);
        return buf;
    }
    if (err != EACCES && err != EPERM) {
        snprintf(buf, size, "%s cannot be opened: %s.", KVM_PATH,
                 strerror(err));
        return buf;
    }
    /* the usual set-up: a group (kvm) may read and write the device */
    gr = stat(KVM_PATH, &st) == 0 ? getgrgid(st.st_gid) : NULL;
    if (gr && gr->gr_gid != 0 && (st.st_mode & 060) == 060) {
        snprintf(buf, size,
                 "You may not use %s, so virtual machines cannot run. Join "
                 "the %s group, which may (sudo usermod -aG %s $USER), then "
                 "log out and in again.%s", KVM_PATH, gr->gr_name,
                 gr->gr_name,
                 strcmp(gr->gr_name, "kvm") == 0 ? "" : " (Usually that is "
                                                        "the kvm group.)");
        return buf;
    }
    snprintf(buf, size,
             "You may not use %s, so virtual machines cannot run: only its "
             "owner may (mode %04o). Let the kvm group use it (a udev rule "
             "KERNEL==\"kvm\", GROUP=\"kvm\", MODE=\"0660\", as most "
             "distributions ship), join that group (sudo usermod -aG kvm "
             "$USER), then log out and in again.",
             KVM_PATH, (unsigned)(st.st_mode & 07777));
    return buf;
}

static int report(const char *status, double guest, double native,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int report(const char *status, double guest, double native,
                  const char *fmt, ...)
{
    va_list ap;

    printf("status: %s\n", status);
    if (guest > 0)
        printf("guest-ips: %.0f\n", guest);
    if (native > 0)
        printf("native-ips: %.0f\n", native);
    printf("message: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    /* usable (even slowly): 0; not usable: 3 */
    return strcmp(status, "ok") == 0 || strcmp(status, "slow") == 0 ? 0 : 3;
}

int vmm_kvm_probe(void)
{
    struct probe_vm p = {.vm = -1, .vcpu = -1};
    double overhead = 0, t = 0, guest, native;
    uint32_t n = 10000;
    int kvm, err;

    kvm = open(KVM_PATH, O_RDWR | O_CLOEXEC);
    if (kvm < 0) {
        char msg[512];

        err = errno;
        vmm_kvm_explain(err, msg, sizeof(msg));
        if (err == ENOENT || err == ENODEV || err == ENXIO)
            return report("missing", 0, 0, "%s", msg);
        if (err == EACCES || err == EPERM)
            return report("denied", 0, 0, "%s", msg);
        return report("unusable", 0, 0, "%s", msg);
    }
    if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        close(kvm);
        return report("unusable", 0, 0,
                      "%s speaks a KVM version vireo-vmm does not know.",
                      KVM_PATH);
    }
    err = probe_vm_open(&p, kvm);
    if (err == 0) {
        /* a one-instruction run measures the cost of entering the guest */
        overhead = run_loop(&p, 1);
        err = overhead < 0 ? (int)overhead : 0;
    }
    /* grow the loop until it takes long enough to time */
    while (err == 0) {
        t = run_loop(&p, n);
        if (t < 0) {
            err = (int)t;
            break;
        }
        if (t > 0.01 || n >= (1u << 28))
            break;
        n *= 16;
    }
    probe_vm_close(&p);
    close(kvm);
    if (err < 0)
        return report("unusable", 0, 0,
                      "KVM is present but cannot run a guest here: %s.",
                      strerror(-err));
    t -= overhead;
    if (t <= 0)
        t = 1e-9;
    guest = 2.0 * n / t;
    native = native_ips();
    if (guest < SLOW_IPS)
        return report("slow", guest, native,
                      "KVM here emulates the guest's kernel code instead of "
                      "running it on the processor: %.1f million "
                      "instructions per second, about %.0f times slower "
                      "than this processor. Small guests run; a full "
                      "operating system takes very long to start. This "
                      "happens inside a virtual machine without nested "
                      "virtualization.",
                      guest / 1e6, native > guest ? native / guest : 1.0);
    return report("ok", guest, native,
                  "KVM runs guests at the processor's speed (%.0f million "
                  "instructions per second).", guest / 1e6);
}
