/* vireo-cell-renderer-sparkline.c: a statistic's history in a list cell
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Properties "stats" (a VireoStats or NULL), "stat" and "maximum" are set
 * per row by the view; the drawing is vireo_sparkline_draw(), shared with
 * VireoGraph.
 */
#include "vireo-cell-renderer-sparkline.h"
#include "vireo-sparkline.h"

#define SPARKLINE_WIDTH 100
#define SPARKLINE_HEIGHT 16

struct _VireoCellRendererSparkline {
    GtkCellRenderer parent_instance;

    VireoSparkline sparkline;
};

G_DEFINE_FINAL_TYPE(VireoCellRendererSparkline, vireo_cell_renderer_sparkline,
                    GTK_TYPE_CELL_RENDERER)

static GParamSpec *properties[VIREO_SPARKLINE_N_PROPS];

static void
vireo_cell_renderer_sparkline_get_preferred_width(GtkCellRenderer *cell, GtkWidget *widget,
                                                  int *minimum, int *natural)
{
    int xpad;

    gtk_cell_renderer_get_padding(cell, &xpad, NULL);
    if (minimum != NULL)
        *minimum = SPARKLINE_WIDTH / 2 + 2 * xpad;
    if (natural != NULL)
        *natural = SPARKLINE_WIDTH + 2 * xpad;
}

static void
vireo_cell_renderer_sparkline_get_preferred_height(GtkCellRenderer *cell, GtkWidget *widget,
                                                   int *minimum, int *natural)
{
    int ypad;

    gtk_cell_renderer_get_padding(cell, NULL, &ypad);
    if (minimum != NULL)
        *minimum = SPARKLINE_HEIGHT + 2 * ypad;
    if (natural != NULL)
        *natural = SPARKLINE_HEIGHT + 2 * ypad;
}

static void
vireo_cell_renderer_sparkline_render(GtkCellRenderer *cell, cairo_t *cr, GtkWidget *widget,
                                     const GdkRectangle *background_area,
                                     const GdkRectangle *cell_area,
                                     GtkCellRendererState flags)
{
    VireoCellRendererSparkline *self = VIREO_CELL_RENDERER_SPARKLINE(cell);
    GtkStyleContext *style = gtk_widget_get_style_context(widget);
    GdkRGBA color;
    int xpad, ypad;

    /* No history at all (a stopped VM): an empty cell rather than a flat line. */
    if (self->sparkline.stats == NULL)
        return;

    gtk_cell_renderer_get_padding(cell, &xpad, &ypad);
    /* The row's text colour: it follows selection and the theme. */
    gtk_style_context_get_color(style, gtk_cell_renderer_get_state(cell, widget, flags), &color);
    vireo_sparkline_draw(&self->sparkline, cr, &color, cell_area->x + xpad, cell_area->y + ypad,
                         cell_area->width - 2 * xpad, cell_area->height - 2 * ypad);
}

static void
vireo_cell_renderer_sparkline_finalize(GObject *object)
{
    vireo_sparkline_clear(&VIREO_CELL_RENDERER_SPARKLINE(object)->sparkline);
    G_OBJECT_CLASS(vireo_cell_renderer_sparkline_parent_class)->finalize(object);
}

static void
vireo_cell_renderer_sparkline_get_property(GObject *object, guint prop_id, GValue *value,
                                           GParamSpec *pspec)
{
    vireo_sparkline_get_property(&VIREO_CELL_RENDERER_SPARKLINE(object)->sparkline, prop_id,
                                 value);
}

static void
vireo_cell_renderer_sparkline_set_property(GObject *object, guint prop_id, const GValue *value,
                                           GParamSpec *pspec)
{
    /* Set for every row drawn: no notification, as for GTK's own renderers'
     * hot properties, to keep long lists cheap. */
    vireo_sparkline_set_property(&VIREO_CELL_RENDERER_SPARKLINE(object)->sparkline, prop_id,
                                 value);
}

static void
vireo_cell_renderer_sparkline_class_init(VireoCellRendererSparklineClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkCellRendererClass *cell_class = GTK_CELL_RENDERER_CLASS(klass);

    object_class->finalize = vireo_cell_renderer_sparkline_finalize;
    object_class->get_property = vireo_cell_renderer_sparkline_get_property;
    object_class->set_property = vireo_cell_renderer_sparkline_set_property;
    cell_class->get_preferred_width = vireo_cell_renderer_sparkline_get_preferred_width;
    cell_class->get_preferred_height = vireo_cell_renderer_sparkline_get_preferred_height;
    cell_class->render = vireo_cell_renderer_sparkline_render;

    vireo_sparkline_install_properties(object_class, properties);
}

static void
vireo_cell_renderer_sparkline_init(VireoCellRendererSparkline *self)
{
    vireo_sparkline_init(&self->sparkline);
    gtk_cell_renderer_set_padding(GTK_CELL_RENDERER(self), 2, 2);
}

GtkCellRenderer *
vireo_cell_renderer_sparkline_new(void)
{
    return g_object_new(VIREO_TYPE_CELL_RENDERER_SPARKLINE, NULL);
}
