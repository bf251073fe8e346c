/* fbdiff.c: dirty pages -> candidate tiles -> changed rectangles. */
#include "display/fbdiff.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void vmm_fbdiff_clear(struct vmm_fbdiff *d)
{
    free(d->candidates);
    memset(d, 0, sizeof(*d));
}

int vmm_fbdiff_set_mode(struct vmm_fbdiff *d, const struct vmm_fb_mode *mode)
{
    uint64_t *c;
    uint32_t tx = (mode->width + VMM_TILE - 1) / VMM_TILE;
    uint32_t ty = (mode->height + VMM_TILE - 1) / VMM_TILE;
    size_t wpr = (tx + 63) / 64;

    c = calloc((size_t)ty * wpr, sizeof(*c));
    if (!c)
        return -ENOMEM;
    free(d->candidates);
    d->mode = *mode;
    d->tiles_x = tx;
    d->tiles_y = ty;
    d->words_per_row = wpr;
    d->candidates = c;
    vmm_fbdiff_mark_all(d);
    return 0;
}

static void mark_span(struct vmm_fbdiff *d, uint32_t ty, uint32_t tx0,
                      uint32_t tx1)
{
    uint64_t *row = d->candidates + (size_t)ty * d->words_per_row;

    for (uint32_t t = tx0; t <= tx1; t++)
        row[t / 64] |= 1ULL << (t % 64);
}

void vmm_fbdiff_mark_all(struct vmm_fbdiff *d)
{
    for (uint32_t ty = 0; ty < d->tiles_y; ty++)
        mark_span(d, ty, 0, d->tiles_x - 1);
}

/* the tiles that bytes [start, end) of video memory land on */
static void mark_bytes(struct vmm_fbdiff *d, uint64_t start, uint64_t end)
{
    const struct vmm_fb_mode *m = &d->mode;
    uint64_t pic_end = m->offset + (uint64_t)m->stride * m->height;
    uint32_t bytepp = m->bpp / 8;
    uint64_t r0, r1, y0, y1, x0, x1;

    if (end <= m->offset || start >= pic_end)
        return;
    r0 = (start > m->offset ? start : m->offset) - m->offset;
    r1 = (end < pic_end ? end : pic_end) - m->offset - 1; /* inclusive */
    y0 = r0 / m->stride;
    y1 = r1 / m->stride;
    if (y0 == y1) {
        x0 = (r0 % m->stride) / bytepp;
        x1 = (r1 % m->stride) / bytepp;
        if (x0 >= m->width)
            return; /* only the padding past the visible line */
        if (x1 >= m->width)
            x1 = m->width - 1;
        mark_span(d, (uint32_t)(y0 / VMM_TILE), (uint32_t)(x0 / VMM_TILE),
                  (uint32_t)(x1 / VMM_TILE));
        return;
    }
    /* several lines: whole tile rows (the compare sorts out the rest) */
    for (uint64_t ty = y0 / VMM_TILE; ty <= y1 / VMM_TILE; ty++)
        mark_span(d, (uint32_t)ty, 0, d->tiles_x - 1);
}

void vmm_fbdiff_mark_pages(struct vmm_fbdiff *d, const uint64_t *pages,
                           size_t n_pages)
{
    size_t p = 0;

    if (!d->candidates)
        return;
    while (p < n_pages) {
        uint64_t bits = pages[p / 64] >> (p % 64);
        size_t first;

        if (!bits) {
            p = (p / 64 + 1) * 64;
            continue;
        }
        p += (size_t)__builtin_ctzll(bits);
        if (p >= n_pages)
            break;
        /* a run of pages in one go: whole frames are common */
        first = p;
        while (p < n_pages && (pages[p / 64] >> (p % 64)) & 1)
            p++;
        mark_bytes(d, (uint64_t)first * VMM_FB_PAGE, (uint64_t)p * VMM_FB_PAGE);
    }
}

/* r5g6b5 -> x8r8g8b8 for @n pixels */
static void convert16(const uint8_t *src, uint32_t *dst, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t p = (uint32_t)src[2 * i] | (uint32_t)src[2 * i + 1] << 8;
        uint32_t r = (p >> 11) & 0x1f, g = (p >> 5) & 0x3f, b = p & 0x1f;

        dst[i] = (r << 3 | r >> 2) << 16 | (g << 2 | g >> 4) << 8 |
                 (b << 3 | b >> 2);
    }
}

size_t vmm_fbdiff_update(struct vmm_fbdiff *d, const uint8_t *vram,
                         uint8_t *shadow, vmm_fbdiff_rect_cb cb, void *opaque)
{
    const struct vmm_fb_mode *m = &d->mode;
    uint32_t sstride = m->width * 4;
    uint64_t changed_row[(VMM_FB_MAX_DIM / VMM_TILE + 63) / 64];
    uint32_t tmp[VMM_TILE];
    size_t n_changed = 0;

    if (!d->candidates)
        return 0;
    for (uint32_t ty = 0; ty < d->tiles_y; ty++) {
        uint64_t *cand = d->candidates + (size_t)ty * d->words_per_row;
        uint32_t y_end = (ty + 1) * VMM_TILE;
        bool any = false;

        for (size_t w = 0; w < d->words_per_row; w++)
            any |= cand[w] != 0;
        if (!any)
            continue;
        uint32_t y_first = UINT32_MAX, y_last = 0;

        memset(changed_row, 0, d->words_per_row * 8);
        if (y_end > m->height)
            y_end = m->height;
        /* line by line, so memory is read in order */
        for (uint32_t y = ty * VMM_TILE; y < y_end; y++) {
            const uint8_t *src = vram + m->offset + (uint64_t)y * m->stride;
            uint8_t *dst = shadow + (size_t)y * sstride;

            for (size_t w = 0; w < d->words_per_row; w++) {
                uint64_t bits = cand[w];

                while (bits) {
                    uint32_t tx = (uint32_t)(w * 64) +
                                  (uint32_t)__builtin_ctzll(bits);
                    uint32_t x = tx * VMM_TILE;
                    uint32_t n = m->width - x < VMM_TILE ? m->width - x
                                                         : VMM_TILE;
                    const void *pix;

                    bits &= bits - 1;
                    if (m->bpp == 32) {
                        pix = src + (size_t)x * 4;
                    } else {
                        convert16(src + (size_t)x * 2, tmp, n);
                        pix = tmp;
                    }
                    if (memcmp(dst + (size_t)x * 4, pix, n * 4) != 0) {
                        memcpy(dst + (size_t)x * 4, pix, n * 4);
                        changed_row[w] |= 1ULL << (tx % 64);
                        if (y < y_first)
                            y_first = y;
                        y_last = y;
                    }
                }
            }
        }
        memset(cand, 0, d->words_per_row * 8);
        /* report runs of changed tiles */
        for (uint32_t tx = 0; tx < d->tiles_x;) {
            uint32_t start;

            if (!(changed_row[tx / 64] & (1ULL << (tx % 64)))) {
                tx++;
                continue;
            }
            start = tx;
            while (tx < d->tiles_x &&
                   (changed_row[tx / 64] & (1ULL << (tx % 64))))
                tx++;
            n_changed += tx - start;
            if (cb) {
                uint32_t x0 = start * VMM_TILE, x1 = tx * VMM_TILE;

                if (x1 > m->width)
                    x1 = m->width;
                /* tiles wide, but only the lines that changed */
                cb(opaque, x0, y_first, x1 - x0, y_last + 1 - y_first);
            }
        }
    }
    return n_changed;
}
