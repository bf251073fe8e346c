/* probe.h: whether and how fast this host's KVM runs guests. */
#pragma once

/* Prints the report (see probe.c) on stdout; returns the exit status of
 * vireo-vmm --check-kvm: 0 when VMs can run (even slowly), 3 when not. */
int vmm_kvm_probe(void);

#include <stddef.h>

#define VMM_KVM_PATH "/dev/kvm"

/* One or two sentences for the user on why VMM_KVM_PATH cannot be opened
 * (errno @err) and how to fix it: load the module, or join the group that
 * may use the device.  Returns @buf. */
const char *vmm_kvm_explain(int err, char *buf, size_t size);
