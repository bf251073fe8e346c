/* bzimage.c: Linux bzImage through the 64-bit boot protocol.
 *
 * The protected-mode kernel goes to its preferred address, the zero page
 * (struct boot_params) gets the setup header, the e820 map, the command
 * line, the initrd and the RSDP; the vCPU enters at startup_64 in long
 * mode with the first 4 GiB identity-mapped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "boot/boot.h"

/* offsets in struct boot_params / setup header */
#define BP_ACPI_RSDP 0x070
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define HDR_START 0x1f1
#define HDR_SETUP_SECTS 0x1f1
#define HDR_VID_MODE 0x1fa
#define HDR_JUMP 0x200
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_HEAP_END_PTR 0x224
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define BP_E820_TABLE 0x2d0
#define BP_E820_MAX 128

/* struct screen_info at the start of the zero page */
#define SI_ORIG_VIDEO_ISVGA 0x0f
#define SI_LFB_WIDTH 0x12
#define SI_LFB_HEIGHT 0x14
#define SI_LFB_DEPTH 0x16
#define SI_LFB_BASE 0x18
#define SI_LFB_SIZE 0x1c
#define SI_LFB_LINELENGTH 0x24
#define SI_RED_SIZE 0x26
#define SI_PAGES 0x32
#define VIDEO_TYPE_VLFB 0x23

#define LOADFLAG_LOADED_HIGH 0x01
#define LOADFLAG_CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x01

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static void set32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void set16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, 2);
}

/* A VESA-style linear framebuffer, so that the kernel's built-in
 * framebuffer driver (vesafb, simplefb) shows a console at once. */
static void write_screen_info(uint8_t *zp, const struct vmm_boot_fb *fb)
{
    /* x8r8g8b8: sizes and positions of red, green, blue, reserved */
    static const uint8_t rgb[8] = {8, 16, 8, 8, 8, 0, 8, 24};

    zp[SI_ORIG_VIDEO_ISVGA] = VIDEO_TYPE_VLFB;
    set16(zp + SI_LFB_WIDTH, (uint16_t)fb->width);
    set16(zp + SI_LFB_HEIGHT, (uint16_t)fb->height);
    set16(zp + SI_LFB_DEPTH, (uint16_t)fb->bpp);
    set32(zp + SI_LFB_BASE, (uint32_t)fb->base);
    set32(zp + SI_LFB_SIZE, (uint32_t)(fb->size >> 16)); /* 64 KiB units */
    set16(zp + SI_LFB_LINELENGTH, (uint16_t)fb->stride);
    memcpy(zp + SI_RED_SIZE, rgb, sizeof(rgb));
    set16(zp + SI_PAGES, 1);
}

static int write_page_tables(struct vmm_mem *mem)
{
    uint64_t pml4[512] = {0}, pdpt[512] = {0}, pd[512];
    int err;

    pml4[0] = BOOT_PDPT_ADDR | 0x3;
    for (int i = 0; i < 4; i++)
        pdpt[i] = (BOOT_PD_ADDR + i * 0x1000ULL) | 0x3;
    if ((err = vmm_mem_write(mem, BOOT_PML4_ADDR, pml4, sizeof(pml4))) ||
        (err = vmm_mem_write(mem, BOOT_PDPT_ADDR, pdpt, sizeof(pdpt))))
        return err;
    for (int t = 0; t < 4; t++) {
        for (int i = 0; i < 512; i++)
            pd[i] = ((uint64_t)(t * 512 + i) << 21) | 0x83; /* 2 MiB, RW */
        if ((err = vmm_mem_write(mem, BOOT_PD_ADDR + t * 0x1000ULL, pd,
                                 sizeof(pd))))
            return err;
    }
    return 0;
}

int vmm_boot_bzimage(struct vmm_mem *mem, const uint8_t *image, size_t size,
                     const struct vmm_boot_config *cfg, uint64_t rsdp,
                     struct vmm_entry *entry)
{
    uint8_t *zp = vmm_mem_ptr(mem, BOOT_ZERO_PAGE_ADDR, 4096);
    uint16_t version = get16(image + HDR_VERSION);
    uint32_t setup_sects = image[HDR_SETUP_SECTS];
    size_t hdr_end, setup_size, kernel_size;
    uint64_t load_addr, init_size, pref, initrd_addr, initrd_size;
    uint32_t cmdline_size = 256;
    struct e820_entry e820[E820_MAX];
    size_t n;
    uint8_t *dst;
    int err;

    if (version < 0x020c || !(image[HDR_XLOADFLAGS] & XLF_KERNEL_64)) {
        fprintf(stderr, "vireo-vmm: the bzImage %s is too old for the 64-bit "
                        "boot protocol (version %x.%02x, need 2.12 with a "
                        "64-bit entry)\n", cfg->kernel, version >> 8,
                version & 0xff);
        return -ENOEXEC;
    }
    if (setup_sects == 0)
        setup_sects = 4;
    setup_size = (size_t)(setup_sects + 1) * 512;
    hdr_end = HDR_JUMP + 2 + image[HDR_JUMP + 1];
    if (setup_size >= size || hdr_end > setup_size || hdr_end > 4096) {
        fprintf(stderr, "vireo-vmm: the bzImage %s is truncated or "
                        "malformed\n", cfg->kernel);
        return -ENOEXEC;
    }
    kernel_size = size - setup_size;
    init_size = get32(image + HDR_INIT_SIZE);
    if (init_size < kernel_size)
        init_size = kernel_size;
    pref = (uint64_t)get32(image + HDR_PREF_ADDRESS) |
           (uint64_t)get32(image + HDR_PREF_ADDRESS + 4) << 32;
    /* the preferred address if the decompressed kernel fits there,
     * else 1 MiB and let a relocatable kernel move itself */
    load_addr = pref;
    if (!pref || !vmm_mem_ptr(mem, pref, init_size))
        load_addr = BOOT_HIGH_START;
    dst = vmm_mem_ptr(mem, load_addr, init_size);
    if (!dst) {
        fprintf(stderr, "vireo-vmm: the kernel %s needs %llu MiB to "
                        "decompress; give the guest more --memory\n",
                cfg->kernel, (unsigned long long)(init_size >> 20) + 1);
        return -ENOMEM;
    }
    memcpy(dst, image + setup_size, kernel_size);

    if (version >= 0x0206)
        cmdline_size = get32(image + HDR_CMDLINE_SIZE) + 1;
    if ((err = vmm_boot_write_cmdline(mem, cfg->cmdline, cmdline_size)))
        return err;
    if ((err = vmm_boot_load_initrd(mem, cfg->initrd, load_addr + init_size,
                                    get32(image + HDR_INITRD_ADDR_MAX),
                                    &initrd_addr, &initrd_size)))
        return err;

    memset(zp, 0, 4096);
    memcpy(zp + HDR_START, image + HDR_START, hdr_end - HDR_START);
    if (cfg->fb)
        write_screen_info(zp, cfg->fb);
    zp[HDR_TYPE_OF_LOADER] = 0xff;
    zp[HDR_LOADFLAGS] |= LOADFLAG_LOADED_HIGH | LOADFLAG_CAN_USE_HEAP;
    zp[HDR_VID_MODE] = 0xff;
    zp[HDR_VID_MODE + 1] = 0xff;
    zp[HDR_HEAP_END_PTR] = 0x00;
    zp[HDR_HEAP_END_PTR + 1] = 0xfe;
    set32(zp + HDR_CMD_LINE_PTR, BOOT_CMDLINE_ADDR);
    set32(zp + BP_EXT_CMD_LINE_PTR, 0);
    set32(zp + HDR_RAMDISK_IMAGE, (uint32_t)initrd_addr);
    set32(zp + HDR_RAMDISK_SIZE, (uint32_t)initrd_size);
    set32(zp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(initrd_addr >> 32));
    set32(zp + BP_EXT_RAMDISK_SIZE, (uint32_t)(initrd_size >> 32));
    memcpy(zp + BP_ACPI_RSDP, &rsdp, 8);
    n = vmm_boot_e820(mem, e820);
    zp[BP_E820_ENTRIES] = (uint8_t)n;
    memcpy(zp + BP_E820_TABLE, e820, n * sizeof(e820[0]));

    if ((err = write_page_tables(mem)))
        return err;
    entry->mode = VMM_ENTRY_LINUX64;
    entry->rip = load_addr + 0x200; /* startup_64 */
    entry->rsi = BOOT_ZERO_PAGE_ADDR;
    entry->cr3 = BOOT_PML4_ADDR;
    return 0;
}
