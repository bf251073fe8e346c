/* vireo-stats.h: a history of performance samples for graphs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Backends feed raw cumulative counters (CPU nanoseconds, bytes read…) with
 * vireo_stats_push_counters(); the history turns consecutive samples into
 * rates and keeps the last `capacity` of them in a ring.  Sample 0 is the
 * oldest, n-1 the newest.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
    VIREO_STAT_CPU,          /* percent of the VM's vCPUs (0..100) */
    VIREO_STAT_MEMORY,       /* KiB in use by the guest */
    VIREO_STAT_DISK_READ,    /* bytes per second */
    VIREO_STAT_DISK_WRITE,   /* bytes per second */
    VIREO_STAT_NET_RX,       /* bytes per second */
    VIREO_STAT_NET_TX,       /* bytes per second */
    VIREO_N_STATS
} VireoStat;

/* Cumulative counters as a hypervisor reports them, at one instant. */
typedef struct {
    gint64 timestamp_us;     /* monotonic time of the reading */
    guint64 cpu_time_ns;     /* total CPU time used since start */
    guint vcpus;             /* number of vCPUs (or host CPUs) the time is shared by */
    guint64 memory_kib;      /* in use, not cumulative */
    guint64 disk_read_bytes;
    guint64 disk_write_bytes;
    guint64 net_rx_bytes;
    guint64 net_tx_bytes;
} VireoStatsCounters;

#define VIREO_TYPE_STATS (vireo_stats_get_type())
G_DECLARE_FINAL_TYPE(VireoStats, vireo_stats, VIREO, STATS, GObject)

VireoStats *vireo_stats_new(guint capacity);
guint vireo_stats_get_capacity(VireoStats *self);
void vireo_stats_set_capacity(VireoStats *self, guint capacity);
guint vireo_stats_get_n_samples(VireoStats *self);
/* Value of @stat at sample @index (0 = oldest). */
double vireo_stats_get_value(VireoStats *self, VireoStat stat, guint index);
/* Newest value of @stat, 0 when there is none yet. */
double vireo_stats_get_latest(VireoStats *self, VireoStat stat);
/* Largest value of @stat in the history (for graph scales). */
double vireo_stats_get_max(VireoStats *self, VireoStat stat);

/* Record a reading.  The first reading after a reset only primes the deltas.
 * A counter that goes backwards (the VM restarted) restarts the deltas too.
 * Emits "changed" when a sample was added. */
void vireo_stats_push_counters(VireoStats *self, const VireoStatsCounters *counters);
/* The newest raw reading (as pushed); FALSE when there is none yet. */
gboolean vireo_stats_get_last_counters(VireoStats *self, VireoStatsCounters *counters);
/* Forget the history (the VM stopped). */
void vireo_stats_reset(VireoStats *self);

G_END_DECLS
