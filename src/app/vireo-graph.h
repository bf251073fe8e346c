/* vireo-graph.h: a widget that draws one statistic's history
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vireo-stats.h"

G_BEGIN_DECLS

#define VIREO_TYPE_GRAPH (vireo_graph_get_type())
G_DECLARE_FINAL_TYPE(VireoGraph, vireo_graph, VIREO, GRAPH, GtkDrawingArea)

GtkWidget *vireo_graph_new(void);
VireoStats *vireo_graph_get_stats(VireoGraph *self);
/* Redraws on every sample of @stats; NULL draws an empty graph. */
void vireo_graph_set_stats(VireoGraph *self, VireoStats *stats);
VireoStat vireo_graph_get_stat(VireoGraph *self);
void vireo_graph_set_stat(VireoGraph *self, VireoStat stat);
/* The value at the top of the graph; 0 scales to the history's maximum. */
double vireo_graph_get_maximum(VireoGraph *self);
void vireo_graph_set_maximum(VireoGraph *self, double maximum);

G_END_DECLS
