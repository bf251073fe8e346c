/* test-stats.c: VireoStats turns cumulative counters into rates
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vireo.h"

#define SEC G_USEC_PER_SEC

static VireoStatsCounters
reading(gint64 seconds, guint64 cpu_ns, guint vcpus, guint64 memory, guint64 bytes)
{
    VireoStatsCounters c = {
        .timestamp_us = seconds * SEC,
        .cpu_time_ns = cpu_ns,
        .vcpus = vcpus,
        .memory_kib = memory,
        .disk_read_bytes = bytes,
        .disk_write_bytes = bytes * 2,
        .net_rx_bytes = bytes * 3,
        .net_tx_bytes = bytes * 4,
    };
    return c;
}

static void
count_changed(VireoStats *stats, guint *count)
{
    (*count)++;
}

static void
test_first_reading_primes(void)
{
    g_autoptr(VireoStats) stats = vireo_stats_new(10);
    guint changed = 0;
    VireoStatsCounters c = reading(100, 5000000000, 2, 1024, 1000);

    g_signal_connect(stats, "changed", G_CALLBACK(count_changed), &changed);
    vireo_stats_push_counters(stats, &c);
    g_assert_cmpuint(vireo_stats_get_n_samples(stats), ==, 0);
    g_assert_cmpuint(changed, ==, 0);
    g_assert_cmpfloat(vireo_stats_get_latest(stats, VIREO_STAT_CPU), ==, 0.0);
}

static void
test_rates_from_deltas(void)
{
    g_autoptr(VireoStats) stats = vireo_stats_new(10);
    guint changed = 0;

    g_signal_connect(stats, "changed", G_CALLBACK(count_changed), &changed);
    VireoStatsCounters a = reading(10, 0, 2, 2048, 0);
    /* 2 s later: 1 s of CPU over 2 vCPUs = 25 %; 4000 bytes = 2000 B/s. */
    VireoStatsCounters b = reading(12, 1000000000, 2, 4096, 4000);
    vireo_stats_push_counters(stats, &a);
    vireo_stats_push_counters(stats, &b);

    g_assert_cmpuint(vireo_stats_get_n_samples(stats), ==, 1);
    g_assert_cmpuint(changed, ==, 1);
    g_assert_cmpfloat_with_epsilon(vireo_stats_get_latest(stats, VIREO_STAT_CPU), 25.0, 1e-9);
    g_assert_cmpfloat(vireo_stats_get_latest(stats, VIREO_STAT_MEMORY), ==, 4096.0);
    g_assert_cmpfloat_with_epsilon(vireo_stats_get_value(stats, VIREO_STAT_DISK_READ, 0),
                                   2000.0, 1e-9);
    g_assert_cmpfloat_with_epsilon(vireo_stats_get_value(stats, VIREO_STAT_DISK_WRITE, 0),
                                   4000.0, 1e-9);
    g_assert_cmpfloat_with_epsilon(vireo_stats_get_value(stats, VIREO_STAT_NET_RX, 0), 6000.0,
                                   1e-9);
    g_assert_cmpfloat_with_epsilon(vireo_stats_get_value(stats, VIREO_STAT_NET_TX, 0), 8000.0,
                                   1e-9);
}

static void
test_cpu_is_clamped(void)
{
    g_autoptr(VireoStats) stats = vireo_stats_new(4);
    VireoStatsCounters a = reading(1, 0, 1, 0, 0);
    /* More CPU time than wall time (rounding on the host): at most 100 %. */
    VireoStatsCounters b = reading(2, 3000000000, 1, 0, 0);

    vireo_stats_push_counters(stats, &a);
    vireo_stats_push_counters(stats, &b);
    g_assert_cmpfloat(vireo_stats_get_latest(stats, VIREO_STAT_CPU), ==, 100.0);
}

static void
test_counter_reset(void)
{
    g_autoptr(VireoStats) stats = vireo_stats_new(10);
    VireoStatsCounters a = reading(1, 1000000000, 1, 0, 5000);
    VireoStatsCounters b = reading(2, 1500000000, 1, 0, 6000);
    /* The VM restarted: counters start again from (almost) zero. */
    VireoStatsCounters c = reading(3, 10000000, 1, 0, 10);
    VireoStatsCounters d = reading(4, 260000000, 1, 0, 1010);

    vireo_stats_push_counters(stats, &a);
    vireo_stats_push_counters(stats, &b);
    g_assert_cmpuint(vireo_stats_get_n_samples(stats), ==, 1);
    g_assert_cmpfloat_with_epsilon(vireo_stats_get_latest(stats, VIREO_STAT_CPU), 50.0, 1e-9);

    vireo_stats_push_counters(stats, &c);
    /* No bogus huge or negative sample from the backwards step. */
    g_assert_cmpuint(vireo_stats_get_n_samples(stats), ==, 1);

    vireo_stats_push_counters(stats, &d);
    g_assert_cmpuint(vireo_stats_get_n_samples(stats), ==, 2);
    g_assert_cmpfloat_with_epsilon(vireo_stats_get_latest(stats, VIREO_STAT_CPU), 25.0, 1e-9);
    g_assert_cmpfloat_with_epsilon(vireo_stats_get_latest(stats, VIREO_STAT_DISK_READ), 1000.0,
                                   1e-9);
}

static void
test_same_timestamp_ignored(void)
{
    g_autoptr(VireoStats) stats = vireo_stats_new(10);
    VireoStatsCounters a = reading(5, 0, 1, 0, 0);
    VireoStatsCounters b = reading(5, 100, 1, 0, 100);

    vireo_stats_push_counters(stats, &a);
    vireo_stats_push_counters(stats, &b);
    g_assert_cmpuint(vireo_stats_get_n_samples(stats), ==, 0);
}

/* Pushes readings 1 s apart whose disk-read rate is the sample number. */
static void
push_numbered(VireoStats *stats, guint first, guint count, guint64 *bytes)
{
    for (guint i = first; i < first + count; i++) {
        *bytes += i;
        VireoStatsCounters c = reading(i, 0, 1, i, *bytes);
        vireo_stats_push_counters(stats, &c);
    }
}

static void
test_ring_wraps(void)
{
    g_autoptr(VireoStats) stats = vireo_stats_new(4);
    guint64 bytes = 0;

    /* Reading 0 primes; samples 1..9 are recorded, only 6..9 remain. */
    push_numbered(stats, 0, 10, &bytes);
    g_assert_cmpuint(vireo_stats_get_capacity(stats), ==, 4);
    g_assert_cmpuint(vireo_stats_get_n_samples(stats), ==, 4);
    for (guint i = 0; i < 4; i++) {
        g_assert_cmpfloat(vireo_stats_get_value(stats, VIREO_STAT_DISK_READ, i), ==, 6.0 + i);
        g_assert_cmpfloat(vireo_stats_get_value(stats, VIREO_STAT_MEMORY, i), ==, 6.0 + i);
    }
    g_assert_cmpfloat(vireo_stats_get_latest(stats, VIREO_STAT_DISK_READ), ==, 9.0);
    g_assert_cmpfloat(vireo_stats_get_max(stats, VIREO_STAT_DISK_READ), ==, 9.0);
}

static void
test_ring_grows_then_wraps(void)
{
    /* Larger than the ring's first allocation, so that it grows several
     * times before it is full and wraps. */
    g_autoptr(VireoStats) stats = vireo_stats_new(100);
    guint64 bytes = 0;

    push_numbered(stats, 0, 71, &bytes); /* samples 1..70 */
    g_assert_cmpuint(vireo_stats_get_n_samples(stats), ==, 70);
    for (guint i = 0; i < 70; i++)
        g_assert_cmpfloat(vireo_stats_get_value(stats, VIREO_STAT_DISK_READ, i), ==, 1.0 + i);

    push_numbered(stats, 71, 60, &bytes); /* samples 1..130: 31..130 remain */
    g_assert_cmpuint(vireo_stats_get_n_samples(stats), ==, 100);
    for (guint i = 0; i < 100; i++)
        g_assert_cmpfloat(vireo_stats_get_value(stats, VIREO_STAT_DISK_READ, i), ==, 31.0 + i);
    g_assert_cmpfloat(vireo_stats_get_max(stats, VIREO_STAT_DISK_READ), ==, 130.0);

    /* A reset gives the ring back; it grows again from nothing. */
    vireo_stats_reset(stats);
    push_numbered(stats, 200, 41, &bytes);
    g_assert_cmpuint(vireo_stats_get_n_samples(stats), ==, 40);
    for (guint i = 0; i < 40; i++)
        g_assert_cmpfloat(vireo_stats_get_value(stats, VIREO_STAT_DISK_READ, i), ==, 201.0 + i);
}

static void
test_capacity_shrink_keeps_newest(void)
{
    g_autoptr(VireoStats) stats = vireo_stats_new(5);
    guint64 bytes = 0;

    push_numbered(stats, 0, 8, &bytes); /* samples 3..7 */
    vireo_stats_set_capacity(stats, 3);
    g_assert_cmpuint(vireo_stats_get_n_samples(stats), ==, 3);
    g_assert_cmpfloat(vireo_stats_get_value(stats, VIREO_STAT_DISK_READ, 0), ==, 5.0);
    g_assert_cmpfloat(vireo_stats_get_value(stats, VIREO_STAT_DISK_READ, 2), ==, 7.0);

    /* The deltas go on from the last reading. */
    push_numbered(stats, 8, 1, &bytes);
    g_assert_cmpuint(vireo_stats_get_n_samples(stats), ==, 3);
    g_assert_cmpfloat(vireo_stats_get_value(stats, VIREO_STAT_DISK_READ, 0), ==, 6.0);
    g_assert_cmpfloat(vireo_stats_get_latest(stats, VIREO_STAT_DISK_READ), ==, 8.0);
}

static void
test_capacity_grow_keeps_all(void)
{
    g_autoptr(VireoStats) stats = vireo_stats_new(3);
    guint64 bytes = 0;

    push_numbered(stats, 0, 6, &bytes); /* wrapped: samples 3..5 */
    vireo_stats_set_capacity(stats, 6);
    g_assert_cmpuint(vireo_stats_get_capacity(stats), ==, 6);
    g_assert_cmpuint(vireo_stats_get_n_samples(stats), ==, 3);
    push_numbered(stats, 6, 3, &bytes);
    g_assert_cmpuint(vireo_stats_get_n_samples(stats), ==, 6);
    for (guint i = 0; i < 6; i++)
        g_assert_cmpfloat(vireo_stats_get_value(stats, VIREO_STAT_DISK_READ, i), ==, 3.0 + i);
}

static void
test_reset_forgets(void)
{
    g_autoptr(VireoStats) stats = vireo_stats_new(5);
    guint64 bytes = 0;
    guint changed = 0;

    push_numbered(stats, 0, 4, &bytes);
    g_signal_connect(stats, "changed", G_CALLBACK(count_changed), &changed);
    vireo_stats_reset(stats);
    g_assert_cmpuint(changed, ==, 1);
    g_assert_cmpuint(vireo_stats_get_n_samples(stats), ==, 0);
    g_assert_cmpfloat(vireo_stats_get_max(stats, VIREO_STAT_DISK_READ), ==, 0.0);

    /* After a reset the next reading primes again. */
    push_numbered(stats, 10, 1, &bytes);
    g_assert_cmpuint(vireo_stats_get_n_samples(stats), ==, 0);
    push_numbered(stats, 11, 1, &bytes);
    g_assert_cmpuint(vireo_stats_get_n_samples(stats), ==, 1);
    g_assert_cmpfloat(vireo_stats_get_latest(stats, VIREO_STAT_DISK_READ), ==, 11.0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

    g_test_add_func("/unit/stats/first-reading-primes", test_first_reading_primes);
    g_test_add_func("/unit/stats/rates-from-deltas", test_rates_from_deltas);
    g_test_add_func("/unit/stats/cpu-is-clamped", test_cpu_is_clamped);
    g_test_add_func("/unit/stats/counter-reset", test_counter_reset);
    g_test_add_func("/unit/stats/same-timestamp-ignored", test_same_timestamp_ignored);
    g_test_add_func("/unit/stats/ring-wraps", test_ring_wraps);
    g_test_add_func("/unit/stats/ring-grows-then-wraps", test_ring_grows_then_wraps);
    g_test_add_func("/unit/stats/capacity-shrink-keeps-newest", test_capacity_shrink_keeps_newest);
    g_test_add_func("/unit/stats/capacity-grow-keeps-all", test_capacity_grow_keeps_all);
    g_test_add_func("/unit/stats/reset-forgets", test_reset_forgets);

    return g_test_run();
}
