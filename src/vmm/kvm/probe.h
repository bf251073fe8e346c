/* probe.h: whether and how fast this host's KVM runs guests. */
#pragma once

/* Prints the report (see probe.c) on stdout; returns the exit status of
 * vireo-vmm --check-kvm: 0 when VMs can run (even slowly), 3 when not. */
int vmm_kvm_probe(void);
