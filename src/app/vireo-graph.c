/* vireo-graph.c: a widget that draws one statistic's history
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vireo-graph.h"
#include "vireo-sparkline.h"

struct _VireoGraph {
    GtkDrawingArea parent_instance;

    VireoSparkline sparkline;
    gulong changed_id;
};

G_DEFINE_FINAL_TYPE(VireoGraph, vireo_graph, GTK_TYPE_DRAWING_AREA)

static GParamSpec *properties[VIREO_SPARKLINE_N_PROPS];

static gboolean
vireo_graph_draw(GtkWidget *widget, cairo_t *cr)
{
    VireoGraph *self = VIREO_GRAPH(widget);
    GtkStyleContext *style = gtk_widget_get_style_context(widget);
    int width = gtk_widget_get_allocated_width(widget);
    int height = gtk_widget_get_allocated_height(widget);
    GdkRGBA color;

    gtk_render_background(style, cr, 0, 0, width, height);
    gtk_render_frame(style, cr, 0, 0, width, height);
    gtk_style_context_get_color(style, gtk_style_context_get_state(style), &color);
    vireo_sparkline_draw(&self->sparkline, cr, &color, 1, 1, width - 2, height - 2);
    return FALSE;
}

static void
on_stats_changed(VireoGraph *self)
{
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void
vireo_graph_dispose(GObject *object)
{
    VireoGraph *self = VIREO_GRAPH(object);

    vireo_graph_set_stats(self, NULL);
    vireo_sparkline_clear(&self->sparkline);
    G_OBJECT_CLASS(vireo_graph_parent_class)->dispose(object);
}

static void
vireo_graph_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
    vireo_sparkline_get_property(&VIREO_GRAPH(object)->sparkline, prop_id, value);
}

static void
vireo_graph_set_property(GObject *object, guint prop_id, const GValue *value,
                         GParamSpec *pspec)
{
    VireoGraph *self = VIREO_GRAPH(object);

    if (prop_id == VIREO_SPARKLINE_PROP_STATS) {
        vireo_graph_set_stats(self, g_value_get_object(value));
        return;
    }
    if (vireo_sparkline_set_property(&self->sparkline, prop_id, value)) {
        gtk_widget_queue_draw(GTK_WIDGET(self));
        g_object_notify_by_pspec(object, pspec);
    }
}

static void
vireo_graph_class_init(VireoGraphClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->dispose = vireo_graph_dispose;
    object_class->get_property = vireo_graph_get_property;
    object_class->set_property = vireo_graph_set_property;
    widget_class->draw = vireo_graph_draw;

    vireo_sparkline_install_properties(object_class, properties);

    gtk_widget_class_set_css_name(widget_class, "vireograph");
    gtk_widget_class_set_accessible_role(widget_class, ATK_ROLE_CHART);
}

static void
vireo_graph_init(VireoGraph *self)
{
    vireo_sparkline_init(&self->sparkline);
}

GtkWidget *
vireo_graph_new(void)
{
    return g_object_new(VIREO_TYPE_GRAPH, NULL);
}

VireoStats *
vireo_graph_get_stats(VireoGraph *self)
{
    g_return_val_if_fail(VIREO_IS_GRAPH(self), NULL);
    return self->sparkline.stats;
}

void
vireo_graph_set_stats(VireoGraph *self, VireoStats *stats)
{
    g_return_if_fail(VIREO_IS_GRAPH(self));
    g_return_if_fail(stats == NULL || VIREO_IS_STATS(stats));

    if (self->sparkline.stats == stats)
        return;
    if (self->sparkline.stats != NULL)
        g_clear_signal_handler(&self->changed_id, self->sparkline.stats);
    g_set_object(&self->sparkline.stats, stats);
    if (stats != NULL)
        self->changed_id = g_signal_connect_swapped(stats, "changed",
                                                    G_CALLBACK(on_stats_changed), self);
    gtk_widget_queue_draw(GTK_WIDGET(self));
    g_object_notify_by_pspec(G_OBJECT(self), properties[VIREO_SPARKLINE_PROP_STATS]);
}

VireoStat
vireo_graph_get_stat(VireoGraph *self)
{
    g_return_val_if_fail(VIREO_IS_GRAPH(self), VIREO_STAT_CPU);
    return self->sparkline.stat;
}

void
vireo_graph_set_stat(VireoGraph *self, VireoStat stat)
{
    g_return_if_fail(VIREO_IS_GRAPH(self));
    g_return_if_fail(stat < VIREO_N_STATS);
    g_object_set(self, "stat", stat, NULL);
}

double
vireo_graph_get_maximum(VireoGraph *self)
{
    g_return_val_if_fail(VIREO_IS_GRAPH(self), 0);
    return self->sparkline.maximum;
}

void
vireo_graph_set_maximum(VireoGraph *self, double maximum)
{
    g_return_if_fail(VIREO_IS_GRAPH(self));
    g_object_set(self, "maximum", maximum, NULL);
}
