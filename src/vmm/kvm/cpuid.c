/* cpuid.c: CPUID from KVM's supported set, shaped for N vCPUs.
 *
 * Topology: one package, one core per vCPU, one thread per core; APIC ID
 * = vCPU index.  The hypervisor bit is set and KVM's own leaves
 * (0x40000000...) are passed through.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm/vm.h"

#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_EDX_HTT (1u << 28)

static unsigned order(uint32_t n)
{
    unsigned bits = 0;

    while ((1u << bits) < n)
        bits++;
    return bits;
}

static void shape(struct kvm_cpuid_entry2 *e, uint32_t id, uint32_t n_cpus)
{
    switch (e->function) {
    case 1:
        /* EBX: initial APIC ID, logical processor count, CLFLUSH size */
        e->ebx = (e->ebx & 0x0000ffff) | (id << 24) |
                 ((n_cpus & 0xff) << 16);
        e->ecx |= CPUID_1_ECX_HYPERVISOR;
        if (n_cpus > 1)
            e->edx |= CPUID_1_EDX_HTT;
        else
            e->edx &= ~CPUID_1_EDX_HTT;
        break;
    case 4: {
        /* deterministic cache parameters: cores per package, threads
         * sharing this cache (L3 is shared by the package) */
        uint32_t level = (e->eax >> 5) & 7;

        if ((e->eax & 0x1f) == 0)
            break; /* no more caches */
        e->eax &= 0x3ff;
        e->eax |= (n_cpus - 1) << 26;
        if (level >= 3)
            e->eax |= (n_cpus - 1) << 14;
        break;
    }
    case 6:
        /* no thermal/power management interface */
        e->eax = e->ebx = e->ecx = e->edx = 0;
        break;
    case 0xa:
        /* no architectural PMU */
        e->eax = e->ebx = e->ecx = e->edx = 0;
        break;
    case 0xb:
    case 0x1f:
        /* extended topology: level 0 SMT (1 thread), level 1 core */
        e->edx = id;
        if (e->index == 0) {
            e->eax = 0;
            e->ebx = 1;
            e->ecx = (1u << 8) | 0;
        } else if (e->index == 1) {
            e->eax = order(n_cpus);
            e->ebx = n_cpus;
            e->ecx = (2u << 8) | 1;
        } else {
            e->eax = e->ebx = 0;
            e->ecx = e->index;
        }
        break;
    case 0x80000008:
        /* AMD: number of cores - 1 and the APIC ID size */
        e->ecx = (e->ecx & ~0xf0ffu) | (order(n_cpus) << 12) | (n_cpus - 1);
        break;
    }
}

int vmm_cpuid_setup(struct vmm_vcpu *vcpu, uint32_t n_cpus)
{
    struct kvm_cpuid2 *cpuid = NULL;
    uint32_t nent = 64;
    int err;

    for (;;) {
        free(cpuid);
        cpuid = calloc(1, sizeof(*cpuid) +
                              nent * sizeof(struct kvm_cpuid_entry2));
        if (!cpuid)
            return -ENOMEM;
        cpuid->nent = nent;
        if (ioctl(vcpu->vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
            break;
        if (errno != E2BIG || nent >= 4096) {
            err = -errno;
            free(cpuid);
            fprintf(stderr, "vireo-vmm: cannot read KVM's CPUID: %s\n",
                    strerror(-err));
            return err;
        }
        nent *= 2;
    }
    for (uint32_t i = 0; i < cpuid->nent; i++)
        shape(&cpuid->entries[i], vcpu->id, n_cpus);
    err = ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) < 0 ? -errno : 0;
    free(cpuid);
    if (err)
        fprintf(stderr, "vireo-vmm: cannot set the CPUID of vCPU %u: %s\n",
                vcpu->id, strerror(-err));
    return err;
}
