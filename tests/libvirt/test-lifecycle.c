/* test-lifecycle.c: real QEMU guests' lifecycle through libvireo
 *
 * Run by tests/libvirt/harness.py (real libvirtd, sshd on loopback, the
 * Linux test guest).  Everything goes through VireoConnection and
 * VireoDomain, as the app does, locally (qemu:///system) and over
 * qemu+ssh://: define, start, pause, resume, reboot and shut down through
 * the ACPI power button (the guest's busybox acpid powers it off and says so
 * on its serial port), managed save and restore, force off, delete with
 * storage, and statistics from the bulk call.  The model changes only
 * through libvirt's events, so every wait on a state is a wait on an event.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <string.h>
#include <unistd.h>

#include "vireo-libvirt-test.h"

/* The guest's marks on ttyS0 (tools/make-linux-guest). */
#define GUEST_READY        "VIREO-GUEST-READY"
#define GUEST_POWER_BUTTON "VIREO-GUEST-POWER-BUTTON"

/* ---- the guest's serial log (virtlogd writes it; it restarts with QEMU) ---- */

static guint
count_in_file(const char *path, const char *needle)
{
    g_autofree char *text = NULL;
    guint n = 0;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

typedef struct {
    const char *path;
    const char *needle;
    guint count;
} LogWait;

static gboolean
log_reached(gpointer user_data)
{
    LogWait *wait = user_data;

    return count_in_file(wait->path, wait->needle) >= wait->count;
}

static gboolean
wake(gpointer user_data)
{
    return G_SOURCE_CONTINUE;
}

/* Iterates the main loop (events keep arriving) until @needle appears
 * @count times in the log at @path. */
static void
wait_for_log(const char *path, const char *needle, guint count)
{
    LogWait wait = {path, needle, count};
    guint ticker = g_timeout_add(100, wake, NULL);
    gboolean reached = vt_wait_until(log_reached, &wait, LT_BOOT_SECONDS);

    g_source_remove(ticker);
    if (!reached) {
        g_autofree char *text = NULL;
        g_file_get_contents(path, &text, NULL, NULL);
        g_error("“%s” appeared %u times instead of %u in the guest's serial log; it reads:\n%s",
                needle, count_in_file(path, needle), count, text ? text : "(nothing)");
    }
}

/* ---- the model ---- */

typedef struct {
    VireoConnection *connection;
    const char *name;
} DomainWait;

static gboolean
domain_listed(gpointer user_data)
{
    DomainWait *wait = user_data;

    return vireo_connection_lookup_domain_by_name(wait->connection, wait->name) != NULL;
}

static gboolean
domain_unlisted(gpointer user_data)
{
    return !domain_listed(user_data);
}

/* Waits until the connection's list shows (or no longer shows) @name. */
static VireoDomain *
wait_listed(VireoConnection *connection, const char *name, gboolean listed)
{
    DomainWait wait = {connection, name};

    if (!vt_wait_until(listed ? domain_listed : domain_unlisted, &wait, LT_IO_SECONDS))
        g_error("“%s” is %s the list of %s", name, listed ? "missing from" : "still in",
                vireo_connection_get_uri(connection));
    return vireo_connection_lookup_domain_by_name(connection, name);
}

static void
assert_state(VireoDomain *domain, VireoDomainState state, const char *reason)
{
    vt_wait_state(domain, state);
    g_test_message("%s: %s (%s)", vireo_domain_get_name(domain),
                   vireo_domain_state_to_string(vireo_domain_get_state(domain)),
                   vireo_domain_get_state_reason(domain));
    if (reason)
        g_assert_cmpstr(vireo_domain_get_state_reason(domain), ==, reason);
}

static void
act(VireoDomain *domain, VireoDomainAction action)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(vireo_domain_can_do(domain, action));
    g_assert_true(vt_action(domain, action, &error));
    g_assert_no_error(error);
}

/* ---- statistics ---- */

typedef struct {
    GArray *readings; /* VireoStatsCounters, one per "stats-updated" */
    double max_cpu;
} StatsLog;

static void
on_stats_updated(VireoDomain *domain, StatsLog *log)
{
    VireoStatsCounters counters;
    VireoStats *stats = vireo_domain_get_stats(domain);

    g_assert_true(vireo_stats_get_last_counters(stats, &counters));
    g_array_append_val(log->readings, counters);
    log->max_cpu = MAX(log->max_cpu, vireo_stats_get_latest(stats, VIREO_STAT_CPU));
}

static gboolean
enough_readings(gpointer user_data)
{
    return ((StatsLog *)user_data)->readings->len >= 4;
}

/* The readings of one running guest: one bulk call a tick fed them, the CPU
 * time grows, rates are percentages, the memory is what it was given. */
static void
check_stats(VireoDomain *domain, StatsLog *log)
{
    VireoStats *stats = vireo_domain_get_stats(domain);

    g_assert_true(vt_wait_until(enough_readings, log, LT_IO_SECONDS));
    for (guint i = 1; i < log->readings->len; i++) {
        VireoStatsCounters *a = &g_array_index(log->readings, VireoStatsCounters, i - 1);
        VireoStatsCounters *b = &g_array_index(log->readings, VireoStatsCounters, i);
        g_assert_cmpint(b->timestamp_us, >, a->timestamp_us);
        g_assert_cmpuint(b->cpu_time_ns, >=, a->cpu_time_ns);
    }
    VireoStatsCounters *first = &g_array_index(log->readings, VireoStatsCounters, 0);
    VireoStatsCounters *last =
        &g_array_index(log->readings, VireoStatsCounters, log->readings->len - 1);
    g_test_message("stats: %u readings, CPU time %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT
                   " ns, peak %.1f%%, memory %" G_GUINT64_FORMAT " KiB",
                   log->readings->len, first->cpu_time_ns, last->cpu_time_ns, log->max_cpu,
                   last->memory_kib);
    /* A guest that boots under TCG uses CPU time. */
    g_assert_cmpuint(last->cpu_time_ns, >, first->cpu_time_ns);
    g_assert_cmpfloat(log->max_cpu, >, 0.0);
    g_assert_cmpuint(last->vcpus, ==, 1);
    g_assert_cmpuint(last->memory_kib, >, 0);
    g_assert_cmpuint(last->memory_kib, <=, 192 * 1024);
    /* The first reading only primes the deltas. */
    g_assert_cmpuint(vireo_stats_get_n_samples(stats), >=, log->readings->len - 1);
    for (guint i = 0; i < vireo_stats_get_n_samples(stats); i++) {
        double cpu = vireo_stats_get_value(stats, VIREO_STAT_CPU, i);
        g_assert_cmpfloat(cpu, >=, 0.0);
        g_assert_cmpfloat(cpu, <=, 100.0);
    }
}

/* ---- the serial port, to prove a restored guest runs on ---- */

static int
open_serial(VireoDomain *domain)
{
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    vireo_domain_open_serial_async(domain, NULL, vt_store_result, &result);
    vt_await_result(&result, LT_IO_SECONDS);
    int fd = vireo_domain_open_serial_finish(domain, result, &error);
    g_assert_no_error(error);
    g_assert_cmpint(fd, >=, 0);
    return fd;
}

/* Asks the shell on ttyS0 for arithmetic until its answer shows up in the
 * log (the answer differs from what is typed, so an echo does not count). */
static void
wait_for_shell(VireoDomain *domain, const char *log_path)
{
    static const char question[] = "echo VIREO-ALIVE-$((6*7))\n";
    int fd = open_serial(domain);
    gint64 deadline = g_get_monotonic_time() + LT_BOOT_SECONDS * G_USEC_PER_SEC;

    while (count_in_file(log_path, "VIREO-ALIVE-42") == 0) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_assert_cmpint(write(fd, question, strlen(question)), ==, (ssize_t)strlen(question));
        vt_spin(2000);
    }
    close(fd);
}

/* ---- tests ---- */

static char *
guest_xml(const char *name, const char *log_path)
{
    g_autofree char *os = lt_guest_os();

    return g_strdup_printf(
        "<domain type='qemu'><name>%s</name><title>Vireo lifecycle test</title>"
        "<memory unit='MiB'>192</memory><vcpu>1</vcpu>"
        "<os><type arch='x86_64' machine='pc'>hvm</type>%s</os>"
        "<features><acpi/><apic/></features>"
        "<on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot>"
        "<devices><serial type='pty'><log file='%s' append='off'/></serial></devices>"
        "</domain>",
        name, os, log_path);
}

/* One guest's whole life through libvireo on the connection named by the
 * harness variable @data. */
static void
test_lifecycle(gconstpointer data)
{
    const char *uri_var = data;
    gboolean ssh = g_str_equal(uri_var, "VIREO_TEST_SSH_URI");

    if (!lt_have_harness())
        return;
    guint logins_before = ssh ? lt_ssh_logins() : 0;
    g_autoptr(VireoConnection) connection = vt_connect(lt_env(uri_var));
    vireo_connection_set_stats_interval(connection, 300);

    g_autofree char *name = lt_name(ssh ? "life-ssh" : "life");
    g_autofree char *log_name = g_strconcat(name, ".log", NULL);
    g_autofree char *log_path = g_build_filename(lt_env("VIREO_TEST_TMPDIR"), log_name, NULL);
    g_autofree char *xml = guest_xml(name, log_path);

    /* Define: the model lists it, shut off, with its definition. */
    g_autoptr(VireoDomain) domain = lt_define(connection, xml);
    g_assert_true(wait_listed(connection, name, TRUE) == domain);
    g_assert_cmpint(vireo_domain_get_state(domain), ==, VIREO_DOMAIN_STATE_SHUTOFF);
    g_assert_cmpstr(vireo_domain_get_title(domain), ==, "Vireo lifecycle test");
    g_assert_cmpuint(vireo_domain_get_vcpus(domain), ==, 1);
    g_assert_cmpuint(vireo_domain_get_max_memory(domain), ==, 192 * 1024);
    g_assert_true(vireo_domain_get_persistent(domain));

    /* Start, and watch the statistics while it boots. */
    StatsLog stats = {g_array_new(FALSE, TRUE, sizeof(VireoStatsCounters)), 0.0};
    gulong stats_id = g_signal_connect(domain, "stats-updated", G_CALLBACK(on_stats_updated),
                                       &stats);
    act(domain, VIREO_DOMAIN_ACTION_START);
    assert_state(domain, VIREO_DOMAIN_STATE_RUNNING, "booted");
    check_stats(domain, &stats);
    wait_for_log(log_path, GUEST_READY, 1);

    /* Pause and resume. */
    act(domain, VIREO_DOMAIN_ACTION_PAUSE);
    assert_state(domain, VIREO_DOMAIN_STATE_PAUSED, "paused by the user");
    g_assert_false(vireo_domain_can_do(domain, VIREO_DOMAIN_ACTION_PAUSE));
    act(domain, VIREO_DOMAIN_ACTION_RESUME);
    assert_state(domain, VIREO_DOMAIN_STATE_RUNNING, "resumed");

    /* Reboot through the power button: the guest powers off, libvirt
     * resets it, and it boots again in the same QEMU. */
    act(domain, VIREO_DOMAIN_ACTION_REBOOT);
    wait_for_log(log_path, GUEST_POWER_BUTTON, 1);
    wait_for_log(log_path, GUEST_READY, 2);
    assert_state(domain, VIREO_DOMAIN_STATE_RUNNING, NULL);

    /* Shut down through the power button. */
    act(domain, VIREO_DOMAIN_ACTION_SHUTDOWN);
    assert_state(domain, VIREO_DOMAIN_STATE_SHUTOFF, "shut down by the guest");
    g_assert_cmpuint(count_in_file(log_path, GUEST_POWER_BUTTON), ==, 2);
    g_assert_false(vireo_domain_is_active(domain));
    g_assert_cmpuint(vireo_stats_get_n_samples(vireo_domain_get_stats(domain)), ==, 0);

    /* Managed save, then the next start restores the running guest (it
     * answers on its serial port without booting again). */
    act(domain, VIREO_DOMAIN_ACTION_START);
    assert_state(domain, VIREO_DOMAIN_STATE_RUNNING, "booted");
    wait_for_log(log_path, GUEST_READY, 1);
    act(domain, VIREO_DOMAIN_ACTION_SAVE);
    assert_state(domain, VIREO_DOMAIN_STATE_SHUTOFF, "saved");
    g_assert_true(vireo_domain_get_has_managed_save(domain));
    act(domain, VIREO_DOMAIN_ACTION_START);
    assert_state(domain, VIREO_DOMAIN_STATE_RUNNING, "restored from a saved state");
    g_assert_false(vireo_domain_get_has_managed_save(domain));
    wait_for_shell(domain, log_path);
    g_assert_cmpuint(count_in_file(log_path, GUEST_READY), ==, 0);

    /* Force off. */
    act(domain, VIREO_DOMAIN_ACTION_FORCE_OFF);
    assert_state(domain, VIREO_DOMAIN_STATE_SHUTOFF, "forced off");
    g_assert_false(vireo_domain_can_do(domain, VIREO_DOMAIN_ACTION_SHUTDOWN));

    /* Delete: the undefine event takes it off the list. */
    g_signal_handler_disconnect(domain, stats_id);
    g_array_unref(stats.readings);
    lt_delete(domain, VIREO_DOMAIN_DELETE_NONE);
    wait_listed(connection, name, FALSE);

    if (ssh) {
        guint logins_after = lt_ssh_logins();
        g_test_message("ssh logins: %u before, %u after", logins_before, logins_after);
        g_assert_cmpuint(logins_after, ==, logins_before + 1);
    }
    vireo_connection_close(connection);
}

/* Changes made behind libvireo's back (another client of the same daemon)
 * reach the model through events: a VM defined, started, stopped and
 * undefined elsewhere appears, changes state and goes. */
static void
test_foreign_changes(gconstpointer data)
{
    const char *uri_var = data;

    if (!lt_have_harness())
        return;
    g_autoptr(VireoConnection) connection = vt_connect(lt_env(uri_var));
    virConnectPtr other = virConnectOpen(lt_env("VIREO_TEST_LIBVIRT_URI"));
    g_assert_nonnull(other);

    g_autofree char *name =
        lt_name(g_str_equal(uri_var, "VIREO_TEST_SSH_URI") ? "foreign-ssh" : "foreign");
    g_autofree char *xml = lt_bare_vm_xml(name, NULL);
    virDomainPtr handle = virDomainDefineXML(other, xml);
    g_assert_nonnull(handle);
    VireoDomain *domain = wait_listed(connection, name, TRUE);
    assert_state(domain, VIREO_DOMAIN_STATE_SHUTOFF, NULL);

    g_assert_cmpint(virDomainCreate(handle), ==, 0);
    assert_state(domain, VIREO_DOMAIN_STATE_RUNNING, "booted");
    g_assert_cmpint(virDomainSuspend(handle), ==, 0);
    assert_state(domain, VIREO_DOMAIN_STATE_PAUSED, "paused by the user");
    g_assert_cmpint(virDomainDestroy(handle), ==, 0);
    assert_state(domain, VIREO_DOMAIN_STATE_SHUTOFF, "forced off");

    g_assert_cmpint(virDomainUndefine(handle), ==, 0);
    wait_listed(connection, name, FALSE);
    virDomainFree(handle);
    virConnectClose(other);
    vireo_connection_close(connection);
}

/* Deleting with storage removes the VM's writable disks: a pool's volume
 * always; a plain file outside every pool only on a local connection (a
 * remote host's files are out of reach); never a read-only CD-ROM image. */
static void
test_delete_storage(gconstpointer data)
{
    const char *uri_var = data;
    gboolean ssh = g_str_equal(uri_var, "VIREO_TEST_SSH_URI");
    const char *tmpdir = lt_env("VIREO_TEST_TMPDIR");

    if (!lt_have_harness())
        return;
    g_autofree char *name = lt_name(ssh ? "storage-ssh" : "storage");
    g_autofree char *pool_name = g_strconcat(name, "-pool", NULL);
    g_autofree char *pool_dir = g_build_filename(tmpdir, pool_name, NULL);
    g_autofree char *plain = g_strdup_printf("%s/%s-plain.img", tmpdir, name);
    g_autofree char *iso = g_strdup_printf("%s/%s-installer.iso", tmpdir, name);
    g_assert_cmpint(g_mkdir(pool_dir, 0755), ==, 0);
    g_assert_true(g_file_set_contents(plain, "", 0, NULL));
    g_assert_cmpint(truncate(plain, 1 << 20), ==, 0);
    g_assert_true(g_file_set_contents(iso, "", 0, NULL));
    g_assert_cmpint(truncate(iso, 1 << 20), ==, 0);

    /* The pool and its volume, made with libvirt itself. */
    virConnectPtr direct = virConnectOpen(lt_env("VIREO_TEST_LIBVIRT_URI"));
    g_assert_nonnull(direct);
    g_autofree char *pool_xml = g_strdup_printf(
        "<pool type='dir'><name>%s</name><target><path>%s</path></target></pool>", pool_name,
        pool_dir);
    virStoragePoolPtr pool = virStoragePoolCreateXML(direct, pool_xml, 0);
    g_assert_nonnull(pool);
    virStorageVolPtr volume = virStorageVolCreateXML(
        pool,
        "<volume><name>disk.img</name><capacity unit='MiB'>1</capacity>"
        "<target><format type='raw'/></target></volume>",
        0);
    g_assert_nonnull(volume);
    g_autofree char *volume_path = virStorageVolGetPath(volume);
    virStorageVolFree(volume);

    g_autoptr(VireoConnection) connection = vt_connect(lt_env(uri_var));
    g_autofree char *disks = g_strdup_printf(
        "<disk type='volume' device='disk'><driver name='qemu' type='raw'/>"
        "<source pool='%s' volume='disk.img'/><target dev='vda' bus='virtio'/></disk>"
        "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
        "<source file='%s'/><target dev='vdb' bus='virtio'/></disk>"
        "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
        "<source file='%s'/><target dev='hdc' bus='ide'/><readonly/></disk>",
        pool_name, plain, iso);
    g_autofree char *xml = lt_bare_vm_xml(name, disks);
    g_autoptr(VireoDomain) domain = lt_define(connection, xml);
    /* A running VM is stopped by the delete. */
    act(domain, VIREO_DOMAIN_ACTION_START);
    assert_state(domain, VIREO_DOMAIN_STATE_RUNNING, "booted");

    /* What the confirmation names. */
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;
    vireo_domain_list_storage_async(domain, NULL, vt_store_result, &result);
    vt_await_result(&result, LT_IO_SECONDS);
    g_auto(GStrv) paths = vireo_domain_list_storage_finish(domain, result, &error);
    g_assert_no_error(error);
    g_autofree char *listed = g_strjoinv(", ", paths);
    g_test_message("storage of %s: %s", name, listed);
    g_assert_true(g_strv_contains((const char *const *)paths, volume_path));
    g_assert_true(g_strv_contains((const char *const *)paths, plain) == !ssh);
    g_assert_false(g_strv_contains((const char *const *)paths, iso));
    g_assert_cmpuint(g_strv_length(paths), ==, ssh ? 1 : 2);

    lt_delete(domain, VIREO_DOMAIN_DELETE_STORAGE);
    wait_listed(connection, name, FALSE);

    g_assert_false(g_file_test(volume_path, G_FILE_TEST_EXISTS));
    g_assert_null(virStorageVolLookupByName(pool, "disk.img"));
    g_assert_true(g_file_test(plain, G_FILE_TEST_EXISTS) == ssh);
    g_assert_true(g_file_test(iso, G_FILE_TEST_EXISTS));
    virResetLastError();

    virStoragePoolDestroy(pool);
    virStoragePoolFree(pool);
    virConnectClose(direct);
    vireo_connection_close(connection);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    /* Also keeps libvirt from printing the errors the test expects. */
    vireo_core_init();

    g_test_add_data_func("/libvirt/lifecycle/local", "VIREO_TEST_LIBVIRT_URI", test_lifecycle);
    g_test_add_data_func("/libvirt/lifecycle/ssh", "VIREO_TEST_SSH_URI", test_lifecycle);
    g_test_add_data_func("/libvirt/lifecycle/foreign-changes", "VIREO_TEST_LIBVIRT_URI",
                         test_foreign_changes);
    g_test_add_data_func("/libvirt/lifecycle/foreign-changes-ssh", "VIREO_TEST_SSH_URI",
                         test_foreign_changes);
    g_test_add_data_func("/libvirt/lifecycle/delete-storage", "VIREO_TEST_LIBVIRT_URI",
                         test_delete_storage);
    g_test_add_data_func("/libvirt/lifecycle/delete-storage-ssh", "VIREO_TEST_SSH_URI",
                         test_delete_storage);
    return g_test_run();
}
