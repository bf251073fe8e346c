/* vireo-cell-renderer-sparkline.h: a statistic's history in a list cell
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "vireo-stats.h"

G_BEGIN_DECLS

#define VIREO_TYPE_CELL_RENDERER_SPARKLINE (vireo_cell_renderer_sparkline_get_type())
G_DECLARE_FINAL_TYPE(VireoCellRendererSparkline, vireo_cell_renderer_sparkline, VIREO,
                     CELL_RENDERER_SPARKLINE, GtkCellRenderer)

GtkCellRenderer *vireo_cell_renderer_sparkline_new(void);

G_END_DECLS
