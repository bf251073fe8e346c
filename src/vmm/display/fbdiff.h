/* fbdiff.h: which parts of the guest's picture changed.
 *
 * The screen is cut in 16x16 tiles.  Pages the guest wrote (KVM's dirty
 * log) make the tiles they cover candidates; each candidate is compared
 * with the shadow copy that the VNC server sends from, copied over if it
 * differs, and the changed tiles are reported as rectangles (runs of
 * tiles along a tile row, cut to the lines that changed in that row).  The shadow is always x8r8g8b8 (32 bits per
 * pixel, little endian), whatever the guest's depth.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "devices/bochs-display.h"

#define VMM_TILE 16
#define VMM_FB_PAGE 4096

struct vmm_fbdiff {
    struct vmm_fb_mode mode;
    uint32_t tiles_x, tiles_y;
    uint64_t *candidates; /* one bit per tile, row by row */
    size_t words_per_row;
};

typedef void (*vmm_fbdiff_rect_cb)(void *opaque, uint32_t x, uint32_t y,
                                   uint32_t w, uint32_t h);

/* Sets the mode to compare in and makes every tile a candidate.
 * Returns 0 or -ENOMEM. */
int vmm_fbdiff_set_mode(struct vmm_fbdiff *d, const struct vmm_fb_mode *mode);
void vmm_fbdiff_mark_all(struct vmm_fbdiff *d);
/* Makes candidates of the tiles that the set bits of @pages (4 KiB pages
 * of video memory, @n_pages of them) cover. */
void vmm_fbdiff_mark_pages(struct vmm_fbdiff *d, const uint64_t *pages,
                           size_t n_pages);
/* Compares every candidate tile of the picture in @vram with @shadow
 * (mode.width * 4 bytes per line), copies the tiles that differ, calls
 * @cb for each run of changed tiles and clears the candidates.  Returns
 * the number of tiles that changed. */
size_t vmm_fbdiff_update(struct vmm_fbdiff *d, const uint8_t *vram,
                         uint8_t *shadow, vmm_fbdiff_rect_cb cb, void *opaque);
void vmm_fbdiff_clear(struct vmm_fbdiff *d);
