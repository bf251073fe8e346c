/* rtc.c: the MC146818 CMOS real-time clock and its 128 bytes of RAM.
 *
 * Index port 0x70 (bit 7 masks NMI), data port 0x71.  The clock is the
 * host's UTC clock plus an offset the guest sets by writing the time
 * registers; BCD or binary, 12 or 24 hours as register B says.  Update-
 * in-progress is set during the last 244 us of every second, and the
 * update-ended flag in register C follows the seconds as they pass.
 * Alarm and periodic interrupts are not offered: enabling them in
 * register B is logged and has no effect.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "boot/boot.h"
#include "vmm-machine.h"

#define RTC_INDEX_PORT 0x70
#define RTC_DATA_PORT 0x71

#define REG_SEC 0x00
#define REG_MIN 0x02
#define REG_HOUR 0x04
#define REG_WDAY 0x06
#define REG_MDAY 0x07
#define REG_MON 0x08
#define REG_YEAR 0x09
#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d
#define REG_CENTURY 0x32

#define A_UIP 0x80
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_BINARY 0x04
#define B_24H 0x02
#define C_UF 0x10
#define D_VRT 0x80

struct rtc {
    struct vmm_machine *m;
    uint8_t index;
    uint8_t ram[128];
    int64_t offset_s;       /* guest time - host time */
    int64_t last_c_read_s;  /* for the update-ended flag */
    bool warned_irq;
};

static int64_t now_s(const struct rtc *r, long *nsec)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (nsec)
        *nsec = ts.tv_nsec;
    return (int64_t)ts.tv_sec + r->offset_s;
}

static uint8_t to_bcd(const struct rtc *r, unsigned v)
{
    if (r->ram[REG_B] & B_BINARY)
        return (uint8_t)v;
    return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static unsigned from_bcd(const struct rtc *r, uint8_t v)
{
    if (r->ram[REG_B] & B_BINARY)
        return v;
    return (unsigned)((v >> 4) * 10 + (v & 0xf));
}

static uint8_t encode_hour(const struct rtc *r, unsigned hour)
{
    if (r->ram[REG_B] & B_24H)
        return to_bcd(r, hour);
    /* 12-hour: 12, 1..11 with bit 7 for PM */
    unsigned h12 = hour % 12 ? hour % 12 : 12;
    return (uint8_t)(to_bcd(r, h12) | (hour >= 12 ? 0x80 : 0));
}

static unsigned decode_hour(const struct rtc *r, uint8_t v)
{
    unsigned h;

    if (r->ram[REG_B] & B_24H)
        return from_bcd(r, v) % 24;
    h = from_bcd(r, v & 0x7f) % 12;
    return (v & 0x80) ? h + 12 : h;
}

static void time_fields(const struct rtc *r, struct tm *tm)
{
    time_t t = (time_t)now_s(r, NULL);

    gmtime_r(&t, tm);
}

static uint8_t read_reg(struct rtc *r, uint8_t reg)
{
    struct tm tm;
    long nsec;
    int64_t s;

    switch (reg) {
    case REG_SEC:
    case REG_MIN:
    case REG_HOUR:
    case REG_WDAY:
    case REG_MDAY:
    case REG_MON:
    case REG_YEAR:
    case REG_CENTURY:
        time_fields(r, &tm);
        switch (reg) {
        case REG_SEC:
            return to_bcd(r, (unsigned)tm.tm_sec % 60);
        case REG_MIN:
            return to_bcd(r, (unsigned)tm.tm_min);
        case REG_HOUR:
            return encode_hour(r, (unsigned)tm.tm_hour);
        case REG_WDAY:
            return to_bcd(r, (unsigned)tm.tm_wday + 1);
        case REG_MDAY:
            return to_bcd(r, (unsigned)tm.tm_mday);
        case REG_MON:
            return to_bcd(r, (unsigned)tm.tm_mon + 1);
        case REG_YEAR:
            return to_bcd(r, (unsigned)(tm.tm_year + 1900) % 100);
        default:
            return to_bcd(r, (unsigned)(tm.tm_year + 1900) / 100);
        }
    case REG_A:
        now_s(r, &nsec);
        /* the update cycle takes the last 244 us of each second */
        return (uint8_t)((r->ram[REG_A] & 0x7f) |
                         (nsec >= 1000000000L - 244000L ? A_UIP : 0));
    case REG_C:
        s = now_s(r, NULL);
        if (s != r->last_c_read_s) {
            r->last_c_read_s = s;
            return C_UF; /* a second ended since the last read */
        }
        return 0;
    case REG_D:
        return D_VRT; /* the battery is fine */
    default:
        return r->ram[reg];
    }
}

static void write_time(struct rtc *r, uint8_t reg, uint8_t v)
{
    struct tm tm;
    time_t t;

    time_fields(r, &tm);
    switch (reg) {
    case REG_SEC:
        tm.tm_sec = (int)(from_bcd(r, v) % 60);
        break;
    case REG_MIN:
        tm.tm_min = (int)(from_bcd(r, v) % 60);
        break;
    case REG_HOUR:
        tm.tm_hour = (int)decode_hour(r, v);
        break;
    case REG_MDAY:
        tm.tm_mday = (int)from_bcd(r, v);
        if (tm.tm_mday < 1 || tm.tm_mday > 31)
            return;
        break;
    case REG_MON:
        if (from_bcd(r, v) < 1 || from_bcd(r, v) > 12)
            return;
        tm.tm_mon = (int)from_bcd(r, v) - 1;
        break;
    case REG_YEAR:
        tm.tm_year = (tm.tm_year + 1900) / 100 * 100 +
                     (int)(from_bcd(r, v) % 100) - 1900;
        break;
    case REG_CENTURY:
        tm.tm_year = (int)(from_bcd(r, v) % 100) * 100 +
                     (tm.tm_year + 1900) % 100 - 1900;
        break;
    default:
        return; /* the day of the week follows from the date */
    }
    t = timegm(&tm);
    if (t == (time_t)-1)
        return;
    r->offset_s += (int64_t)t - now_s(r, NULL);
}

static void write_reg(struct rtc *r, uint8_t reg, uint8_t v)
{
    switch (reg) {
    case REG_SEC:
    case REG_MIN:
    case REG_HOUR:
    case REG_WDAY:
    case REG_MDAY:
    case REG_MON:
    case REG_YEAR:
    case REG_CENTURY:
        write_time(r, reg, v);
        break;
    case REG_A:
        r->ram[REG_A] = v & 0x7f;
        break;
    case REG_B:
        if ((v & (B_PIE | B_AIE | B_UIE)) && !r->warned_irq) {
            vmm_guest_log("RTC: the guest enabled RTC interrupts, which this "
                          "machine does not offer; use the PIT or HPET");
            r->warned_irq = true;
        }
        r->ram[REG_B] = v;
        break;
    case REG_C:
    case REG_D:
        break; /* read-only */
    default:
        r->ram[reg] = v;
        break;
    }
}

static void index_write(void *opaque, uint64_t off, const uint8_t *data,
                        uint32_t len)
{
    struct rtc *r = opaque;

    r->index = data[0] & 0x7f; /* bit 7 is the NMI mask */
}

static void index_read(void *opaque, uint64_t off, uint8_t *data,
                       uint32_t len)
{
    struct rtc *r = opaque;

    data[0] = r->index;
}

static void data_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
    data[0] = read_reg(opaque, ((struct rtc *)opaque)->index);
}

static void data_write(void *opaque, uint64_t off, const uint8_t *data,
                       uint32_t len)
{
    write_reg(opaque, ((struct rtc *)opaque)->index, data[0]);
}

static const struct vmm_io_ops index_ops = {
    .read = index_read,
    .write = index_write,
};

static const struct vmm_io_ops data_ops = {
    .read = data_read,
    .write = data_write,
};

static void *rtc_create(struct vmm_machine *m, int *err)
{
    struct rtc *r = calloc(1, sizeof(*r));
    uint64_t low, high, ext;

    if (!r) {
        *err = -ENOMEM;
        return NULL;
    }
    r->m = m;
    r->ram[REG_A] = 0x26;             /* 32.768 kHz, 1024 Hz rate */
    r->ram[REG_B] = B_24H;            /* BCD, 24 hours, as PCs ship */
    /* memory sizes where firmware and old guests look for them */
    low = vmm_mem_low_size(m->mem);
    high = m->mem->size - low;
    ext = low > 0x100000 ? (low - 0x100000) >> 10 : 0; /* KiB above 1 MiB */
    if (ext > 0xffff)
        ext = 0xffff;
    r->ram[0x15] = 0x80;              /* 640 KiB base memory */
    r->ram[0x16] = 0x02;
    r->ram[0x17] = r->ram[0x30] = (uint8_t)ext;
    r->ram[0x18] = r->ram[0x31] = (uint8_t)(ext >> 8);
    ext = low > 0x1000000 ? (low - 0x1000000) >> 16 : 0; /* 64 KiB above 16 MiB */
    if (ext > 0xffff)
        ext = 0xffff;
    r->ram[0x34] = (uint8_t)ext;
    r->ram[0x35] = (uint8_t)(ext >> 8);
    high >>= 16;                      /* 64 KiB units above 4 GiB */
    r->ram[0x5b] = (uint8_t)high;
    r->ram[0x5c] = (uint8_t)(high >> 8);
    r->ram[0x5d] = (uint8_t)(high >> 16);
    r->ram[0x5f] = (uint8_t)(m->n_cpus - 1);
    if ((*err = vmm_bus_register(&m->pio, RTC_INDEX_PORT, 1, &index_ops, r,
                                 "rtc-index")) ||
        (*err = vmm_bus_register(&m->pio, RTC_DATA_PORT, 1, &data_ops, r,
                                 "rtc-data"))) {
        vmm_bus_unregister(&m->pio, RTC_INDEX_PORT, r);
        free(r);
        return NULL;
    }
    return r;
}

static void rtc_destroy(struct vmm_machine *m, void *state)
{
    vmm_bus_unregister(&m->pio, RTC_INDEX_PORT, state);
    vmm_bus_unregister(&m->pio, RTC_DATA_PORT, state);
    free(state);
}

static const struct vmm_device_type rtc_type = {
    .name = "rtc",
    .priority = VMM_PRIO_PLATFORM,
    .create = rtc_create,
    .destroy = rtc_destroy,
};
VMM_DEVICE_REGISTER(rtc_type)
