/* instance.c: the VM's lifecycle on the main loop.
 *
 * vCPU threads report why they stopped through vmm_vm's stop callback;
 * the report is carried to the main loop, which powers off, exits with
 * the debug-exit status, restarts the machine after a reset or a triple
 * fault (or ends it with --on-reboot=exit, status 4 for the fault) or
 * prints that the guest crashed.
 */
#include "instance.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/acpi-pm.h"
#include "devices/bochs-display.h"

const char *vmm_state_to_string(VmmState state)
{
    switch (state) {
    case VMM_STATE_STARTING:
        return "starting";
    case VMM_STATE_RUNNING:
        return "running";
    case VMM_STATE_PAUSED:
        return "paused";
    case VMM_STATE_STOPPED:
        return "stopped";
    }
    return "unknown";
}

static void set_state(VmmInstance *inst, VmmState state)
{
    if (inst->state == state)
        return;
    inst->state = state;
    if (inst->notify)
        inst->notify(inst, inst->notify_data);
}

typedef struct {
    VmmInstance *inst;
    uint64_t generation;
    enum vmm_stop_reason reason;
    int status;
} StopReport;

/* the guest reset itself, or powered off after Reboot */
static void restart(VmmInstance *inst)
{
    inst->reboot_asked = false;
    if (inst->reboot_exits) {
        fprintf(stderr, "vireo-vmm: %s rebooted; ending as --on-reboot=exit "
                   "asks\n", inst->name);
        vmm_instance_quit(inst, VMM_STATUS_OK);
        return;
    }
    vmm_instance_free_vm(inst);
    vmm_mem_clear(&inst->mem);
    inst->resets++;
    if (!vmm_instance_boot(inst))
        vmm_instance_quit(inst, VMM_STATUS_ERROR);
}

static void on_stop_main(void *data)
{
    StopReport *r = data;
    VmmInstance *inst = r->inst;

    /* a report from a VM we already tore down (reset race) is stale */
    if (!inst->vm_live || r->generation != inst->resets)
        return;
    switch (r->reason) {
    case VMM_STOP_POWEROFF:
        if (inst->reboot_asked) {
            fprintf(stderr, "vireo-vmm: %s shut down to reboot\n", inst->name);
            restart(inst);
            break;
        }
        fprintf(stderr, "vireo-vmm: %s powered off\n", inst->name);
        vmm_instance_quit(inst, VMM_STATUS_OK);
        break;
    case VMM_STOP_EXIT:
        vmm_instance_quit(inst, r->status);
        break;
    case VMM_STOP_CRASH:
        vmm_instance_quit(inst, VMM_STATUS_CRASH);
        break;
    case VMM_STOP_TRIPLE_FAULT:
        /* a PC resets; with --on-reboot=exit the crash is the verdict */
        if (inst->reboot_exits) {
            fprintf(stderr, "vireo-vmm: %s crashed (triple fault); ending as "
                       "--on-reboot=exit asks\n", inst->name);
            vmm_instance_quit(inst, VMM_STATUS_CRASH);
            break;
        }
        fprintf(stderr, "vireo-vmm: %s crashed (triple fault); restarting it\n",
                   inst->name);
        /* fall through */
    case VMM_STOP_RESET:
        restart(inst);
        break;
    }
}

/* vCPU thread (or main loop): hand the report to the main loop, always
 * posted (never run here, even on the main thread: the instance may be
 * in the middle of booting), as the loop's first work at its next turn */
static void on_stop(struct vmm_vm *vm, enum vmm_stop_reason reason, int status,
                    void *opaque)
{
    StopReport *r = calloc(1, sizeof(*r));
    VmmInstance *inst = opaque;

    if (!r)
        abort();
    r->inst = inst;
    r->generation = vm->tag;
    r->reason = reason;
    r->status = status;
    vmm_loop_post(inst->loop, on_stop_main, r, free);
}

void vmm_instance_free_vm(VmmInstance *inst)
{
    if (!inst->vm_live)
        return;
    if (inst->console)
        vmm_console_detach(inst->console);
    if (inst->display)
        vmm_display_detach(inst->display);
    vmm_vm_destroy(&inst->vm);
    inst->vm_live = false;
}

/* With a display, direct Linux boot gets a linear framebuffer in its
 * boot parameters and the device starts in that mode. */
static bool load_kernel(VmmInstance *inst, struct vmm_entry *entry)
{
    struct vmm_machine *m = &inst->vm.machine;
    struct vmm_boot_fb fb;
    struct vmm_fb_mode mode;
    int err;

    inst->boot.fb = NULL;
    if (inst->display &&
        vmm_bochs_boot_mode(m, VMM_DISPLAY_BOOT_WIDTH, VMM_DISPLAY_BOOT_HEIGHT,
                            false, &fb.base, &fb.size, &mode) == 0) {
        fb.width = mode.width;
        fb.height = mode.height;
        fb.stride = mode.stride;
        fb.bpp = mode.bpp;
        inst->boot.fb = &fb;
    }
    err = vmm_boot_load(&inst->mem, &inst->boot, entry);
    if (!err && inst->boot.fb && entry->mode == VMM_ENTRY_LINUX64)
        vmm_bochs_boot_mode(m, fb.width, fb.height, true, &fb.base, &fb.size,
                            &mode);
    inst->boot.fb = NULL;
    return err == 0;
}

bool vmm_instance_boot(VmmInstance *inst)
{
    struct vmm_entry entry;
    struct timespec now;
    int err;

    set_state(inst, VMM_STATE_STARTING);
    if (!inst->mem.base && (err = vmm_mem_create(&inst->mem, inst->mem_size))) {
        fprintf(stderr, "vireo-vmm: cannot allocate %" PRIu64 " MiB of "
                "guest memory: %s\n", inst->mem_size >> 20, strerror(-err));
        return false;
    }
    if (vmm_vm_create(&inst->vm, &inst->mem, inst->n_cpus) < 0)
        return false;
    inst->vm_live = true;
    if (inst->console)
        vmm_console_attach(inst->console, &inst->vm.machine);
    if (inst->display)
        vmm_display_attach(inst->display, &inst->vm.machine);
    if (vmm_devices_create(&inst->vm.machine) < 0 ||
        !load_kernel(inst, &entry)) {
        vmm_instance_free_vm(inst);
        return false;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    inst->boot_time_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
    inst->vm.tag = inst->resets;
    if (vmm_vm_start(&inst->vm, &entry, on_stop, inst) < 0) {
        vmm_instance_free_vm(inst);
        return false;
    }
    set_state(inst, VMM_STATE_RUNNING);
    return true;
}

void vmm_instance_pause(VmmInstance *inst)
{
    if (inst->state != VMM_STATE_RUNNING)
        return;
    vmm_vm_pause(&inst->vm);
    set_state(inst, VMM_STATE_PAUSED);
}

void vmm_instance_resume(VmmInstance *inst)
{
    if (inst->state != VMM_STATE_PAUSED)
        return;
    vmm_vm_resume(&inst->vm);
    set_state(inst, VMM_STATE_RUNNING);
}

void vmm_instance_reset(VmmInstance *inst)
{
    if (!inst->vm_live)
        return;
    if (inst->state == VMM_STATE_PAUSED)
        vmm_vm_resume(&inst->vm);
    /* the same path as a guest-initiated reset */
    vmm_vm_request_stop(&inst->vm, VMM_STOP_RESET, 0);
}

bool vmm_instance_power_button(VmmInstance *inst)
{
    if (!inst->vm_live || inst->state != VMM_STATE_RUNNING)
        return false;
    return vmm_acpi_pm_power_button(&inst->vm.machine) == 0;
}

/* A clean reboot, as libvirt does it with QEMU: the guest shuts down
 * through the power button and its power-off restarts the machine. */
bool vmm_instance_reboot(VmmInstance *inst)
{
    if (!vmm_instance_power_button(inst))
        return false;
    inst->reboot_asked = true;
    return true;
}

void vmm_instance_quit(VmmInstance *inst, int status)
{
    vmm_instance_free_vm(inst);
    inst->exit_status = status;
    set_state(inst, VMM_STATE_STOPPED);
    if (inst->loop)
        vmm_loop_quit(inst->loop);
}
