/* vireo-sparkline.c: the one drawing routine of Vireo's graphs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vireo-sparkline.h"

void
vireo_sparkline_init(VireoSparkline *sparkline)
{
    sparkline->stats = NULL;
    sparkline->stat = VIREO_STAT_CPU;
    sparkline->maximum = 100;
}

void
vireo_sparkline_clear(VireoSparkline *sparkline)
{
    g_clear_object(&sparkline->stats);
}

void
vireo_sparkline_install_properties(GObjectClass *klass,
                                   GParamSpec *pspecs[VIREO_SPARKLINE_N_PROPS])
{
    pspecs[VIREO_SPARKLINE_PROP_STATS] = g_param_spec_object(
        "stats", NULL, NULL, VIREO_TYPE_STATS,
        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    pspecs[VIREO_SPARKLINE_PROP_STAT] = g_param_spec_int(
        "stat", NULL, NULL, 0, VIREO_N_STATS - 1, VIREO_STAT_CPU,
        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    pspecs[VIREO_SPARKLINE_PROP_MAXIMUM] = g_param_spec_double(
        "maximum", NULL, NULL, 0, G_MAXDOUBLE, 100,
        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(klass, VIREO_SPARKLINE_N_PROPS, pspecs);
}

void
vireo_sparkline_get_property(const VireoSparkline *sparkline, guint prop_id, GValue *value)
{
    switch (prop_id) {
    case VIREO_SPARKLINE_PROP_STATS:
        g_value_set_object(value, sparkline->stats);
        break;
    case VIREO_SPARKLINE_PROP_STAT:
        g_value_set_int(value, sparkline->stat);
        break;
    case VIREO_SPARKLINE_PROP_MAXIMUM:
        g_value_set_double(value, sparkline->maximum);
        break;
    default:
        g_assert_not_reached();
    }
}

gboolean
vireo_sparkline_set_property(VireoSparkline *sparkline, guint prop_id, const GValue *value)
{
    switch (prop_id) {
    case VIREO_SPARKLINE_PROP_STATS:
        return g_set_object(&sparkline->stats, g_value_get_object(value));
    case VIREO_SPARKLINE_PROP_STAT:
        if (sparkline->stat == (VireoStat)g_value_get_int(value))
            return FALSE;
        sparkline->stat = g_value_get_int(value);
        return TRUE;
    case VIREO_SPARKLINE_PROP_MAXIMUM:
        if (sparkline->maximum == g_value_get_double(value))
            return FALSE;
        sparkline->maximum = g_value_get_double(value);
        return TRUE;
    default:
        g_assert_not_reached();
    }
}

void
vireo_sparkline_draw(const VireoSparkline *sparkline, cairo_t *cr, const GdkRGBA *color,
                     double x, double y, double width, double height)
{
    VireoStats *stats = sparkline->stats;
    VireoStat stat = sparkline->stat;
    double maximum = sparkline->maximum;
    guint n = 0;
    guint capacity = 0;
    double step;
    double bottom = y + height - 0.5;

    g_return_if_fail(cr != NULL);
    g_return_if_fail(color != NULL);

    if (width < 2 || height < 2)
        return;

    if (stats != NULL) {
        n = vireo_stats_get_n_samples(stats);
        capacity = vireo_stats_get_capacity(stats);
    }

    cairo_save(cr);
    cairo_rectangle(cr, x, y, width, height);
    cairo_clip(cr);
    cairo_set_line_width(cr, 1.0);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);

    /* The base line, so that an empty history still reads as a graph. */
    gdk_cairo_set_source_rgba(cr, color);
    cairo_push_group(cr);
    cairo_move_to(cr, x, bottom);
    cairo_line_to(cr, x + width, bottom);
    cairo_stroke(cr);
    cairo_pop_group_to_source(cr);
    cairo_paint_with_alpha(cr, 0.3);

    if (n >= 2 && capacity >= 2) {
        if (maximum <= 0)
            maximum = vireo_stats_get_max(stats, stat);
        if (maximum <= 0)
            maximum = 1;
        step = width / (capacity - 1);

        /* Newest sample at the right edge. */
        cairo_new_path(cr);
        for (guint i = 0; i < n; i++) {
            double v = CLAMP(vireo_stats_get_value(stats, stat, i) / maximum, 0.0, 1.0);
            double px = x + width - (n - 1 - i) * step;
            double py = bottom - v * (height - 1.5);

            if (i == 0)
                cairo_move_to(cr, px, py);
            else
                cairo_line_to(cr, px, py);
        }

        /* The area under the line, faint, then the line itself. */
        cairo_path_t *line = cairo_copy_path(cr);
        cairo_line_to(cr, x + width, bottom);
        cairo_line_to(cr, x + width - (n - 1) * step, bottom);
        cairo_close_path(cr);
        cairo_set_source_rgba(cr, color->red, color->green, color->blue, color->alpha * 0.25);
        cairo_fill(cr);

        cairo_append_path(cr, line);
        cairo_path_destroy(line);
        gdk_cairo_set_source_rgba(cr, color);
        cairo_stroke(cr);
    }

    cairo_restore(cr);
}
