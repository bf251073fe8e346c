/* bochs-display.h: a framebuffer compatible with QEMU's bochs-display.
 *
 * PCI 1234:1111, class 0380.  BAR 0 is the video memory (RAM the display
 * back-end lends, mapped straight into the guest with dirty logging),
 * BAR 2 is 4 KiB of MMIO: the EDID blob at 0x000, the bochs DISPI mode
 * registers at 0x500 (16-bit, register N at 0x500 + 2 * N) and QEMU's
 * extended registers at 0x600.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm-machine.h"

#define VMM_BOCHS_VENDOR 0x1234
#define VMM_BOCHS_DEVICE 0x1111
#define VMM_BOCHS_VRAM_SIZE (16u << 20)
#define VMM_BOCHS_MMIO_SIZE 0x1000
#define VMM_BOCHS_EDID_OFFSET 0x000
#define VMM_BOCHS_DISPI_OFFSET 0x500
#define VMM_BOCHS_QEXT_OFFSET 0x600

/* DISPI register indexes and values */
#define VBE_DISPI_INDEX_ID 0x0
#define VBE_DISPI_INDEX_XRES 0x1
#define VBE_DISPI_INDEX_YRES 0x2
#define VBE_DISPI_INDEX_BPP 0x3
#define VBE_DISPI_INDEX_ENABLE 0x4
#define VBE_DISPI_INDEX_BANK 0x5
#define VBE_DISPI_INDEX_VIRT_WIDTH 0x6
#define VBE_DISPI_INDEX_VIRT_HEIGHT 0x7
#define VBE_DISPI_INDEX_X_OFFSET 0x8
#define VBE_DISPI_INDEX_Y_OFFSET 0x9
#define VBE_DISPI_INDEX_VIDEO_MEMORY_64K 0xa
#define VBE_DISPI_NUM_REGS 0xa /* stored registers; 0xa is computed */
#define VBE_DISPI_ID5 0xb0c5
#define VBE_DISPI_ENABLED 0x01
#define VBE_DISPI_LFB_ENABLED 0x40

/* The largest picture the display accepts in either direction. */
#define VMM_FB_MAX_DIM 8192
#define VMM_FB_MIN_DIM 64

/* A decoded mode: what part of video memory is on screen, and how. */
struct vmm_fb_mode {
    uint32_t width, height;
    uint32_t bpp;     /* 16 (r5g6b5) or 32 (x8r8g8b8), little endian */
    uint32_t stride;  /* bytes per line */
    uint64_t offset;  /* of the first visible pixel in video memory */
};

/* Decodes DISPI registers the way QEMU's bochs-display does.  Returns 0,
 * -ENODATA when the guest has the display switched off, or -EINVAL with
 * a sentence in @why saying what is wrong with the mode. */
int vmm_bochs_decode_mode(const uint16_t regs[VBE_DISPI_NUM_REGS],
                          uint64_t vram_size, struct vmm_fb_mode *mode,
                          char *why, size_t why_len);

/* For the display back-end: copies the DISPI registers and ORs the
 * video memory pages the guest wrote since the last call into @dirty
 * (one bit per 4 KiB page).  Takes dev_lock.  -ENODEV without the
 * device. */
int vmm_bochs_poll(struct vmm_machine *m, uint16_t regs[VBE_DISPI_NUM_REGS],
                   uint64_t *dirty);

/* For direct kernel boot: says where a @width x @height x 32 picture
 * would be and, with @enable, switches the display on in that mode (as
 * firmware would).  -ENODEV without the device, -EINVAL if the mode
 * does not fit. */
int vmm_bochs_boot_mode(struct vmm_machine *m, uint32_t width,
                        uint32_t height, bool enable, uint64_t *fb_addr,
                        uint64_t *fb_size, struct vmm_fb_mode *mode);

/* The EDID block the device shows (exposed for the unit tests). */
void vmm_bochs_build_edid(uint8_t edid[128]);
