/* bochs-display.c: the display device (see bochs-display.h).
 *
 * The device only holds registers; the picture is in video memory that
 * the display back-end owns.  With KVM the memory is a slot of its own
 * with dirty logging, so guest writes cost nothing; without (unit tests)
 * BAR 0 is plain MMIO that records the pages it writes.
 */
#include "devices/bochs-display.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci.h"

#define RAM_SLOT 0     /* our device slot (vmm_ram_ops id) */
#define PAGE_SHIFT 12
#define QEXT_SIZE 8
#define QEXT_LITTLE_ENDIAN 0x1e1e1e1eu
#define QEXT_BIG_ENDIAN 0xbebebebeu

struct vmm_bochs {
    struct vmm_machine *m;
    struct vmm_pci_dev pci;
    uint16_t regs[VBE_DISPI_NUM_REGS];
    uint32_t byteorder;
    uint8_t edid[128];
    uint8_t *vram;
    uint64_t vram_size;
    bool slot_mapped;     /* video memory is a KVM slot right now */
    uint64_t *dirty;      /* pages written through MMIO, or saved from the
                           * KVM log when the slot went away */
    uint64_t *log;        /* scratch for the KVM log */
    size_t dirty_words;
};

/* ---- modes ---- */

int vmm_bochs_decode_mode(const uint16_t regs[VBE_DISPI_NUM_REGS],
                          uint64_t vram_size, struct vmm_fb_mode *mode,
                          char *why, size_t why_len)
{
    uint32_t bytepp, virt_width;
    uint64_t size;

    memset(mode, 0, sizeof(*mode));
    if (!(regs[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED))
        return -ENODATA;
    switch (regs[VBE_DISPI_INDEX_BPP]) {
    case 16:
    case 32:
        mode->bpp = regs[VBE_DISPI_INDEX_BPP];
        break;
    default:
        snprintf(why, why_len, "%u bits per pixel is not supported (only "
                 "16 and 32 are)", regs[VBE_DISPI_INDEX_BPP]);
        return -EINVAL;
    }
    bytepp = mode->bpp / 8;
    mode->width = regs[VBE_DISPI_INDEX_XRES];
    mode->height = regs[VBE_DISPI_INDEX_YRES];
    if (mode->width < VMM_FB_MIN_DIM || mode->height < VMM_FB_MIN_DIM ||
        mode->width > VMM_FB_MAX_DIM || mode->height > VMM_FB_MAX_DIM) {
        snprintf(why, why_len, "%ux%u is out of range (each side must be "
                 "%u to %u pixels)", mode->width, mode->height,
                 VMM_FB_MIN_DIM, VMM_FB_MAX_DIM);
        return -EINVAL;
    }
    virt_width = regs[VBE_DISPI_INDEX_VIRT_WIDTH];
    if (virt_width < mode->width)
        virt_width = mode->width;
    mode->stride = virt_width * bytepp;
    size = (uint64_t)mode->stride * mode->height;
    mode->offset = (uint64_t)regs[VBE_DISPI_INDEX_X_OFFSET] * bytepp +
                   (uint64_t)regs[VBE_DISPI_INDEX_Y_OFFSET] * mode->stride;
    if (mode->offset + size > vram_size) {
        snprintf(why, why_len, "%ux%ux%u at offset %llu needs %llu bytes "
                 "of video memory; the device has %llu",
                 mode->width, mode->height, mode->bpp,
                 (unsigned long long)mode->offset,
                 (unsigned long long)(mode->offset + size),
                 (unsigned long long)vram_size);
        return -EINVAL;
    }
    return 0;
}

/* ---- EDID: a monitor that prefers 1280x800 and takes up to 1920x1200 */

static void put_std_timing(uint8_t *p, unsigned w, unsigned aspect)
{
    /* aspect: 0 16:10, 1 4:3, 2 5:4, 3 16:9; 60 Hz */
    p[0] = (uint8_t)(w / 8 - 31);
    p[1] = (uint8_t)(aspect << 6);
}

static void put_descriptor_text(uint8_t *d, uint8_t tag, const char *text)
{
    size_t n = strlen(text);

    memset(d, 0, 18);
    d[3] = tag;
    memset(d + 5, ' ', 13);
    memcpy(d + 5, text, n);
    if (n < 13)
        d[5 + n] = '\n';
}

void vmm_bochs_build_edid(uint8_t edid[128])
{
    /* CVT reduced blanking 1280x800 at 60 Hz: 71 MHz, 1440 x 823 total */
    static const uint8_t dtd[18] = {
        0xbc, 0x1b,             /* 7100 x 10 kHz */
        0x00, 0xa0, 0x50,       /* 1280 active, 160 blank */
        0x20, 0x17, 0x30,       /* 800 active, 23 blank */
        0x30, 0x20,             /* h front porch 48, sync 32 */
        0x36, 0x00,             /* v front porch 3, sync 6 */
        0x05, 0x03, 0x20,       /* 261 x 163 mm */
        0x00, 0x00,             /* no border */
        0x1a,                   /* digital separate sync, +h -v */
    };
    uint8_t sum = 0;
    uint8_t *d;

    memset(edid, 0, 128);
    memset(edid + 1, 0xff, 6);        /* header 00 ff ff ff ff ff ff 00 */
    edid[8] = 0x59;                   /* manufacturer "VIR" */
    edid[9] = 0x32;
    edid[10] = 0x11;                  /* product 0x1111 */
    edid[11] = 0x11;
    edid[17] = 34;                    /* made in 2024 */
    edid[18] = 1;                     /* EDID 1.4 */
    edid[19] = 4;
    edid[20] = 0xa0;                  /* digital, 8 bits per colour */
    edid[21] = 26;                    /* 26 x 16 cm */
    edid[22] = 16;
    edid[23] = 120;                   /* gamma 2.2 */
    edid[24] = 0x07;                  /* RGB, sRGB, preferred is native,
                                       * continuous frequency */
    /* sRGB chromaticity */
    edid[25] = 0xee; edid[26] = 0x91; edid[27] = 0xa3; edid[28] = 0x54;
    edid[29] = 0x4c; edid[30] = 0x99; edid[31] = 0x26; edid[32] = 0x0f;
    edid[33] = 0x50; edid[34] = 0x54;
    /* established timings: 640x480, 800x600, 1024x768 at 60 Hz */
    edid[35] = 0x21;
    edid[36] = 0x08;
    /* standard timings */
    put_std_timing(edid + 38, 1280, 0);  /* 1280x800 */
    put_std_timing(edid + 40, 1280, 2);  /* 1280x1024 */
    put_std_timing(edid + 42, 1440, 0);  /* 1440x900 */
    put_std_timing(edid + 44, 1600, 1);  /* 1600x1200 */
    put_std_timing(edid + 46, 1680, 0);  /* 1680x1050 */
    put_std_timing(edid + 48, 1920, 3);  /* 1920x1080 */
    put_std_timing(edid + 50, 1920, 0);  /* 1920x1200 */
    put_std_timing(edid + 52, 1280, 3);  /* 1280x720 */
    /* the preferred mode, then range limits, a name and a serial */
    memcpy(edid + 54, dtd, sizeof(dtd));
    d = edid + 72;
    d[3] = 0xfd;
    d[5] = 50;   /* 50-125 Hz vertical */
    d[6] = 125;
    d[7] = 30;   /* 30-160 kHz horizontal */
    d[8] = 160;
    d[9] = 25;   /* 250 MHz pixel clock */
    d[10] = 0x00; /* default GTF */
    d[11] = 0x0a;
    memset(d + 12, ' ', 6);
    put_descriptor_text(edid + 90, 0xfc, "Vireo display");
    put_descriptor_text(edid + 108, 0xff, "1");
    for (int i = 0; i < 127; i++)
        sum += edid[i];
    edid[127] = (uint8_t)(0x100 - sum);
}

/* ---- BAR 2: EDID, DISPI, QEMU extended registers ---- */

static uint16_t dispi_read(struct vmm_bochs *b, unsigned index)
{
    switch (index) {
    case VBE_DISPI_INDEX_ID:
        return VBE_DISPI_ID5;
    case VBE_DISPI_INDEX_VIDEO_MEMORY_64K:
        return (uint16_t)(b->vram_size >> 16);
    }
    if (index >= VBE_DISPI_NUM_REGS)
        return 0xffff;
    return b->regs[index];
}

static void dispi_write(struct vmm_bochs *b, unsigned index, uint16_t v)
{
    /* Registers only store: the mode is decoded, and judged, when the
     * display looks at it (as in QEMU).  ID and the memory size are
     * read-only. */
    if (index == VBE_DISPI_INDEX_ID || index >= VBE_DISPI_NUM_REGS)
        return;
    if (b->regs[index] == v)
        return;
    b->regs[index] = v;
    if (b->m->fb && b->m->fb->changed)
        b->m->fb->changed(b->m->fb->opaque);
}

static uint8_t mmio_byte(struct vmm_bochs *b, uint64_t off)
{
    if (off < VMM_BOCHS_EDID_OFFSET + sizeof(b->edid))
        return b->edid[off - VMM_BOCHS_EDID_OFFSET];
    if (off >= VMM_BOCHS_DISPI_OFFSET &&
        off < VMM_BOCHS_DISPI_OFFSET + 2 * (VBE_DISPI_NUM_REGS + 1)) {
        unsigned r = (unsigned)(off - VMM_BOCHS_DISPI_OFFSET);

        return (uint8_t)(dispi_read(b, r / 2) >> (8 * (r & 1)));
    }
    if (off >= VMM_BOCHS_QEXT_OFFSET &&
        off < VMM_BOCHS_QEXT_OFFSET + QEXT_SIZE) {
        unsigned r = (unsigned)(off - VMM_BOCHS_QEXT_OFFSET);
        uint32_t v = r < 4 ? QEXT_SIZE : b->byteorder;

        return (uint8_t)(v >> (8 * (r & 3)));
    }
    return 0;
}

static void mmio_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
    struct vmm_bochs *b = opaque;

    for (uint32_t i = 0; i < len; i++)
        data[i] = mmio_byte(b, off + i);
}

static void mmio_write(void *opaque, uint64_t off, const uint8_t *data,
                       uint32_t len)
{
    struct vmm_bochs *b = opaque;

    if (off >= VMM_BOCHS_DISPI_OFFSET &&
        off < VMM_BOCHS_DISPI_OFFSET + 2 * VBE_DISPI_NUM_REGS) {
        /* 16-bit registers; wider writes cover several, byte writes
         * change one half */
        uint64_t end = off + len;

        while (off < end) {
            unsigned r = (unsigned)(off - VMM_BOCHS_DISPI_OFFSET);
            unsigned idx = r / 2;
            uint16_t v;

            if (idx >= VBE_DISPI_NUM_REGS)
                break;
            v = b->regs[idx];
            for (; off < end && (off - VMM_BOCHS_DISPI_OFFSET) / 2 == idx;
                 off++, data++) {
                if ((off - VMM_BOCHS_DISPI_OFFSET) & 1)
                    v = (uint16_t)((v & 0x00ff) | *data << 8);
                else
                    v = (uint16_t)((v & 0xff00) | *data);
            }
            dispi_write(b, idx, v);
        }
        return;
    }
    if (off == VMM_BOCHS_QEXT_OFFSET + 4 && len == 4) {
        uint32_t v = (uint32_t)data[0] | (uint32_t)data[1] << 8 |
                     (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;

        if (v == QEXT_LITTLE_ENDIAN) {
            b->byteorder = v;
        } else if (v == QEXT_BIG_ENDIAN) {
            vmm_guest_log("bochs-display: the guest asked for a big-endian "
                          "framebuffer, which this display does not "
                          "support; it stays little-endian");
        }
        return;
    }
    /* EDID and everything else is read-only */
}

static const struct vmm_io_ops mmio_ops = {
    .read = mmio_read,
    .write = mmio_write,
};

/* ---- BAR 0: video memory ---- */

static void mark_dirty(struct vmm_bochs *b, uint64_t off, uint64_t len)
{
    for (uint64_t p = off >> PAGE_SHIFT; p <= (off + len - 1) >> PAGE_SHIFT;
         p++)
        b->dirty[p / 64] |= 1ULL << (p % 64);
}

/* the slow path, without a RAM slot (unit tests, or a slot that failed) */
static void vram_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
    struct vmm_bochs *b = opaque;

    if (off + len <= b->vram_size)
        memcpy(data, b->vram + off, len);
}

static void vram_write(void *opaque, uint64_t off, const uint8_t *data,
                       uint32_t len)
{
    struct vmm_bochs *b = opaque;

    if (off + len > b->vram_size)
        return;
    memcpy(b->vram + off, data, len);
    mark_dirty(b, off, len);
}

static const struct vmm_io_ops vram_ops = {
    .read = vram_read,
    .write = vram_write,
};

/* pages the guest wrote through the slot go to b->dirty */
static void save_log(struct vmm_bochs *b)
{
    if (!b->slot_mapped)
        return;
    if (b->m->ram_ops->dirty_log(b->m, RAM_SLOT, b->log) < 0) {
        /* cannot tell what changed: say everything did */
        memset(b->dirty, 0xff, b->dirty_words * 8);
        return;
    }
    for (size_t i = 0; i < b->dirty_words; i++)
        b->dirty[i] |= b->log[i];
}

static void vram_map(void *opaque, uint64_t addr, bool mapped)
{
    struct vmm_bochs *b = opaque;
    struct vmm_machine *m = b->m;
    int err;

    if (!m->ram_ops) {
        /* no KVM: decode the BAR as MMIO */
        if (mapped)
            err = vmm_bus_register(&m->mmio, addr, b->vram_size, &vram_ops, b,
                                   "bochs-display-vram");
        else
            err = vmm_bus_unregister(&m->mmio, addr, b);
        if (err)
            vmm_guest_log("bochs-display: video memory at 0x%llx overlaps "
                          "another region; not decoded",
                          (unsigned long long)addr);
        return;
    }
    save_log(b);
    b->slot_mapped = false;
    err = m->ram_ops->map(m, RAM_SLOT, addr, mapped ? b->vram_size : 0,
                          b->vram, true);
    if (err) {
        vmm_guest_log("bochs-display: cannot map video memory at 0x%llx: %s",
                      (unsigned long long)addr, strerror(-err));
        return;
    }
    b->slot_mapped = mapped;
}

/* ---- the display back-end's side ---- */

int vmm_bochs_poll(struct vmm_machine *m, uint16_t regs[VBE_DISPI_NUM_REGS],
                   uint64_t *dirty)
{
    struct vmm_bochs *b;

    pthread_mutex_lock(&m->dev_lock);
    b = m->bochs;
    if (!b) {
        pthread_mutex_unlock(&m->dev_lock);
        return -ENODEV;
    }
    memcpy(regs, b->regs, sizeof(b->regs));
    save_log(b);
    for (size_t i = 0; i < b->dirty_words; i++)
        dirty[i] |= b->dirty[i];
    memset(b->dirty, 0, b->dirty_words * 8);
    pthread_mutex_unlock(&m->dev_lock);
    return 0;
}

int vmm_bochs_boot_mode(struct vmm_machine *m, uint32_t width,
                        uint32_t height, bool enable, uint64_t *fb_addr,
                        uint64_t *fb_size, struct vmm_fb_mode *mode)
{
    struct vmm_bochs *b;
    uint16_t regs[VBE_DISPI_NUM_REGS] = {0};
    char why[160];
    int err;

    regs[VBE_DISPI_INDEX_XRES] = (uint16_t)width;
    regs[VBE_DISPI_INDEX_YRES] = (uint16_t)height;
    regs[VBE_DISPI_INDEX_BPP] = 32;
    regs[VBE_DISPI_INDEX_VIRT_WIDTH] = (uint16_t)width;
    regs[VBE_DISPI_INDEX_VIRT_HEIGHT] = (uint16_t)height;
    regs[VBE_DISPI_INDEX_ENABLE] = VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED;
    pthread_mutex_lock(&m->dev_lock);
    b = m->bochs;
    if (!b) {
        pthread_mutex_unlock(&m->dev_lock);
        return -ENODEV;
    }
    err = vmm_bochs_decode_mode(regs, b->vram_size, mode, why, sizeof(why));
    if (!err) {
        *fb_addr = b->pci.bars[0].addr;
        *fb_size = b->vram_size;
        if (enable) {
            memcpy(b->regs, regs, sizeof(regs));
            if (m->fb->changed)
                m->fb->changed(m->fb->opaque);
        }
    }
    pthread_mutex_unlock(&m->dev_lock);
    return err;
}

/* ---- life cycle ---- */

static void *bochs_create(struct vmm_machine *m, int *err)
{
    struct vmm_bochs *b;

    if (!m->fb)
        return NULL; /* no display configured: no device */
    if (!m->fb->vram || m->fb->vram_size < (1u << 20) ||
        m->fb->vram_size & (m->fb->vram_size - 1)) {
        *err = -EINVAL;
        return NULL;
    }
    b = calloc(1, sizeof(*b));
    if (!b) {
        *err = -ENOMEM;
        return NULL;
    }
    b->m = m;
    b->vram = m->fb->vram;
    b->vram_size = m->fb->vram_size;
    b->byteorder = QEXT_LITTLE_ENDIAN;
    b->dirty_words = (size_t)((b->vram_size >> PAGE_SHIFT) + 63) / 64;
    b->dirty = calloc(b->dirty_words, 8);
    b->log = calloc(b->dirty_words, 8);
    if (!b->dirty || !b->log) {
        free(b->dirty);
        free(b->log);
        free(b);
        *err = -ENOMEM;
        return NULL;
    }
    vmm_bochs_build_edid(b->edid);
    /* class 03 80 00: display controller, other; revision 2 has the
     * extended registers (Linux's bochs driver checks) */
    vmm_pci_dev_init(&b->pci, "bochs-display", VMM_BOCHS_VENDOR,
                     VMM_BOCHS_DEVICE, 0x038000, false);
    b->pci.cfg[PCI_REVISION] = 2;
    b->pci.bars[0] = (struct vmm_pci_bar){
        .size = b->vram_size, .prefetchable = true, .opaque = b,
        .map = vram_map};
    b->pci.bars[2] = (struct vmm_pci_bar){
        .size = VMM_BOCHS_MMIO_SIZE, .ops = &mmio_ops, .opaque = b};
    b->pci.opaque = b;
    m->bochs = b;
    if ((*err = vmm_pci_add(m, &b->pci))) {
        m->bochs = NULL;
        free(b->dirty);
        free(b->log);
        free(b);
        return NULL;
    }
    return b;
}

static void bochs_destroy(struct vmm_machine *m, void *state)
{
    struct vmm_bochs *b = state;

    vmm_pci_remove(m, &b->pci);
    m->bochs = NULL;
    free(b->dirty);
    free(b->log);
    free(b);
}

static const struct vmm_device_type bochs_type = {
    .name = "bochs-display",
    .priority = VMM_PRIO_PCI_DEV,
    .create = bochs_create,
    .destroy = bochs_destroy,
};
VMM_DEVICE_REGISTER(bochs_type)
