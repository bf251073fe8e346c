/* test-display-units.c: the display's parts without KVM: the
 * bochs-display registers and video memory on a fake machine (the BAR
 * falls back to MMIO there), mode decoding against hostile values, the
 * tile compare, the keymaps and the scan code tables. */
#include <errno.h>
#include <glib.h>
#include <rfb/keysym.h>
#include <string.h>

#include "boot/boot.h"
#include "devices/bochs-display.h"
#include "devices/i8042.h"
#include "devices/pci.h"
#include "devices/scancode.h"
#include "display/fbdiff.h"
#include "display/keymap.h"
#include "vmm-machine.h"

typedef struct {
    struct vmm_machine m;
    struct vmm_mem mem;
    uint8_t *ram;
    struct vmm_fb_backend fb;
    uint8_t *vram;
    int kicks;
    uint64_t bar0, bar2;
} Fake;

static void fake_line(struct vmm_machine *m, uint32_t gsi, int level)
{
}

static const struct vmm_irq_ops fake_ops = {.set_line = fake_line};

static void on_changed(void *opaque)
{
    ((Fake *)opaque)->kicks++;
}

static uint32_t cfg_read(Fake *f, uint8_t slot, uint8_t reg)
{
    uint32_t a = 0x80000000u | (uint32_t)slot << 11 | reg, v = 0;

    vmm_bus_write(&f->m.pio, 0xcf8, (uint8_t *)&a, 4);
    vmm_bus_read(&f->m.pio, 0xcfc, (uint8_t *)&v, 4);
    return v;
}

static Fake *fake_new(gboolean with_display)
{
    Fake *f = g_new0(Fake, 1);

    f->ram = g_malloc0(4 << 20);
    vmm_mem_wrap(&f->mem, f->ram, 4 << 20);
    vmm_machine_init(&f->m, &f->mem, 1);
    f->m.irq_ops = &fake_ops;
    if (with_display) {
        f->vram = g_malloc0(VMM_BOCHS_VRAM_SIZE);
        f->fb = (struct vmm_fb_backend){f->vram, VMM_BOCHS_VRAM_SIZE,
                                        on_changed, f};
        f->m.fb = &f->fb;
    }
    g_assert_cmpint(vmm_devices_create(&f->m), ==, 0);
    for (uint8_t slot = 0; slot < 32; slot++)
        if (cfg_read(f, slot, 0) == 0x11111234u) {
            f->bar0 = cfg_read(f, slot, 0x10) & ~0xfu;
            f->bar2 = cfg_read(f, slot, 0x18) & ~0xfu;
        }
    return f;
}

static void fake_free(Fake *f)
{
    vmm_machine_cleanup(&f->m);
    g_free(f->vram);
    g_free(f->ram);
    g_free(f);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Fake, fake_free)

static uint16_t dispi_read(Fake *f, unsigned reg)
{
    uint16_t v = 0;

    vmm_bus_read(&f->m.mmio, f->bar2 + 0x500 + 2 * reg, (uint8_t *)&v, 2);
    return v;
}

static void dispi_write(Fake *f, unsigned reg, uint16_t v)
{
    vmm_bus_write(&f->m.mmio, f->bar2 + 0x500 + 2 * reg, (uint8_t *)&v, 2);
}

/* ---- the device ---- */

static void test_bochs_absent(void)
{
    g_autoptr(Fake) f = fake_new(FALSE);

    g_assert_null(f->m.bochs);
    g_assert_cmpuint(f->bar2, ==, 0);
}

static void test_bochs_pci(void)
{
    g_autoptr(Fake) f = fake_new(TRUE);
    uint32_t v;

    g_assert_nonnull(f->m.bochs);
    g_assert_cmphex(f->bar0, !=, 0);
    g_assert_cmphex(f->bar0 % VMM_BOCHS_VRAM_SIZE, ==, 0); /* aligned */
    g_assert_cmphex(f->bar2, !=, 0);
    for (uint8_t slot = 0; slot < 32; slot++)
        if (cfg_read(f, slot, 0) == 0x11111234u) {
            v = cfg_read(f, slot, 0x08);
            g_assert_cmphex(v >> 8, ==, 0x038000);   /* display, other */
            g_assert_cmphex(v & 0xff, ==, 2);        /* revision 2 */
            g_assert_cmphex(cfg_read(f, slot, 0x10) & 0xf, ==, 0x8);
        }
}

static void test_bochs_registers(void)
{
    g_autoptr(Fake) f = fake_new(TRUE);
    uint32_t q = 0;
    uint8_t edid[128], b;
    int kicks;

    g_assert_cmphex(dispi_read(f, VBE_DISPI_INDEX_ID), ==, VBE_DISPI_ID5);
    g_assert_cmpuint(dispi_read(f, VBE_DISPI_INDEX_VIDEO_MEMORY_64K), ==,
                     VMM_BOCHS_VRAM_SIZE >> 16);
    /* ID and the memory size cannot be written */
    dispi_write(f, VBE_DISPI_INDEX_ID, 0x1234);
    dispi_write(f, VBE_DISPI_INDEX_VIDEO_MEMORY_64K, 1);
    g_assert_cmphex(dispi_read(f, VBE_DISPI_INDEX_ID), ==, VBE_DISPI_ID5);
    g_assert_cmpuint(dispi_read(f, VBE_DISPI_INDEX_VIDEO_MEMORY_64K), ==,
                     256);
    /* registers store what they are given, and say so */
    kicks = f->kicks;
    dispi_write(f, VBE_DISPI_INDEX_XRES, 1920);
    g_assert_cmpuint(dispi_read(f, VBE_DISPI_INDEX_XRES), ==, 1920);
    g_assert_cmpint(f->kicks, ==, kicks + 1);
    dispi_write(f, VBE_DISPI_INDEX_XRES, 1920);   /* no change, no kick */
    g_assert_cmpint(f->kicks, ==, kicks + 1);
    /* a byte write changes half a register; a 32-bit write two */
    b = 0x04;
    vmm_bus_write(&f->m.mmio, f->bar2 + 0x500 + 2 * VBE_DISPI_INDEX_YRES + 1,
                  &b, 1);
    g_assert_cmphex(dispi_read(f, VBE_DISPI_INDEX_YRES), ==, 0x0400);
    q = 0x00200010;
    vmm_bus_write(&f->m.mmio, f->bar2 + 0x500 + 2 * VBE_DISPI_INDEX_X_OFFSET,
                  (uint8_t *)&q, 4);
    g_assert_cmpuint(dispi_read(f, VBE_DISPI_INDEX_X_OFFSET), ==, 0x10);
    g_assert_cmpuint(dispi_read(f, VBE_DISPI_INDEX_Y_OFFSET), ==, 0x20);
    /* past the register block: zero, as in QEMU, and writes go nowhere */
    g_assert_cmphex(dispi_read(f, 0xb), ==, 0);
    dispi_write(f, 0x7ff, 1);
    /* QEMU's extended registers: size 8, little endian stays */
    vmm_bus_read(&f->m.mmio, f->bar2 + 0x600, (uint8_t *)&q, 4);
    g_assert_cmpuint(q, ==, 8);
    q = 0xbebebebe;
    vmm_bus_write(&f->m.mmio, f->bar2 + 0x604, (uint8_t *)&q, 4);
    vmm_bus_read(&f->m.mmio, f->bar2 + 0x604, (uint8_t *)&q, 4);
    g_assert_cmphex(q, ==, 0x1e1e1e1e);
    /* the EDID block, read-only */
    for (int i = 0; i < 128; i++)
        vmm_bus_read(&f->m.mmio, f->bar2 + i, edid + i, 1);
    b = 0;
    vmm_bus_write(&f->m.mmio, f->bar2, &b, 1);
    vmm_bus_read(&f->m.mmio, f->bar2, &b, 1);
    g_assert_cmphex(b, ==, 0x00);
    vmm_bus_read(&f->m.mmio, f->bar2 + 1, &b, 1);
    g_assert_cmphex(b, ==, 0xff);
    {
        uint8_t built[128], sum = 0;

        vmm_bochs_build_edid(built);
        g_assert_cmpmem(edid, 128, built, 128);
        for (int i = 0; i < 128; i++)
            sum += edid[i];
        g_assert_cmpuint(sum, ==, 0);
        g_assert_cmpmem(edid, 8, "\0\xff\xff\xff\xff\xff\xff\0", 8);
        /* the preferred mode: 1280x800 */
        g_assert_cmpuint(edid[56] | (edid[58] >> 4) << 8, ==, 1280);
        g_assert_cmpuint(edid[59] | (edid[61] >> 4) << 8, ==, 800);
    }
}

static void test_bochs_vram_dirty(void)
{
    g_autoptr(Fake) f = fake_new(TRUE);
    uint16_t regs[VBE_DISPI_NUM_REGS];
    uint64_t dirty[VMM_BOCHS_VRAM_SIZE / 4096 / 64] = {0};
    uint32_t px = 0x00abcdef;

    /* no KVM: the BAR is MMIO that writes video memory */
    vmm_bus_write(&f->m.mmio, f->bar0 + 5 * 4096 + 8, (uint8_t *)&px, 4);
    g_assert_cmpmem(f->vram + 5 * 4096 + 8, 4, &px, 4);
    dispi_write(f, VBE_DISPI_INDEX_XRES, 800);
    g_assert_cmpint(vmm_bochs_poll(&f->m, regs, dirty), ==, 0);
    g_assert_cmpuint(regs[VBE_DISPI_INDEX_XRES], ==, 800);
    g_assert_cmphex(dirty[0], ==, 1ULL << 5);
    memset(dirty, 0, sizeof(dirty));
    /* read once, then clean */
    g_assert_cmpint(vmm_bochs_poll(&f->m, regs, dirty), ==, 0);
    g_assert_cmphex(dirty[0], ==, 0);
    /* a write across a page boundary dirties both */
    vmm_bus_write(&f->m.mmio, f->bar0 + 4096 * 64 - 2, (uint8_t *)&px, 4);
    g_assert_cmpint(vmm_bochs_poll(&f->m, regs, dirty), ==, 0);
    g_assert_cmphex(dirty[0], ==, 1ULL << 63);
    g_assert_cmphex(dirty[1], ==, 1ULL);
}

static void test_bochs_boot_mode(void)
{
    g_autoptr(Fake) f = fake_new(TRUE);
    struct vmm_fb_mode mode;
    uint64_t addr = 0, size = 0;

    g_assert_cmpint(vmm_bochs_boot_mode(&f->m, 1280, 800, FALSE, &addr, &size,
                                        &mode), ==, 0);
    g_assert_cmphex(addr, ==, f->bar0);
    g_assert_cmpuint(size, ==, VMM_BOCHS_VRAM_SIZE);
    g_assert_cmpuint(mode.stride, ==, 1280 * 4);
    g_assert_cmpuint(dispi_read(f, VBE_DISPI_INDEX_ENABLE), ==, 0);
    g_assert_cmpint(vmm_bochs_boot_mode(&f->m, 1280, 800, TRUE, &addr, &size,
                                        &mode), ==, 0);
    g_assert_cmphex(dispi_read(f, VBE_DISPI_INDEX_ENABLE), ==, 0x41);
    g_assert_cmpuint(dispi_read(f, VBE_DISPI_INDEX_BPP), ==, 32);
    g_assert_cmpint(vmm_bochs_boot_mode(&f->m, 8192, 8192, TRUE, &addr, &size,
                                        &mode), ==, -EINVAL);
}

/* direct Linux boot: the framebuffer in screen_info */
static void test_bzimage_screen_info(void)
{
    const uint32_t ram = 32 << 20;
    g_autofree uint8_t *mem_buf = g_malloc0(ram);
    g_autofree uint8_t *bz = g_malloc0(0x2000);
    struct vmm_mem mem;
    struct vmm_boot_fb fb = {.base = 0xc0000000, .size = 16 << 20,
                             .width = 1280, .height = 800,
                             .stride = 1280 * 4, .bpp = 32};
    struct vmm_boot_config cfg = {.fb = &fb, .kernel = "test-bzImage",
                                  .n_cpus = 1};
    struct vmm_entry e;
    const uint8_t *zp;
    uint16_t w16;
    uint32_t w32;

    vmm_mem_wrap(&mem, mem_buf, ram);
    bz[0x1f1] = 1;                       /* one setup sector */
    bz[0x200] = 0xeb;                    /* the jump over the header */
    bz[0x201] = 0x66;
    memcpy(bz + 0x202, "HdrS", 4);
    bz[0x206] = 0x0f;                    /* protocol 2.15 */
    bz[0x207] = 0x02;
    bz[0x236] = 0x01;                    /* 64-bit entry */
    bz[0x25a] = 0x00;                    /* preferred address 16 MiB */
    bz[0x25b] = 0x01;
    bz[0x261] = 0x10;                    /* init size 4 KiB */
    g_assert_cmpint(vmm_boot_bzimage(&mem, bz, 0x2000, &cfg, 0, &e), ==, 0);
    zp = vmm_mem_ptr(&mem, BOOT_ZERO_PAGE_ADDR, 4096);
    g_assert_cmphex(zp[0x0f], ==, 0x23);              /* VIDEO_TYPE_VLFB */
    memcpy(&w16, zp + 0x12, 2);
    g_assert_cmpuint(w16, ==, 1280);
    memcpy(&w16, zp + 0x14, 2);
    g_assert_cmpuint(w16, ==, 800);
    memcpy(&w16, zp + 0x16, 2);
    g_assert_cmpuint(w16, ==, 32);
    memcpy(&w32, zp + 0x18, 4);
    g_assert_cmphex(w32, ==, 0xc0000000);
    memcpy(&w32, zp + 0x1c, 4);
    g_assert_cmpuint(w32, ==, 256);                   /* 64 KiB units */
    memcpy(&w16, zp + 0x24, 2);
    g_assert_cmpuint(w16, ==, 5120);
    /* red 8 at 16, green 8 at 8, blue 8 at 0, reserved 8 at 24 */
    g_assert_cmpmem(zp + 0x26, 8, "\x08\x10\x08\x08\x08\x00\x08\x18", 8);
    /* no display: nothing announced */
    cfg.fb = NULL;
    g_assert_cmpint(vmm_boot_bzimage(&mem, bz, 0x2000, &cfg, 0, &e), ==, 0);
    g_assert_cmphex(zp[0x0f], ==, 0);
}

/* ---- modes ---- */

static void test_mode_decode(void)
{
    uint16_t r[VBE_DISPI_NUM_REGS] = {0};
    struct vmm_fb_mode m;
    char why[200];

    g_assert_cmpint(vmm_bochs_decode_mode(r, VMM_BOCHS_VRAM_SIZE, &m, why,
                                          sizeof(why)), ==, -ENODATA);
    r[VBE_DISPI_INDEX_ENABLE] = 0x41;
    r[VBE_DISPI_INDEX_XRES] = 1920;
    r[VBE_DISPI_INDEX_YRES] = 1200;
    r[VBE_DISPI_INDEX_BPP] = 32;
    g_assert_cmpint(vmm_bochs_decode_mode(r, VMM_BOCHS_VRAM_SIZE, &m, why,
                                          sizeof(why)), ==, 0);
    g_assert_cmpuint(m.width, ==, 1920);
    g_assert_cmpuint(m.stride, ==, 1920 * 4); /* virtual width below xres */
    g_assert_cmpuint(m.offset, ==, 0);
    /* 2048x2048x32 is exactly 16 MiB */
    r[VBE_DISPI_INDEX_XRES] = 2048;
    r[VBE_DISPI_INDEX_YRES] = 2048;
    g_assert_cmpint(vmm_bochs_decode_mode(r, VMM_BOCHS_VRAM_SIZE, &m, why,
                                          sizeof(why)), ==, 0);
    /* one line down is one line too many */
    r[VBE_DISPI_INDEX_Y_OFFSET] = 1;
    g_assert_cmpint(vmm_bochs_decode_mode(r, VMM_BOCHS_VRAM_SIZE, &m, why,
                                          sizeof(why)), ==, -EINVAL);
    g_assert_nonnull(strstr(why, "bytes of video memory"));
    r[VBE_DISPI_INDEX_Y_OFFSET] = 0;
    r[VBE_DISPI_INDEX_BPP] = 24;
    g_assert_cmpint(vmm_bochs_decode_mode(r, VMM_BOCHS_VRAM_SIZE, &m, why,
                                          sizeof(why)), ==, -EINVAL);
    g_assert_nonnull(strstr(why, "24 bits per pixel"));
    r[VBE_DISPI_INDEX_BPP] = 16;
    r[VBE_DISPI_INDEX_XRES] = 32;
    g_assert_cmpint(vmm_bochs_decode_mode(r, VMM_BOCHS_VRAM_SIZE, &m, why,
                                          sizeof(why)), ==, -EINVAL);
    g_assert_nonnull(strstr(why, "out of range"));
}

/* whatever the guest writes, a decoded mode stays inside video memory */
static void test_mode_hostile(void)
{
    GRand *rand = g_rand_new_with_seed(0x5eed);

    for (int i = 0; i < 200000; i++) {
        uint16_t r[VBE_DISPI_NUM_REGS];
        struct vmm_fb_mode m;
        char why[200];

        for (int j = 0; j < VBE_DISPI_NUM_REGS; j++)
            r[j] = (uint16_t)g_rand_int(rand);
        r[VBE_DISPI_INDEX_ENABLE] |= 1;
        if (i % 2)
            r[VBE_DISPI_INDEX_BPP] = i % 4 ? 32 : 16;
        if (i % 3) {
            r[VBE_DISPI_INDEX_XRES] &= 0x1fff;
            r[VBE_DISPI_INDEX_YRES] &= 0x1fff;
        }
        if (vmm_bochs_decode_mode(r, VMM_BOCHS_VRAM_SIZE, &m, why,
                                  sizeof(why)) != 0)
            continue;
        g_assert_cmpuint(m.offset + (uint64_t)m.stride * m.height, <=,
                         VMM_BOCHS_VRAM_SIZE);
        g_assert_cmpuint(m.stride, >=, m.width * m.bpp / 8);
        g_assert_cmpuint(m.width, <=, VMM_FB_MAX_DIM);
        g_assert_cmpuint(m.height, <=, VMM_FB_MAX_DIM);
    }
    g_rand_free(rand);
}

/* ---- tiles ---- */

typedef struct {
    guint n;
    uint32_t x[64], y[64], w[64], h[64];
} Rects;

static void collect(void *opaque, uint32_t x, uint32_t y, uint32_t w,
                    uint32_t h)
{
    Rects *r = opaque;

    g_assert_cmpuint(r->n, <, 64);
    r->x[r->n] = x;
    r->y[r->n] = y;
    r->w[r->n] = w;
    r->h[r->n] = h;
    r->n++;
}

static void test_fbdiff(void)
{
    struct vmm_fb_mode mode = {.width = 100, .height = 40, .bpp = 32,
                               .stride = 512, .offset = 4096};
    g_autofree uint8_t *vram = g_malloc0(64 * 4096);
    g_autofree uint8_t *shadow = g_malloc0(100 * 40 * 4);
    uint64_t pages[1] = {0};
    struct vmm_fbdiff d = {0};
    Rects r = {0};

    g_assert_cmpint(vmm_fbdiff_set_mode(&d, &mode), ==, 0);
    /* all tiles start as candidates; black equals black */
    g_assert_cmpuint(vmm_fbdiff_update(&d, vram, shadow, collect, &r), ==, 0);
    g_assert_cmpuint(r.n, ==, 0);
    /* one pixel at (40, 20): its page is the fourth of the picture
     * (512 bytes a line, 8 lines a page), one tile changes */
    *(uint32_t *)(vram + 4096 + 20 * 512 + 40 * 4) = 0x123456;
    pages[0] = 1ULL << (1 + (20 * 512 + 40 * 4) / 4096);
    vmm_fbdiff_mark_pages(&d, pages, 64);
    g_assert_cmpuint(vmm_fbdiff_update(&d, vram, shadow, collect, &r), ==, 1);
    g_assert_cmpuint(r.n, ==, 1);
    g_assert_cmpuint(r.x[0], ==, 32);
    g_assert_cmpuint(r.y[0], ==, 20);   /* the tile's width, the line */
    g_assert_cmpuint(r.w[0], ==, 16);
    g_assert_cmpuint(r.h[0], ==, 1);
    g_assert_cmphex(*(uint32_t *)(shadow + (20 * 100 + 40) * 4), ==,
                    0x123456);
    /* nothing marked: nothing compared, nothing reported */
    r.n = 0;
    g_assert_cmpuint(vmm_fbdiff_update(&d, vram, shadow, collect, &r), ==, 0);
    /* a run of changed tiles is one rectangle; the last is clipped */
    for (int x = 40; x < 100; x++)
        *(uint32_t *)(vram + 4096 + 36 * 512 + x * 4) = 0xff;
    pages[0] = 1ULL << (1 + 36 * 512 / 4096);
    vmm_fbdiff_mark_pages(&d, pages, 64);
    g_assert_cmpuint(vmm_fbdiff_update(&d, vram, shadow, collect, &r), ==, 5);
    g_assert_cmpuint(r.n, ==, 1);
    g_assert_cmpuint(r.x[0], ==, 32);
    g_assert_cmpuint(r.w[0], ==, 100 - 32);
    g_assert_cmpuint(r.y[0], ==, 36);
    g_assert_cmpuint(r.h[0], ==, 1);
    /* pages outside the picture, or only in the padding, cost nothing */
    r.n = 0;
    *(uint32_t *)(vram + 30 * 4096) = 0xff;
    pages[0] = 1ULL << 30 | 1ULL;
    vmm_fbdiff_mark_pages(&d, pages, 64);
    g_assert_cmpuint(vmm_fbdiff_update(&d, vram, shadow, collect, &r), ==, 0);
    vmm_fbdiff_clear(&d);
}

static void test_fbdiff_16bpp(void)
{
    struct vmm_fb_mode mode = {.width = 64, .height = 64, .bpp = 16,
                               .stride = 128, .offset = 0};
    g_autofree uint8_t *vram = g_malloc0(4 * 4096);
    g_autofree uint8_t *shadow = g_malloc0(64 * 64 * 4);
    struct vmm_fbdiff d = {0};

    *(uint16_t *)(vram + 3 * 128 + 5 * 2) = 0xf800;   /* red */
    *(uint16_t *)(vram + 3 * 128 + 6 * 2) = 0x07e0;   /* green */
    *(uint16_t *)(vram + 3 * 128 + 7 * 2) = 0x001f;   /* blue */
    *(uint16_t *)(vram + 3 * 128 + 8 * 2) = 0x8410;   /* grey */
    g_assert_cmpint(vmm_fbdiff_set_mode(&d, &mode), ==, 0);
    g_assert_cmpuint(vmm_fbdiff_update(&d, vram, shadow, NULL, NULL), ==, 1);
    g_assert_cmphex(*(uint32_t *)(shadow + (3 * 64 + 5) * 4), ==, 0xff0000);
    g_assert_cmphex(*(uint32_t *)(shadow + (3 * 64 + 6) * 4), ==, 0x00ff00);
    g_assert_cmphex(*(uint32_t *)(shadow + (3 * 64 + 7) * 4), ==, 0x0000ff);
    g_assert_cmphex(*(uint32_t *)(shadow + (3 * 64 + 8) * 4), ==, 0x848284);
    vmm_fbdiff_clear(&d);
}

/* ---- keys ---- */

static void test_keymap(void)
{
    const struct vmm_keymap *us = vmm_keymap_find("us");
    const struct vmm_keymap *de = vmm_keymap_find("de");
    struct vmm_keysym_key k;

    g_assert_nonnull(us);
    g_assert_nonnull(de);
    g_assert_null(vmm_keymap_find("fr"));
    g_assert_true(vmm_keymap_lookup(us, XK_a, &k));
    g_assert_cmphex(k.key, ==, 0x1e);
    g_assert_true(k.alpha && k.layout && k.level == 0);
    g_assert_true(vmm_keymap_lookup(us, XK_at, &k));
    g_assert_cmphex(k.key, ==, 0x03);
    g_assert_cmpuint(k.level, ==, VMM_LEVEL_SHIFT);
    g_assert_false(k.alpha);
    g_assert_true(vmm_keymap_lookup(de, XK_at, &k));
    g_assert_cmphex(k.key, ==, 0x10);
    g_assert_cmpuint(k.level, ==, VMM_LEVEL_ALTGR);
    g_assert_true(vmm_keymap_lookup(de, XK_z, &k));
    g_assert_cmphex(k.key, ==, 0x15);
    g_assert_true(vmm_keymap_lookup(de, XK_Adiaeresis, &k));
    g_assert_cmphex(k.key, ==, 0x28);
    g_assert_true(k.alpha && k.level == VMM_LEVEL_SHIFT);
    /* shared keys: no levels */
    g_assert_true(vmm_keymap_lookup(de, XK_F24, &k));
    g_assert_cmphex(k.key, ==, 0x76);
    g_assert_false(k.layout);
    g_assert_false(vmm_keymap_lookup(us, XK_adiaeresis, &k));
    g_assert_false(vmm_keymap_lookup(us, 0, &k));
    g_assert_false(vmm_keymap_lookup(us, 0x12345678, &k));
}

/* every key in set 2, through the i8042's translation, is the key in
 * set 1: the two tables and the translation agree */
static void test_scancode_tables(void)
{
    guint keys = 0;

    for (unsigned key = 0; key < VMM_KEY_MAX; key++) {
        if (!vmm_key_valid(key))
            continue;
        keys++;
        for (int down = 0; down < 2; down++)
            for (unsigned mods = 0; mods < 8; mods++) {
                uint8_t s1[VMM_SCANCODE_MAX], s2[VMM_SCANCODE_MAX];
                uint8_t x[VMM_SCANCODE_MAX];
                size_t n1 = vmm_scancode_encode(key, down, mods, 1, s1);
                size_t n2 = vmm_scancode_encode(key, down, mods, 2, s2);
                bool brk = false;
                size_t nx = 0;

                for (size_t i = 0; i < n2; i++) {
                    int v = vmm_scancode_translate(s2[i], &brk);

                    if (v >= 0)
                        x[nx++] = (uint8_t)v;
                }
                g_assert_false(brk);
                g_assert_cmpmem(x, nx, s1, n1);
            }
    }
    /* letters, digits, F1-F24, keypad, navigation, modifiers... */
    g_assert_cmpuint(keys, >=, 110);
    g_assert_false(vmm_key_valid(0x55));
    g_assert_false(vmm_key_valid(VMM_KEY_MAX + 1));
    /* what the keyboard reports through translation as its set */
    {
        bool brk = false;

        g_assert_cmphex(vmm_scancode_translate(2, &brk), ==, 0x41);
        g_assert_cmphex(vmm_scancode_translate(1, &brk), ==, 0x43);
        g_assert_cmphex(vmm_scancode_translate(0xfa, &brk), ==, 0xfa);
    }
}

/* the i8042 types keys in the set the guest chose */
static void test_i8042_key_sets(void)
{
    g_autoptr(Fake) f = fake_new(FALSE);
    uint8_t v;

    g_assert_cmpint(vmm_i8042_key(&f->m, 0x1e, true), ==, 0);
    vmm_bus_read(&f->m.pio, 0x60, &v, 1);
    g_assert_cmphex(v, ==, 0x1e);          /* set 2, translated */
    /* translation off: raw set 2 */
    v = 0x60;
    vmm_bus_write(&f->m.pio, 0x64, &v, 1);
    v = 0x01;
    vmm_bus_write(&f->m.pio, 0x60, &v, 1);
    g_assert_cmpint(vmm_i8042_key(&f->m, 0x1e, false), ==, 0);
    vmm_bus_read(&f->m.pio, 0x60, &v, 1);
    g_assert_cmphex(v, ==, 0xf0);
    vmm_bus_read(&f->m.pio, 0x60, &v, 1);
    g_assert_cmphex(v, ==, 0x1c);
    /* set 1 asked for */
    v = 0xf0;
    vmm_bus_write(&f->m.pio, 0x60, &v, 1);
    vmm_bus_read(&f->m.pio, 0x60, &v, 1);
    g_assert_cmphex(v, ==, 0xfa);
    v = 0x01;
    vmm_bus_write(&f->m.pio, 0x60, &v, 1);
    vmm_bus_read(&f->m.pio, 0x60, &v, 1);
    g_assert_cmphex(v, ==, 0xfa);
    g_assert_cmpint(vmm_i8042_key(&f->m, VMM_KEY_E0 | 0x48, true), ==, 0);
    vmm_bus_read(&f->m.pio, 0x60, &v, 1);
    g_assert_cmphex(v, ==, 0xe0);
    vmm_bus_read(&f->m.pio, 0x60, &v, 1);
    g_assert_cmphex(v, ==, 0x48);
    /* LEDs come from the guest's 0xed */
    v = 0xed;
    vmm_bus_write(&f->m.pio, 0x60, &v, 1);
    vmm_bus_read(&f->m.pio, 0x60, &v, 1);
    v = 0x04;
    vmm_bus_write(&f->m.pio, 0x60, &v, 1);
    g_assert_cmphex(vmm_i8042_leds(&f->m), ==, VMM_I8042_LED_CAPS);
    /* a key no PC keyboard has */
    g_assert_cmpint(vmm_i8042_key(&f->m, 0x1ff, true), ==, -EINVAL);
    /* a guest that never reads: the queue fills and says so */
    for (int i = 0; i < VMM_I8042_QUEUE; i++)
        vmm_i8042_key(&f->m, 0x1e, true);
    g_assert_cmpint(vmm_i8042_key(&f->m, 0x1e, true), ==, -ENOSPC);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vmm/bochs/absent-without-display", test_bochs_absent);
    g_test_add_func("/vmm/bochs/pci", test_bochs_pci);
    g_test_add_func("/vmm/bochs/registers", test_bochs_registers);
    g_test_add_func("/vmm/bochs/vram-dirty", test_bochs_vram_dirty);
    g_test_add_func("/vmm/bochs/boot-mode", test_bochs_boot_mode);
    g_test_add_func("/vmm/bochs/bzimage-screen-info",
                    test_bzimage_screen_info);
    g_test_add_func("/vmm/bochs/mode-decode", test_mode_decode);
    g_test_add_func("/vmm/bochs/mode-hostile", test_mode_hostile);
    g_test_add_func("/vmm/display/fbdiff", test_fbdiff);
    g_test_add_func("/vmm/display/fbdiff-16bpp", test_fbdiff_16bpp);
    g_test_add_func("/vmm/display/keymap", test_keymap);
    g_test_add_func("/vmm/i8042/scancode-tables", test_scancode_tables);
    g_test_add_func("/vmm/i8042/key-sets", test_i8042_key_sets);
    return g_test_run();
}
