/* vireo-sparkline.h: the one drawing routine of Vireo's graphs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * VireoGraph (a widget) and VireoCellRendererSparkline (a list cell) both
 * draw a VireoStats history through vireo_sparkline_draw(), so that a
 * sparkline in the list and a graph on a page look and scale the same.
 * They also share the properties that say what to draw.
 */
#pragma once

#include <gtk/gtk.h>

#include "vireo-stats.h"

G_BEGIN_DECLS

/* What a graph draws. */
typedef struct {
    VireoStats *stats;  /* owned; NULL draws the base line only */
    VireoStat stat;
    double maximum;     /* the value at the top; 0 scales to the history's maximum */
} VireoSparkline;

/* Property ids, from 1, for classes that install the sparkline properties
 * "stats", "stat" and "maximum" first. */
enum {
    VIREO_SPARKLINE_PROP_STATS = 1,
    VIREO_SPARKLINE_PROP_STAT,
    VIREO_SPARKLINE_PROP_MAXIMUM,
    VIREO_SPARKLINE_N_PROPS
};

void vireo_sparkline_init(VireoSparkline *sparkline);
void vireo_sparkline_clear(VireoSparkline *sparkline);
void vireo_sparkline_install_properties(GObjectClass *klass,
                                        GParamSpec *pspecs[VIREO_SPARKLINE_N_PROPS]);
void vireo_sparkline_get_property(const VireoSparkline *sparkline, guint prop_id, GValue *value);
/* Returns TRUE when the value changed. */
gboolean vireo_sparkline_set_property(VireoSparkline *sparkline, guint prop_id,
                                      const GValue *value);

/* Draws the history into the rectangle (@x, @y, @width, @height) of @cr: a
 * line in @color over an area of the same colour, faint.  The newest sample
 * is at the right edge, one sample per step of width / (capacity - 1).  A
 * history of fewer than two samples draws the base line only. */
void vireo_sparkline_draw(const VireoSparkline *sparkline, cairo_t *cr, const GdkRGBA *color,
                          double x, double y, double width, double height);

G_END_DECLS
