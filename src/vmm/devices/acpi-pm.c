/* acpi-pm.c: ACPI fixed hardware at the ports the FADT names.
 *
 * PM1a event block (status, enable: the power button), PM1a control block
 * (SCI_EN, and SLP_TYP/SLP_EN: writing the DSDT's \_S5 type powers the
 * machine off) and the 24-bit, 3.579545 MHz PM timer.  The SCI is level
 * triggered on IRQ 9 while an enabled status bit is set.
 */
#include "devices/acpi-pm.h"

#include <errno.h>
#include <stdlib.h>

#include "boot/boot.h"
#include "vmm-machine.h"

#define PM1_STS_TMR 0x0001
#define PM1_STS_PWRBTN 0x0100
#define PM1_STS_WAK 0x8000
#define PM1_CNT_SCI_EN 0x0001
#define PM1_CNT_SLP_EN 0x2000
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM_TIMER_HZ 3579545ULL

struct vmm_acpi_pm {
    struct vmm_machine *m;
    uint16_t sts, en, cnt;
    int sci_level;
    uint64_t timer_base_ns;
};

static void update_sci(struct vmm_acpi_pm *pm)
{
    int level = (pm->sts & pm->en) != 0;

    if (level != pm->sci_level) {
        pm->sci_level = level;
        vmm_irq_set(pm->m, ACPI_SCI_IRQ, level);
    }
}

static uint32_t timer_value(const struct vmm_acpi_pm *pm)
{
    uint64_t ns = vmm_now_ns() - pm->timer_base_ns;
    /* split to keep the product in 64 bits for ~years of uptime */
    uint64_t ticks = (ns / 1000000000ULL) * PM_TIMER_HZ +
                     (ns % 1000000000ULL) * PM_TIMER_HZ / 1000000000ULL;

    return (uint32_t)(ticks & 0xffffff);
}

static uint32_t get(const uint8_t *data, uint32_t len)
{
    uint32_t v = 0;

    for (uint32_t i = 0; i < len && i < 4; i++)
        v |= (uint32_t)data[i] << (8 * i);
    return v;
}

static void put(uint8_t *data, uint32_t len, uint32_t v)
{
    for (uint32_t i = 0; i < len && i < 4; i++)
        data[i] = (v >> (8 * i)) & 0xff;
}

/* the PM1 event and control blocks as one 8-byte window at 0x600 */
static void pm_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
    struct vmm_acpi_pm *pm = opaque;
    uint8_t regs[8];

    put(regs + 0, 2, pm->sts);
    put(regs + 2, 2, pm->en);
    /* no SMI_CMD: the machine is always in ACPI mode */
    put(regs + 4, 2, pm->cnt | PM1_CNT_SCI_EN);
    put(regs + 6, 2, 0);
    put(data, len, get(regs + off, len));
}

static void pm_write(void *opaque, uint64_t off, const uint8_t *data,
                     uint32_t len)
{
    struct vmm_acpi_pm *pm = opaque;

    /* treat each byte as a separate write to its register */
    for (uint32_t i = 0; i < len; i++) {
        uint64_t reg = off + i;
        uint16_t v = data[i];
        unsigned shift = (reg & 1) * 8;

        switch (reg & ~1ULL) {
        case 0: /* status: write 1 to clear */
            pm->sts &= ~(uint16_t)(v << shift);
            break;
        case 2:
            pm->en = (pm->en & ~(0xff << shift)) | (v << shift);
            pm->en &= PM1_STS_PWRBTN | PM1_STS_TMR;
            break;
        case 4:
            pm->cnt = (pm->cnt & ~(0xff << shift)) | (v << shift);
            if (pm->cnt & PM1_CNT_SLP_EN) {
                unsigned typ = (pm->cnt >> PM1_CNT_SLP_TYP_SHIFT) & 7;

                pm->cnt &= ~PM1_CNT_SLP_EN; /* write-only bit */
                if (typ == ACPI_S5_SLP_TYP)
                    vmm_machine_event(pm->m, VMM_EVENT_POWEROFF, 0);
                else
                    vmm_guest_log("guest asked for sleep type %u, which "
                                  "this machine does not offer (only S5)",
                                  typ);
            }
            break;
        default:
            break;
        }
    }
    update_sci(pm);
}

static void tmr_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
    put(data, len, timer_value(opaque) >> (8 * off));
}

static const struct vmm_io_ops pm_ops = {
    .read = pm_read,
    .write = pm_write,
};

static const struct vmm_io_ops tmr_ops = {
    .read = tmr_read,
};

int vmm_acpi_pm_power_button(struct vmm_machine *m)
{
    struct vmm_acpi_pm *pm = m->acpi_pm;

    if (!pm)
        return -ENODEV;
    pthread_mutex_lock(&m->dev_lock);
    pm->sts |= PM1_STS_PWRBTN;
    update_sci(pm);
    pthread_mutex_unlock(&m->dev_lock);
    return 0;
}

static void *acpi_pm_create(struct vmm_machine *m, int *err)
{
    struct vmm_acpi_pm *pm = calloc(1, sizeof(*pm));

    if (!pm) {
        *err = -ENOMEM;
        return NULL;
    }
    pm->m = m;
    pm->timer_base_ns = vmm_now_ns();
    if ((*err = vmm_bus_register(&m->pio, ACPI_PM1_EVT_PORT, 8, &pm_ops, pm,
                                 "acpi-pm1")) ||
        (*err = vmm_bus_register(&m->pio, ACPI_PM_TMR_PORT, 4, &tmr_ops, pm,
                                 "acpi-pm-timer"))) {
        vmm_bus_unregister(&m->pio, ACPI_PM1_EVT_PORT, pm);
        free(pm);
        return NULL;
    }
    m->acpi_pm = pm;
    return pm;
}

static void acpi_pm_destroy(struct vmm_machine *m, void *state)
{
    vmm_bus_unregister(&m->pio, ACPI_PM1_EVT_PORT, state);
    vmm_bus_unregister(&m->pio, ACPI_PM_TMR_PORT, state);
    m->acpi_pm = NULL;
    free(state);
}

static const struct vmm_device_type acpi_pm_type = {
    .name = "acpi-pm",
    .priority = VMM_PRIO_PLATFORM,
    .create = acpi_pm_create,
    .destroy = acpi_pm_destroy,
};
VMM_DEVICE_REGISTER(acpi_pm_type)
