/* vireo-stats.c: a history of performance samples for graphs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "vireo-stats.h"

struct _VireoStats {
    GObject parent_instance;

    /* Ring of samples, VIREO_N_STATS floats each (graphs need no more
     * precision); `first` is the oldest, `n` how many are filled.  It holds
     * `allocated` samples and grows as they come, up to `capacity`: a host
     * with hundreds of VMs pays for the history they have, not for five
     * minutes of it each from the start.  While it is not full, `first` is
     * 0, so growing keeps the order. */
    float *ring;
    guint allocated;
    guint capacity;
    guint first;
    guint n;

    VireoStatsCounters previous;
    gboolean have_previous;
};

G_DEFINE_FINAL_TYPE(VireoStats, vireo_stats, G_TYPE_OBJECT)

enum {
    PROP_0,
    PROP_CAPACITY,
    PROP_N_SAMPLES,
    N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
    SIGNAL_CHANGED,
    N_SIGNALS
};

static guint signals[N_SIGNALS];

#define DEFAULT_CAPACITY 300
/* Samples the ring holds when the first one comes. */
#define MIN_ALLOCATED 16

static void
vireo_stats_finalize(GObject *object)
{
    VireoStats *self = VIREO_STATS(object);

    g_free(self->ring);

    G_OBJECT_CLASS(vireo_stats_parent_class)->finalize(object);
}

static void
vireo_stats_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
    VireoStats *self = VIREO_STATS(object);

    switch (prop_id) {
    case PROP_CAPACITY:
        g_value_set_uint(value, self->capacity);
        break;
    case PROP_N_SAMPLES:
        g_value_set_uint(value, self->n);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void
vireo_stats_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
    VireoStats *self = VIREO_STATS(object);

    switch (prop_id) {
    case PROP_CAPACITY:
        vireo_stats_set_capacity(self, g_value_get_uint(value));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void
vireo_stats_class_init(VireoStatsClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->finalize = vireo_stats_finalize;
    object_class->get_property = vireo_stats_get_property;
    object_class->set_property = vireo_stats_set_property;

    properties[PROP_CAPACITY] =
        g_param_spec_uint("capacity", NULL, NULL, 1, G_MAXUINT / VIREO_N_STATS,
                          DEFAULT_CAPACITY,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                              G_PARAM_STATIC_STRINGS);
    properties[PROP_N_SAMPLES] = g_param_spec_uint("n-samples", NULL, NULL, 0, G_MAXUINT, 0,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    /* Emitted after a sample was added, or when the history was cleared. */
    signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
vireo_stats_init(VireoStats *self)
{
}

VireoStats *
vireo_stats_new(guint capacity)
{
    g_return_val_if_fail(capacity > 0, NULL);

    return g_object_new(VIREO_TYPE_STATS, "capacity", capacity, NULL);
}

guint
vireo_stats_get_capacity(VireoStats *self)
{
    g_return_val_if_fail(VIREO_IS_STATS(self), 0);

    return self->capacity;
}

static float *
sample_at(VireoStats *self, guint index)
{
    g_assert(index < self->n);

    return &self->ring[((self->first + index) % self->capacity) * VIREO_N_STATS];
}

void
vireo_stats_set_capacity(VireoStats *self, guint capacity)
{
    g_return_if_fail(VIREO_IS_STATS(self));
    g_return_if_fail(capacity > 0 && capacity <= G_MAXUINT / VIREO_N_STATS);

    if (capacity == self->capacity)
        return;

    /* Keep the newest samples that fit, oldest first in the new ring, which
     * holds just those: it grows again as samples come. */
    guint keep = MIN(self->n, capacity);
    float *ring = keep > 0 ? g_new(float, (gsize)keep * VIREO_N_STATS) : NULL;
    for (guint i = 0; i < keep; i++)
        memcpy(&ring[i * VIREO_N_STATS], sample_at(self, self->n - keep + i),
               sizeof(float) * VIREO_N_STATS);

    g_free(self->ring);
    self->ring = ring;
    self->allocated = keep;
    self->capacity = capacity;
    self->first = 0;
    gboolean dropped = keep != self->n;
    self->n = keep;

    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_CAPACITY]);
    if (dropped)
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_N_SAMPLES]);
}

guint
vireo_stats_get_n_samples(VireoStats *self)
{
    g_return_val_if_fail(VIREO_IS_STATS(self), 0);

    return self->n;
}

double
vireo_stats_get_value(VireoStats *self, VireoStat stat, guint index)
{
    g_return_val_if_fail(VIREO_IS_STATS(self), 0.0);
    g_return_val_if_fail(stat < VIREO_N_STATS, 0.0);
    g_return_val_if_fail(index < self->n, 0.0);

    return sample_at(self, index)[stat];
}

double
vireo_stats_get_latest(VireoStats *self, VireoStat stat)
{
    g_return_val_if_fail(VIREO_IS_STATS(self), 0.0);
    g_return_val_if_fail(stat < VIREO_N_STATS, 0.0);

    if (self->n == 0)
        return 0.0;
    return sample_at(self, self->n - 1)[stat];
}

double
vireo_stats_get_max(VireoStats *self, VireoStat stat)
{
    g_return_val_if_fail(VIREO_IS_STATS(self), 0.0);
    g_return_val_if_fail(stat < VIREO_N_STATS, 0.0);

    double max = 0.0;
    for (guint i = 0; i < self->n; i++)
        max = MAX(max, sample_at(self, i)[stat]);
    return max;
}

/* Bytes (or nanoseconds) per second between two readings of a counter. */
static double
rate(guint64 now, guint64 before, double seconds)
{
    return (double)(now - before) / seconds;
}

gboolean
vireo_stats_get_last_counters(VireoStats *self, VireoStatsCounters *counters)
{
    g_return_val_if_fail(VIREO_IS_STATS(self), FALSE);
    g_return_val_if_fail(counters != NULL, FALSE);

    if (!self->have_previous)
        return FALSE;
    *counters = self->previous;
    return TRUE;
}

void
vireo_stats_push_counters(VireoStats *self, const VireoStatsCounters *counters)
{
    g_return_if_fail(VIREO_IS_STATS(self));
    g_return_if_fail(counters != NULL);

    const VireoStatsCounters *prev = &self->previous;
    gboolean restart = !self->have_previous || counters->timestamp_us <= prev->timestamp_us ||
                       counters->cpu_time_ns < prev->cpu_time_ns ||
                       counters->disk_read_bytes < prev->disk_read_bytes ||
                       counters->disk_write_bytes < prev->disk_write_bytes ||
                       counters->net_rx_bytes < prev->net_rx_bytes ||
                       counters->net_tx_bytes < prev->net_tx_bytes;

    if (restart) {
        /* First reading, or the counters started again from zero (the VM
         * was restarted): this reading only primes the next delta. */
        self->previous = *counters;
        self->have_previous = TRUE;
        return;
    }

    double seconds = (double)(counters->timestamp_us - prev->timestamp_us) / G_USEC_PER_SEC;
    guint vcpus = MAX(counters->vcpus, 1);
    double cpu = rate(counters->cpu_time_ns, prev->cpu_time_ns, seconds) / 1e9 / vcpus * 100.0;

    float *sample;
    if (self->n < self->capacity) {
        if (self->n == self->allocated) {
            self->allocated = MIN(self->capacity, MAX(MIN_ALLOCATED, self->allocated * 2));
            self->ring = g_renew(float, self->ring, (gsize)self->allocated * VIREO_N_STATS);
        }
        self->n++;
        sample = sample_at(self, self->n - 1);
    } else {
        /* Full: the oldest slot becomes the newest. */
        sample = &self->ring[self->first * VIREO_N_STATS];
        self->first = (self->first + 1) % self->capacity;
    }

    sample[VIREO_STAT_CPU] = CLAMP(cpu, 0.0, 100.0);
    sample[VIREO_STAT_MEMORY] = (double)counters->memory_kib;
    sample[VIREO_STAT_DISK_READ] = rate(counters->disk_read_bytes, prev->disk_read_bytes, seconds);
    sample[VIREO_STAT_DISK_WRITE] =
        rate(counters->disk_write_bytes, prev->disk_write_bytes, seconds);
    sample[VIREO_STAT_NET_RX] = rate(counters->net_rx_bytes, prev->net_rx_bytes, seconds);
    sample[VIREO_STAT_NET_TX] = rate(counters->net_tx_bytes, prev->net_tx_bytes, seconds);

    self->previous = *counters;

    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_N_SAMPLES]);
    g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

void
vireo_stats_reset(VireoStats *self)
{
    g_return_if_fail(VIREO_IS_STATS(self));

    gboolean had_samples = self->n > 0;

    self->n = 0;
    self->first = 0;
    self->allocated = 0;
    g_clear_pointer(&self->ring, g_free);
    self->have_previous = FALSE;
    memset(&self->previous, 0, sizeof(self->previous));

    if (had_samples) {
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_N_SAMPLES]);
        g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
    }
}
