/* test-stats-poll.c: statistics polling on a connection (test driver)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The test driver reports no CPU or I/O counters for its VMs, so this checks
 * the machinery (one bulk call per tick, samples for running VMs only, the
 * interval property, host statistics); the arithmetic is in the unit suite
 * and real counters in the libvirt suite.
 */
#include "vireo-test-util.h"

static void
count_signal(gpointer instance, guint *count)
{
    (*count)++;
}

typedef struct {
    VireoStats *stats;
    guint n;
} Samples;

static gboolean
has_samples(gpointer user_data)
{
    Samples *samples = user_data;
    return vireo_stats_get_n_samples(samples->stats) >= samples->n;
}

static void
test_poll(void)
{
    g_autofree char *uri = vt_test_node_uri();
    g_autoptr(GError) error = NULL;
    g_autoptr(VireoConnection) connection = vireo_connection_new_for_uri(uri, &error);
    guint alpha_updates = 0, bravo_updates = 0;

    g_assert_no_error(error);
    g_assert_cmpuint(vireo_connection_get_stats_interval(connection), ==, 1000);
    vireo_connection_set_stats_interval(connection, 50);
    g_assert_cmpuint(vireo_connection_get_stats_interval(connection), ==, 50);
    vt_open(connection);

    /* Held: the close below takes them out of the connection's list. */
    g_autoptr(VireoDomain) alpha =
        g_object_ref(vireo_connection_lookup_domain_by_name(connection, "alpha"));
    g_autoptr(VireoDomain) bravo =
        g_object_ref(vireo_connection_lookup_domain_by_name(connection, "bravo"));
    g_signal_connect(alpha, "stats-updated", G_CALLBACK(count_signal), &alpha_updates);
    g_signal_connect(bravo, "stats-updated", G_CALLBACK(count_signal), &bravo_updates);

    Samples samples = {vireo_domain_get_stats(alpha), 3};
    g_assert_true(vt_wait_until(has_samples, &samples, 30));
    g_assert_cmpuint(alpha_updates, >=, 4);
    /* Shut-off VMs have nothing to report. */
    g_assert_cmpuint(bravo_updates, ==, 0);
    g_assert_cmpuint(vireo_stats_get_n_samples(vireo_domain_get_stats(bravo)), ==, 0);
    /* The test driver gives no balloon figure: the VM's memory stands in. */
    g_assert_cmpfloat(vireo_stats_get_latest(vireo_domain_get_stats(alpha), VIREO_STAT_MEMORY),
                      ==, (double)vireo_domain_get_memory(alpha));
    g_assert_cmpfloat(vireo_stats_get_latest(vireo_domain_get_stats(alpha), VIREO_STAT_CPU), >=,
                      0.0);

    /* Host statistics come from the same tick. */
    Samples host = {vireo_connection_get_host_stats(connection), 2};
    g_assert_true(vt_wait_until(has_samples, &host, 30));

    /* Interval 0 stops polling. */
    vireo_connection_set_stats_interval(connection, 0);
    vt_spin(100);
    guint frozen = alpha_updates;
    vt_spin(300);
    g_assert_cmpuint(alpha_updates, ==, frozen);

    /* Stopping a VM clears its history; starting it begins a new one. */
    g_assert_true(vt_action(alpha, VIREO_DOMAIN_ACTION_FORCE_OFF, &error));
    g_assert_no_error(error);
    vt_wait_state(alpha, VIREO_DOMAIN_STATE_SHUTOFF);
    g_assert_cmpuint(vireo_stats_get_n_samples(vireo_domain_get_stats(alpha)), ==, 0);

    /* And it resumes at the new interval. */
    g_assert_true(vt_action(bravo, VIREO_DOMAIN_ACTION_START, &error));
    vt_wait_state(bravo, VIREO_DOMAIN_STATE_RUNNING);
    vireo_connection_set_stats_interval(connection, 30);
    Samples bravo_samples = {vireo_domain_get_stats(bravo), 2};
    g_assert_true(vt_wait_until(has_samples, &bravo_samples, 30));

    /* Closing stops polling and clears the host history. */
    vireo_connection_close(connection);
    g_assert_cmpuint(vireo_stats_get_n_samples(vireo_connection_get_host_stats(connection)), ==,
                     0);
    guint closed = bravo_updates;
    vt_spin(200);
    g_assert_cmpuint(bravo_updates, ==, closed);
    /* The domains may outlive this test (a task in flight holds them). */
    g_signal_handlers_disconnect_by_data(alpha, &alpha_updates);
    g_signal_handlers_disconnect_by_data(bravo, &bravo_updates);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    vireo_core_init();

    g_test_add_func("/core/stats/poll", test_poll);

    return g_test_run();
}
