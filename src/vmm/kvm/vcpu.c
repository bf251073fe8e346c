/* vcpu.c: vCPU registers, MSRs and the KVM_RUN loop. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "kvm/vm.h"
#include "sandbox.h"

#define MSR_IA32_TSC 0x10
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102

#define MISC_ENABLE_FAST_STRING 0x1

#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_EXTINT 0x7
#define APIC_MODE_NMI 0x4

static int setup_msrs(struct vmm_vcpu *vcpu)
{
    static const struct {
        uint32_t index;
        uint64_t value;
    } init[] = {
        {MSR_IA32_SYSENTER_CS, 0}, {MSR_IA32_SYSENTER_ESP, 0},
        {MSR_IA32_SYSENTER_EIP, 0}, {MSR_STAR, 0}, {MSR_LSTAR, 0},
        {MSR_CSTAR, 0}, {MSR_SYSCALL_MASK, 0}, {MSR_KERNEL_GS_BASE, 0},
        {MSR_IA32_TSC, 0},
        {MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING},
    };
    const size_t n = sizeof(init) / sizeof(init[0]);
    struct kvm_msrs *msrs = calloc(1, sizeof(*msrs) +
                                          n * sizeof(struct kvm_msr_entry));
    int ret;

    if (!msrs)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        msrs->entries[i].index = init[i].index;
        msrs->entries[i].data = init[i].value;
    }
    msrs->nmsrs = (uint32_t)n;
    ret = ioctl(vcpu->fd, KVM_SET_MSRS, msrs);
    free(msrs);
    if (ret < 0)
        return -errno;
    /* KVM stops at the first MSR it refuses; the rest keep their reset
     * values, which is harmless for these. */
    if ((size_t)ret != n)
        vmm_guest_log("vCPU %u: KVM accepted %d of %zu initial MSRs",
                      vcpu->id, ret, n);
    return 0;
}

/* The BSP's local APIC passes the PIC's interrupts on (LINT0 ExtINT) and
 * NMIs (LINT1), as firmware leaves it, so guests that never touch the
 * APIC still get PIC interrupts. */
static int setup_lapic(struct vmm_vcpu *vcpu)
{
    struct kvm_lapic_state lapic;
    uint32_t *lvt0, *lvt1;

    if (ioctl(vcpu->fd, KVM_GET_LAPIC, &lapic) < 0)
        return -errno;
    lvt0 = (uint32_t *)&lapic.regs[APIC_LVT0];
    lvt1 = (uint32_t *)&lapic.regs[APIC_LVT1];
    *lvt0 = (*lvt0 & ~0x700u & ~0x10000u) | (APIC_MODE_EXTINT << 8);
    *lvt1 = (*lvt1 & ~0x700u & ~0x10000u) | (APIC_MODE_NMI << 8);
    if (ioctl(vcpu->fd, KVM_SET_LAPIC, &lapic) < 0)
        return -errno;
    return 0;
}

int vmm_vcpu_init(struct vmm_vcpu *vcpu)
{
    int err;

    if ((err = setup_msrs(vcpu))) {
        fprintf(stderr, "vireo-vmm: cannot set up MSRs of vCPU %u: %s\n",
                vcpu->id, strerror(-err));
        return err;
    }
    if (vcpu->id == 0 && (err = setup_lapic(vcpu))) {
        fprintf(stderr, "vireo-vmm: cannot set up the local APIC: %s\n",
                strerror(-err));
        return err;
    }
    return 0;
}

static void flat_segment(struct kvm_segment *s, uint16_t sel, uint8_t type,
                         bool long_mode)
{
    *s = (struct kvm_segment){
        .base = 0,
        .limit = 0xffffffff,
        .selector = sel,
        .type = type,
        .present = 1,
        .dpl = 0,
        .db = long_mode && (type & 8) ? 0 : 1,
        .s = 1,
        .l = long_mode && (type & 8) ? 1 : 0,
        .g = 1,
    };
}

int vmm_vcpu_set_entry(struct vmm_vcpu *vcpu, const struct vmm_entry *entry)
{
    struct kvm_sregs sregs;
    struct kvm_regs regs = {.rflags = 0x2};
    bool lm = entry->mode == VMM_ENTRY_LINUX64;

    if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
        return -errno;
    /* code 0x10, data 0x18: what Linux calls __BOOT_CS/__BOOT_DS, and
     * what the PVH specification leaves to the loader */
    flat_segment(&sregs.cs, 0x10, 0xb, lm);
    flat_segment(&sregs.ds, 0x18, 0x3, lm);
    sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
    /* a PVH task register must be a valid 32-bit TSS */
    sregs.tr = (struct kvm_segment){.base = 0, .limit = 0x67, .selector = 0x20,
                                    .type = 0xb, .present = 1, .s = 0};
    sregs.gdt.base = entry->gdt_base;
    sregs.gdt.limit = entry->gdt_limit;
    if (lm) {
        sregs.cr3 = entry->cr3;
        sregs.cr4 = 0x20;                /* PAE */
        sregs.cr0 = 0x80000031;          /* PG | NE | ET | PE */
        sregs.efer = 0x500;              /* LMA | LME */
        regs.rsi = entry->rsi;
    } else {
        sregs.cr0 = 0x11;                /* ET | PE */
        sregs.cr4 = 0;
        sregs.efer = 0;
        regs.rbx = entry->rbx;
    }
    regs.rip = entry->rip;
    if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0)
        return -errno;
    if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
        return -errno;
    return 0;
}

void vmm_vcpu_dump(struct vmm_vcpu *vcpu, FILE *out)
{
    struct kvm_regs r;
    struct kvm_sregs s;

    fprintf(out, "vireo-vmm: vCPU %u registers:\n", vcpu->id);
    if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 ||
        ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0) {
        fprintf(out, "  (cannot read them: %s)\n", strerror(errno));
        return;
    }
    fprintf(out,
            "  rip %016llx  rsp %016llx  rflags %016llx\n"
            "  rax %016llx  rbx %016llx  rcx %016llx\n"
            "  rdx %016llx  rsi %016llx  rdi %016llx\n"
            "  rbp %016llx  r8  %016llx  r9  %016llx\n"
            "  r10 %016llx  r11 %016llx  r12 %016llx\n"
            "  r13 %016llx  r14 %016llx  r15 %016llx\n"
            "  cr0 %016llx  cr2 %016llx  cr3 %016llx\n"
            "  cr4 %016llx  efer %016llx\n"
            "  cs %04x base %llx  ss %04x  gdt %llx/%x  idt %llx/%x\n",
            r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi,
            r.rbp, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, s.cr0,
            s.cr2, s.cr3, s.cr4, s.efer, s.cs.selector, s.cs.base,
            s.ss.selector, s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit);
    /* code bytes at rip when it can be found without walking page tables */
    if (!(s.cr0 & 0x80000000)) {
        const uint8_t *code = vmm_mem_ptr(vcpu->vm->mem, s.cs.base + r.rip, 16);

        if (code) {
            fprintf(out, "  code at rip:");
            for (int i = 0; i < 16; i++)
                fprintf(out, " %02x", code[i]);
            fputc('\n', out);
        }
    }
}

static void count(struct vmm_vcpu *vcpu, enum vmm_exit_kind k)
{
    __atomic_add_fetch(&vcpu->exits[k], 1, __ATOMIC_RELAXED);
}

static void handle_io(struct vmm_vcpu *vcpu)
{
    struct kvm_run *run = vcpu->run;
    struct vmm_machine *m = &vcpu->vm->machine;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;

    /* string I/O (rep outs/ins) comes as count back-to-back accesses */
    pthread_mutex_lock(&m->dev_lock);
    for (uint32_t i = 0; i < run->io.count; i++) {
        if (run->io.direction == KVM_EXIT_IO_OUT)
            vmm_bus_write(&m->pio, run->io.port, data, run->io.size);
        else
            vmm_bus_read(&m->pio, run->io.port, data, run->io.size);
        data += run->io.size;
    }
    pthread_mutex_unlock(&m->dev_lock);
}

static void handle_mmio(struct vmm_vcpu *vcpu)
{
    struct kvm_run *run = vcpu->run;
    struct vmm_machine *m = &vcpu->vm->machine;
    uint32_t len = run->mmio.len > 8 ? 8 : run->mmio.len;

    pthread_mutex_lock(&m->dev_lock);
    if (run->mmio.is_write)
        vmm_bus_write(&m->mmio, run->mmio.phys_addr, run->mmio.data, len);
    else
        vmm_bus_read(&m->mmio, run->mmio.phys_addr, run->mmio.data, len);
    pthread_mutex_unlock(&m->dev_lock);
}

static void crash(struct vmm_vcpu *vcpu, const char *what)
{
    fprintf(stderr, "vireo-vmm: the guest crashed on vCPU %u: %s\n",
            vcpu->id, what);
    vmm_vcpu_dump(vcpu, stderr);
    vmm_vm_request_stop(vcpu->vm, VMM_STOP_CRASH, 0);
}

/* Waits while the VM is paused.  Returns false when the vCPU must leave. */
static bool check_pause(struct vmm_vcpu *vcpu)
{
    struct vmm_vm *vm = vcpu->vm;
    bool go_on;

    pthread_mutex_lock(&vm->lock);
    if (vm->pause_requested && !vm->stopping) {
        vm->n_paused++;
        pthread_cond_broadcast(&vm->cond);
        while (vm->pause_requested && !vm->stopping)
            pthread_cond_wait(&vm->cond, &vm->lock);
        vm->n_paused--;
    }
    go_on = !vm->stopping;
    pthread_mutex_unlock(&vm->lock);
    return go_on;
}

void *vmm_vcpu_thread(void *opaque)
{
    struct vmm_vcpu *vcpu = opaque;
    struct kvm_run *run = vcpu->run;
    char buf[128];
    sigset_t set;

    /* Only vCPU threads take the kick signal. */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    vmm_sandbox_enter(VMM_SANDBOX_VCPU); /* before any guest code */

    for (;;) {
        /* Order matters: clear immediate_exit before looking at the flags,
         * so a kick that comes after the check still stops KVM_RUN. */
        __atomic_store_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);
        if (!check_pause(vcpu))
            break;
        if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                count(vcpu, VMM_EXIT_INTR);
                continue;
            }
            snprintf(buf, sizeof(buf), "KVM_RUN failed: %s", strerror(errno));
            crash(vcpu, buf);
            break;
        }
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            count(vcpu, VMM_EXIT_IO);
            handle_io(vcpu);
            break;
        case KVM_EXIT_MMIO:
            count(vcpu, VMM_EXIT_MMIO);
            handle_mmio(vcpu);
            break;
        case KVM_EXIT_HLT:
            /* with the in-kernel LAPIC, KVM sleeps through HLT itself
             * (even with interrupts off: that guest hangs, and can still
             * be paused or ended); a HLT exit means KVM gave up on it */
            count(vcpu, VMM_EXIT_HLT);
            crash(vcpu, "halted with interrupts disabled");
            goto out;
        case KVM_EXIT_INTR:
            count(vcpu, VMM_EXIT_INTR);
            break;
        case KVM_EXIT_SHUTDOWN:
            /* triple fault: a PC resets; the registers say where the
             * guest went wrong */
            count(vcpu, VMM_EXIT_SHUTDOWN);
            fprintf(stderr, "vireo-vmm: the guest crashed on vCPU %u: triple "
                            "fault (an exception while handling a double "
                            "fault)\n", vcpu->id);
            vmm_vcpu_dump(vcpu, stderr);
            vmm_vm_request_stop(vcpu->vm, VMM_STOP_TRIPLE_FAULT, 0);
            goto out;
        case KVM_EXIT_SYSTEM_EVENT:
            count(vcpu, VMM_EXIT_SYSTEM_EVENT);
            switch (run->system_event.type) {
            case KVM_SYSTEM_EVENT_SHUTDOWN:
                vmm_vm_request_stop(vcpu->vm, VMM_STOP_POWEROFF, 0);
                break;
            case KVM_SYSTEM_EVENT_RESET:
                vmm_vm_request_stop(vcpu->vm, VMM_STOP_RESET, 0);
                break;
            default:
                crash(vcpu, "system event: crash");
                break;
            }
            goto out;
        case KVM_EXIT_INTERNAL_ERROR:
            count(vcpu, VMM_EXIT_OTHER);
            snprintf(buf, sizeof(buf),
                     "KVM internal error, suberror %u%s", run->internal.suberror,
                     run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
                         ? " (instruction emulation failed)"
                         : "");
            crash(vcpu, buf);
            goto out;
        case KVM_EXIT_FAIL_ENTRY:
            count(vcpu, VMM_EXIT_OTHER);
            snprintf(buf, sizeof(buf), "VM entry failed, reason 0x%llx",
                     (unsigned long long)
                         run->fail_entry.hardware_entry_failure_reason);
            crash(vcpu, buf);
            goto out;
        default:
            count(vcpu, VMM_EXIT_OTHER);
            snprintf(buf, sizeof(buf), "unexpected KVM exit reason %u",
                     run->exit_reason);
            crash(vcpu, buf);
            goto out;
        }
    }
out:
    {
        struct timespec ts;
        uint64_t ns = 1; /* (0 is "still running") */

        if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
            ns += (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
        __atomic_store_n(&vcpu->end_cpu_ns, ns, __ATOMIC_RELEASE);
    }
    pthread_mutex_lock(&vcpu->vm->lock);
    vcpu->vm->n_running--;
    pthread_cond_broadcast(&vcpu->vm->cond);
    pthread_mutex_unlock(&vcpu->vm->lock);
    return NULL;
}
