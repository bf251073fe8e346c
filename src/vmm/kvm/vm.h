/* vm.h: a KVM virtual machine: its vCPUs, memory slots and irqchip. */
#pragma once

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "kvm/memory.h"
#include "vmm-machine.h"

/* Exit reasons counted per vCPU (GetStats reports them by name). */
enum vmm_exit_kind {
    VMM_EXIT_IO,
    VMM_EXIT_MMIO,
    VMM_EXIT_HLT,
    VMM_EXIT_INTR,
    VMM_EXIT_SHUTDOWN,
    VMM_EXIT_SYSTEM_EVENT,
    VMM_EXIT_OTHER,
    VMM_EXIT_N,
};
extern const char *const vmm_exit_kind_names[VMM_EXIT_N];

/* Why the vCPUs stopped; reported once per VM through the callback. */
enum vmm_stop_reason {
    VMM_STOP_POWEROFF,   /* ACPI S5 or KVM system event shutdown */
    VMM_STOP_RESET,      /* i8042 reset line, system reset */
    VMM_STOP_TRIPLE_FAULT, /* a reset too, but the guest crashed */
    VMM_STOP_EXIT,       /* debug-exit with a status */
    VMM_STOP_CRASH,      /* KVM could not run the guest */
};

struct vmm_vm;

struct vmm_vcpu {
    struct vmm_vm *vm;
    uint32_t id;
    int fd;
    struct kvm_run *run;
    pthread_t thread;
    bool thread_started;
    clockid_t cpu_clock;
    /* the thread's CPU time as it ended (0 before), set atomically: its
     * clock goes with it */
    uint64_t end_cpu_ns;
    uint64_t cpu_ns_read; /* the most vmm_vcpu_cpu_time_ns returned */
    uint64_t exits[VMM_EXIT_N]; /* updated by the vCPU, read atomically */
};

/* How the BSP starts (filled by the boot loaders). */
enum vmm_entry_mode {
    VMM_ENTRY_PVH32,   /* 32-bit protected mode, paging off, rbx = start_info */
    VMM_ENTRY_LINUX64, /* long mode, identity map, rsi = boot_params */
};

struct vmm_entry {
    enum vmm_entry_mode mode;
    uint64_t rip;
    uint64_t rbx;
    uint64_t rsi;
    uint64_t cr3;
    uint64_t gdt_base;
    uint16_t gdt_limit;
};

typedef void (*vmm_vm_stop_cb)(struct vmm_vm *vm, enum vmm_stop_reason reason,
                               int status, void *opaque);

struct vmm_vm {
    int kvm_fd;
    int vm_fd;
    size_t run_size;
    struct vmm_mem *mem;
    struct vmm_machine machine;
    uint32_t n_cpus;
    struct vmm_vcpu *vcpus;

    vmm_vm_stop_cb stop_cb;
    void *stop_opaque;
    uint64_t tag;            /* the owner's generation number */

    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool pause_requested;
    bool stopping;           /* vCPUs leave their loops */
    bool stop_reported;
    uint32_t n_paused;
    uint32_t n_running;
};

/* Opens /dev/kvm and creates a VM with @n_cpus vCPUs over @mem.  On error
 * prints what went wrong and how to fix it, returns a negative errno. */
int vmm_vm_create(struct vmm_vm *vm, struct vmm_mem *mem, uint32_t n_cpus);
/* Sets up the BSP for @entry and starts one thread per vCPU. */
int vmm_vm_start(struct vmm_vm *vm, const struct vmm_entry *entry,
                 vmm_vm_stop_cb cb, void *opaque);
/* Blocks until every vCPU waits (true) or until they run again. */
void vmm_vm_pause(struct vmm_vm *vm);
void vmm_vm_resume(struct vmm_vm *vm);
/* Stops and joins all vCPU threads; destroys the VM. */
void vmm_vm_destroy(struct vmm_vm *vm);
/* Called by vCPU threads and devices: stop every vCPU and report once. */
void vmm_vm_request_stop(struct vmm_vm *vm, enum vmm_stop_reason reason,
                         int status);
/* Total CPU time of a vCPU thread in ns, also once the thread has
 * ended; it never goes back.  One thread calls it (the main loop). */
uint64_t vmm_vcpu_cpu_time_ns(struct vmm_vcpu *vcpu);

/* Checks that /dev/kvm can be used, printing why not.  Returns an open fd
 * or a negative errno. */
int vmm_kvm_open(void);

/* cpuid.c and vcpu.c */
int vmm_cpuid_setup(struct vmm_vcpu *vcpu, uint32_t n_cpus);
int vmm_vcpu_init(struct vmm_vcpu *vcpu);
int vmm_vcpu_set_entry(struct vmm_vcpu *vcpu, const struct vmm_entry *entry);
void *vmm_vcpu_thread(void *opaque);
void vmm_vcpu_dump(struct vmm_vcpu *vcpu, FILE *out);
