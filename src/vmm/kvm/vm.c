/* vm.c: VM creation, memory slots, irqchip, vCPU start/pause/stop. */
#define _GNU_SOURCE
#include "kvm/vm.h"
#include "kvm/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define KVM_PATH VMM_KVM_PATH

const char *const vmm_exit_kind_names[VMM_EXIT_N] = {
    [VMM_EXIT_IO] = "io",
    [VMM_EXIT_MMIO] = "mmio",
    [VMM_EXIT_HLT] = "hlt",
    [VMM_EXIT_INTR] = "intr",
    [VMM_EXIT_SHUTDOWN] = "shutdown",
    [VMM_EXIT_SYSTEM_EVENT] = "system-event",
    [VMM_EXIT_OTHER] = "other",
};

int vmm_kvm_open(void)
{
    int fd = open(KVM_PATH, O_RDWR | O_CLOEXEC);
    int err;

    if (fd < 0) {
        char msg[512];

        err = -errno;
        fprintf(stderr, "vireo-vmm: %s\n",
                vmm_kvm_explain(-err, msg, sizeof(msg)));
        return err;
    }
    if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        fprintf(stderr, "vireo-vmm: %s speaks an unknown KVM API version\n",
                KVM_PATH);
        close(fd);
        return -ENOTSUP;
    }
    return fd;
}

static int check_cap(int kvm_fd, int cap, const char *name)
{
    if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, cap) <= 0) {
        fprintf(stderr, "vireo-vmm: this KVM lacks %s, which vireo-vmm "
                        "needs\n", name);
        return -ENOTSUP;
    }
    return 0;
}

static void kick_handler(int sig)
{
    (void)sig; /* only there to interrupt KVM_RUN */
}

/* In-kernel irqchip: route GSIs the way a PC does (legacy PIC for 0-15,
 * IOAPIC for 0-23, GSI 0 on IOAPIC pin 2). KVM's default routing does
 * exactly that, so only the line level is ours to drive. */
static void kvm_set_line(struct vmm_machine *m, uint32_t gsi, int level)
{
    struct vmm_vm *vm = (struct vmm_vm *)((char *)m -
                                          offsetof(struct vmm_vm, machine));
    struct kvm_irq_level irq = {.irq = gsi, .level = level};

    if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
        vmm_guest_log("cannot set interrupt line %u: %s", gsi,
                      strerror(errno));
}

static void kvm_event(struct vmm_machine *m, enum vmm_event ev, int status)
{
    struct vmm_vm *vm = (struct vmm_vm *)((char *)m -
                                          offsetof(struct vmm_vm, machine));

    switch (ev) {
    case VMM_EVENT_POWEROFF:
        vmm_vm_request_stop(vm, VMM_STOP_POWEROFF, 0);
        break;
    case VMM_EVENT_RESET:
        vmm_vm_request_stop(vm, VMM_STOP_RESET, 0);
        break;
    case VMM_EVENT_EXIT:
        vmm_vm_request_stop(vm, VMM_STOP_EXIT, status);
        break;
    }
}

static const struct vmm_irq_ops kvm_irq_ops = {
    .set_line = kvm_set_line,
    .event = kvm_event,
};

/* Device RAM (framebuffers) lives in KVM slots after guest RAM's. */
#define DEVICE_SLOT_BASE 8

static struct vmm_vm *vm_of(struct vmm_machine *m)
{
    return (struct vmm_vm *)((char *)m - offsetof(struct vmm_vm, machine));
}

static int kvm_map_ram(struct vmm_machine *m, unsigned id, uint64_t gpa,
                       uint64_t size, void *host, bool log_dirty)
{
    struct vmm_vm *vm = vm_of(m);
    struct kvm_userspace_memory_region slot = {
        .slot = DEVICE_SLOT_BASE + id,
    };

    if (id >= VMM_RAM_SLOTS)
        return -EINVAL;
    /* KVM cannot move a slot: delete it (EINVAL: there was none), then
     * create it anew */
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0 &&
        errno != EINVAL)
        return -errno;
    if (!size)
        return 0;
    slot.flags = log_dirty ? KVM_MEM_LOG_DIRTY_PAGES : 0;
    slot.guest_phys_addr = gpa;
    slot.memory_size = size;
    slot.userspace_addr = (uintptr_t)host;
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
        return -errno;
    return 0;
}

static int kvm_dirty_log(struct vmm_machine *m, unsigned id, uint64_t *bitmap)
{
    struct kvm_dirty_log log = {
        .slot = DEVICE_SLOT_BASE + id,
        .dirty_bitmap = bitmap,
    };

    if (id >= VMM_RAM_SLOTS)
        return -EINVAL;
    if (ioctl(vm_of(m)->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0)
        return -errno;
    return 0;
}

static const struct vmm_ram_ops kvm_ram_ops = {
    .map = kvm_map_ram,
    .dirty_log = kvm_dirty_log,
};

static int add_slots(struct vmm_vm *vm)
{
    for (size_t i = 0; i < vm->mem->n_regions; i++) {
        const struct vmm_mem_region *r = &vm->mem->regions[i];
        struct kvm_userspace_memory_region slot = {
            .slot = (uint32_t)i,
            .guest_phys_addr = r->gpa,
            .memory_size = r->size,
            .userspace_addr = (uintptr_t)r->host,
        };

        if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
            int err = -errno;
            fprintf(stderr, "vireo-vmm: cannot give %llu MiB of RAM to the "
                            "guest: %s\n",
                    (unsigned long long)(r->size >> 20), strerror(-err));
            return err;
        }
    }
    return 0;
}

int vmm_vm_create(struct vmm_vm *vm, struct vmm_mem *mem, uint32_t n_cpus)
{
    struct kvm_pit_config pit = {.flags = 0};
    struct sigaction sa = {.sa_handler = kick_handler};
    int max_cpus;
    int err;

    memset(vm, 0, sizeof(*vm));
    vm->vm_fd = -1;
    vm->mem = mem;
    vm->n_cpus = n_cpus;
    pthread_mutex_init(&vm->lock, NULL);
    pthread_cond_init(&vm->cond, NULL);

    vm->kvm_fd = vmm_kvm_open();
    if (vm->kvm_fd < 0)
        return vm->kvm_fd;
    if ((err = check_cap(vm->kvm_fd, KVM_CAP_IRQCHIP, "an in-kernel irqchip")) ||
        (err = check_cap(vm->kvm_fd, KVM_CAP_PIT2, "an in-kernel PIT")) ||
        (err = check_cap(vm->kvm_fd, KVM_CAP_USER_MEMORY, "user memory")) ||
        (err = check_cap(vm->kvm_fd, KVM_CAP_IMMEDIATE_EXIT,
                         "immediate exit")))
        goto fail;
    max_cpus = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    if (max_cpus <= 0)
        max_cpus = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
    if (max_cpus > 0 && n_cpus > (uint32_t)max_cpus) {
        fprintf(stderr, "vireo-vmm: this KVM runs at most %d vCPUs per VM; "
                        "ask for fewer with --cpus\n", max_cpus);
        err = -EINVAL;
        goto fail;
    }
    vm->run_size = (size_t)ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

    vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    if (vm->vm_fd < 0) {
        err = -errno;
        fprintf(stderr, "vireo-vmm: KVM cannot create a VM: %s\n",
                strerror(-err));
        goto fail;
    }
    /* RAM first, as Firecracker does: once the in-kernel irqchip exists,
     * each memory slot change waits for an SRCU grace period (5 ms on a
     * small host); before it, a slot costs a tenth of a millisecond. */
    if ((err = add_slots(vm)))
        goto fail;
    /* Intel VMX wants three pages for the real-mode TSS somewhere outside
     * RAM; just below the BIOS area at the top of the 4 GiB hole. */
    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL);
    if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0 ||
        ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
        err = -errno;
        fprintf(stderr, "vireo-vmm: KVM cannot create the interrupt "
                        "controllers or timer: %s\n", strerror(-err));
        goto fail;
    }

    vmm_machine_init(&vm->machine, mem, n_cpus);
    vm->machine.irq_ops = &kvm_irq_ops;
    vm->machine.ram_ops = &kvm_ram_ops;

    sigaction(SIGUSR1, &sa, NULL);

    vm->vcpus = calloc(n_cpus, sizeof(*vm->vcpus));
    if (!vm->vcpus) {
        err = -ENOMEM;
        goto fail;
    }
    for (uint32_t i = 0; i < n_cpus; i++) {
        struct vmm_vcpu *v = &vm->vcpus[i];

        v->vm = vm;
        v->id = i;
        v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
        if (v->fd < 0) {
            err = -errno;
            fprintf(stderr, "vireo-vmm: KVM cannot create vCPU %u: %s\n", i,
                    strerror(-err));
            goto fail;
        }
        v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                      v->fd, 0);
        if (v->run == MAP_FAILED) {
            v->run = NULL;
            err = -errno;
            goto fail;
        }
        if ((err = vmm_cpuid_setup(v, n_cpus)) || (err = vmm_vcpu_init(v)))
            goto fail;
    }
    return 0;

fail:
    vmm_vm_destroy(vm);
    return err;
}

int vmm_vm_start(struct vmm_vm *vm, const struct vmm_entry *entry,
                 vmm_vm_stop_cb cb, void *opaque)
{
    int err;

    vm->stop_cb = cb;
    vm->stop_opaque = opaque;
    /* Application processors stay in wait-for-SIPI (KVM's default for
     * vCPUs other than 0 with an in-kernel LAPIC) until the guest starts
     * them with INIT/SIPI, as on real hardware. */
    if ((err = vmm_vcpu_set_entry(&vm->vcpus[0], entry)))
        return err;
    for (uint32_t i = 0; i < vm->n_cpus; i++) {
        struct vmm_vcpu *v = &vm->vcpus[i];

        err = pthread_create(&v->thread, NULL, vmm_vcpu_thread, v);
        if (err) {
            fprintf(stderr, "vireo-vmm: cannot start vCPU thread: %s\n",
                    strerror(err));
            vmm_vm_request_stop(vm, VMM_STOP_CRASH, 0);
            return -err;
        }
        v->thread_started = true;
        {
            char name[16]; /* "vcpu N" in top -H and /proc/PID/task */

            snprintf(name, sizeof(name), "vcpu %u", i);
            pthread_setname_np(v->thread, name);
        }
        pthread_getcpuclockid(v->thread, &v->cpu_clock);
        pthread_mutex_lock(&vm->lock);
        vm->n_running++;
        pthread_mutex_unlock(&vm->lock);
    }
    return 0;
}

static void kick_all(struct vmm_vm *vm)
{
    for (uint32_t i = 0; i < vm->n_cpus; i++) {
        struct vmm_vcpu *v = &vm->vcpus[i];

        if (v->run)
            __atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
        if (v->thread_started && !pthread_equal(v->thread, pthread_self()))
            pthread_kill(v->thread, SIGUSR1);
    }
}

void vmm_vm_pause(struct vmm_vm *vm)
{
    pthread_mutex_lock(&vm->lock);
    vm->pause_requested = true;
    pthread_mutex_unlock(&vm->lock);
    kick_all(vm);
    pthread_mutex_lock(&vm->lock);
    while (vm->n_paused < vm->n_running && !vm->stopping)
        pthread_cond_wait(&vm->cond, &vm->lock);
    pthread_mutex_unlock(&vm->lock);
}

void vmm_vm_resume(struct vmm_vm *vm)
{
    pthread_mutex_lock(&vm->lock);
    vm->pause_requested = false;
    pthread_cond_broadcast(&vm->cond);
    pthread_mutex_unlock(&vm->lock);
}

void vmm_vm_request_stop(struct vmm_vm *vm, enum vmm_stop_reason reason,
                         int status)
{
    bool report;

    pthread_mutex_lock(&vm->lock);
    vm->stopping = true;
    report = !vm->stop_reported;
    vm->stop_reported = true;
    pthread_cond_broadcast(&vm->cond);
    pthread_mutex_unlock(&vm->lock);
    kick_all(vm);
    if (report && vm->stop_cb)
        vm->stop_cb(vm, reason, status, vm->stop_opaque);
}

uint64_t vmm_vcpu_cpu_time_ns(struct vmm_vcpu *vcpu)
{
    uint64_t ns = __atomic_load_n(&vcpu->end_cpu_ns, __ATOMIC_ACQUIRE);
    struct timespec ts;

    /* a thread that ended (a guest that powered off, crashed or reset,
     * before the main loop tore the VM down) has no clock any more,
     * and its id may be another thread's: what it read as it went */
    if (!ns && vcpu->thread_started) {
        if (clock_gettime(vcpu->cpu_clock, &ts) == 0)
            ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
        else
            ns = __atomic_load_n(&vcpu->end_cpu_ns, __ATOMIC_ACQUIRE);
    }
    /* (the clock read just before the thread's own last reading may be
     * a hair above it) */
    if (ns > vcpu->cpu_ns_read)
        vcpu->cpu_ns_read = ns;
    return vcpu->cpu_ns_read;
}

void vmm_vm_destroy(struct vmm_vm *vm)
{
    if (vm->vcpus) {
        pthread_mutex_lock(&vm->lock);
        vm->stopping = true;
        vm->stop_reported = true; /* nobody is listening any more */
        pthread_cond_broadcast(&vm->cond);
        pthread_mutex_unlock(&vm->lock);
        kick_all(vm);
        for (uint32_t i = 0; i < vm->n_cpus; i++) {
            struct vmm_vcpu *v = &vm->vcpus[i];

            if (v->thread_started)
                pthread_join(v->thread, NULL);
            if (v->run)
                munmap(v->run, vm->run_size);
            if (v->fd > 0)
                close(v->fd);
        }
        free(vm->vcpus);
        vm->vcpus = NULL;
        vmm_machine_cleanup(&vm->machine);
    }
    if (vm->vm_fd >= 0)
        close(vm->vm_fd);
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
    vm->vm_fd = vm->kvm_fd = -1;
    pthread_mutex_destroy(&vm->lock);
    pthread_cond_destroy(&vm->cond);
}
