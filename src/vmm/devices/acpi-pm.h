/* acpi-pm.h: ACPI fixed hardware: PM1 event/control blocks, PM timer. */
#pragma once

struct vmm_machine;

/* Presses the power button (sets PWRBTN_STS, raises the SCI if enabled).
 * Takes the device lock.  -ENODEV without the device. */
int vmm_acpi_pm_power_button(struct vmm_machine *m);
