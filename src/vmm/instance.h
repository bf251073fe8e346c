/* instance.h: one running VM: configuration, lifecycle, state. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "boot/boot.h"
#include "console.h"
#include "display/display.h"
#include "kvm/vm.h"
#include "loop.h"

typedef enum {
    VMM_STATE_STARTING,
    VMM_STATE_RUNNING,
    VMM_STATE_PAUSED,
    VMM_STATE_STOPPED,
} VmmState;

/* Exit statuses of vireo-vmm (debug-exit statuses are always odd). */
#define VMM_STATUS_OK 0
#define VMM_STATUS_ERROR 2 /* bad arguments, setup failure */
#define VMM_STATUS_CRASH 4 /* the guest crashed */

typedef struct VmmInstance VmmInstance;
/* called on the main loop after each change of state */
typedef void (*VmmStateNotify)(VmmInstance *inst, void *user_data);

struct VmmInstance {
    char *name;
    char *uuid;
    uint64_t mem_size;
    uint32_t n_cpus;
    struct vmm_boot_config boot;
    bool reboot_exits; /* --on-reboot=exit */
    bool reboot_asked; /* Reboot: the guest's next power-off restarts it */

    struct vmm_mem mem;
    struct vmm_vm vm;
    bool vm_live;
    VmmConsole *console;
    VmmDisplay *display;  /* NULL with --display none */
    VmmLoop *loop;
    VmmState state;
    int exit_status;
    int64_t boot_time_us; /* monotonic time of the last (re)boot */
    uint64_t resets;

    VmmStateNotify notify;
    void *notify_data;
};

const char *vmm_state_to_string(VmmState state);

/* Creates guest memory, the VM, devices; loads the kernel; starts the
 * vCPUs.  Errors have been printed; returns false. */
bool vmm_instance_boot(VmmInstance *inst);
void vmm_instance_pause(VmmInstance *inst);
void vmm_instance_resume(VmmInstance *inst);
/* Guest-visible reset (like the reset button). */
void vmm_instance_reset(VmmInstance *inst);
/* Presses the ACPI power button; false if the VM is not running. */
bool vmm_instance_power_button(VmmInstance *inst);
bool vmm_instance_reboot(VmmInstance *inst);
/* Ends the VM now and quits the main loop with @status. */
void vmm_instance_quit(VmmInstance *inst, int status);
void vmm_instance_free_vm(VmmInstance *inst);
