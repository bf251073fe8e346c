/* test-embedded.c: vireo:///session through libvireo, on real vireo-vmm
 *
 * Every test has its own XDG directories (G_TEST_OPTION_ISOLATE_DIRS), so
 * its definitions, logs and runtime folders are its own; VMs are the test
 * guests under /dev/kvm.  States are waited for as the model reports them
 * (signals), never polled from the test.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vireo-embedded-connection.h"
#include "vireo-embedded-domain.h"
#include "vireo-test-util.h"

#define URI "vireo:///session"
#define WAIT_S 60

static char *
guest(const char *name)
{
    g_autofree char *file = g_strconcat(name, ".elf", NULL);
    return g_build_filename(g_getenv("VIREO_TEST_GUESTS"), file, NULL);
}

/* A definition of the test guest @name, as the VM @vm. */
static char *
guest_xml(const char *vm, const char *name, const char *cmdline, const char *extra)
{
    g_autofree char *kernel = guest(name);
    return g_strdup_printf("<domain type='kvm'>\n"
                           "  <name>%s</name>\n"
                           "  <memory unit='MiB'>16</memory>\n"
                           "  <os><type arch='x86_64'>hvm</type><kernel>%s</kernel>"
                           "<cmdline>%s</cmdline></os>\n"
                           "  <features><acpi/></features>\n"
                           "  <devices><serial type='pty'/></devices>\n"
                           "%s"
                           "</domain>\n",
                           vm, kernel, cmdline ? cmdline : "", extra ? extra : "");
}

/* Skips (and says why) where KVM cannot run guests. */
static gboolean
have_kvm(VireoConnection *connection)
{
    VireoKvmStatus status =
        vireo_embedded_connection_get_kvm_status(VIREO_EMBEDDED_CONNECTION(connection));

    if (status == VIREO_KVM_OK || status == VIREO_KVM_SLOW)
        return TRUE;
    g_autofree char *why = g_strdup_printf(
        "KVM cannot run guests here: %s",
        vireo_embedded_connection_get_kvm_message(VIREO_EMBEDDED_CONNECTION(connection)));
    g_test_skip(why);
    return FALSE;
}

static VireoDomain *
define(VireoConnection *connection, const char *xml, GError **error)
{
    g_autoptr(GAsyncResult) result = NULL;

    vireo_connection_define_xml_async(connection, xml, NULL, vt_store_result, &result);
    vt_await_result(&result, WAIT_S);
    return vireo_connection_define_xml_finish(connection, result, error);
}

static VireoDomain *
define_ok(VireoConnection *connection, const char *xml)
{
    g_autoptr(GError) error = NULL;
    VireoDomain *domain = define(connection, xml, &error);

    g_assert_no_error(error);
    g_assert_nonnull(domain);
    g_object_unref(domain); /* the connection holds it */
    return domain;
}

static void
act_ok(VireoDomain *domain, VireoDomainAction action)
{
    g_autoptr(GError) error = NULL;

    if (!vt_action(domain, action, &error))
        g_error("%s: %s", vireo_domain_get_name(domain), error->message);
}

static gboolean
delete(VireoDomain *domain, GError **error)
{
    g_autoptr(GAsyncResult) result = NULL;

    vireo_domain_delete_async(domain, VIREO_DOMAIN_DELETE_NONE, NULL, vt_store_result, &result);
    vt_await_result(&result, WAIT_S);
    return vireo_domain_delete_finish(domain, result, error);
}

static char *
get_xml(VireoDomain *domain, gboolean inactive)
{
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    vireo_domain_get_xml_async(domain, inactive, NULL, vt_store_result, &result);
    vt_await_result(&result, WAIT_S);
    char *xml = vireo_domain_get_xml_finish(domain, result, &error);
    g_assert_no_error(error);
    return xml;
}

static int
open_serial(VireoDomain *domain)
{
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    vireo_domain_open_serial_async(domain, NULL, vt_store_result, &result);
    vt_await_result(&result, WAIT_S);
    int fd = vireo_domain_open_serial_finish(domain, result, &error);
    g_assert_no_error(error);
    g_assert_cmpint(fd, >=, 0);
    return fd;
}

/* Reads @fd into @seen until it holds @needle; FALSE after @msec. */
static gboolean
read_until(int fd, GString *seen, const char *needle, guint msec)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)msec * 1000;

    while (!strstr(seen->str, needle)) {
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        char buffer[512];

        if (left <= 0)
            return FALSE;
        if (poll(&p, 1, (int)MIN(left, 200)) <= 0)
            continue;
        ssize_t n = read(fd, buffer, sizeof(buffer));
        if (n <= 0)
            return FALSE;
        g_string_append_len(seen, buffer, n);
    }
    return TRUE;
}

static void
expect_serial(int fd, GString *seen, const char *needle)
{
    if (!read_until(fd, seen, needle, WAIT_S * 1000))
        g_error("the serial console never said “%s”; it said:\n%s", needle, seen->str);
}

/* expect_serial(), then forget what came up to the end of @needle */
static void
expect_serial_past(int fd, GString *seen, const char *needle)
{
    expect_serial(fd, seen, needle);
    g_string_erase(seen, 0, strstr(seen->str, needle) - seen->str + strlen(needle));
}

static void
send(int fd, const char *text)
{
    g_assert_cmpint(write(fd, text, strlen(text)), ==, (gssize)strlen(text));
}

static char *
run_dir(const char *vm)
{
    return g_build_filename(g_get_user_runtime_dir(), "vireo", vm, NULL);
}

static char *
definition_file(const char *vm)
{
    g_autofree char *file = g_strconcat(vm, ".xml", NULL);
    return g_build_filename(g_get_user_config_dir(), "vireo", "vms", file, NULL);
}

/* Forces off whatever still runs, so that no VMM outlives its test. */
static void
stop_all(VireoConnection *connection)
{
    GListModel *domains = vireo_connection_get_domains(connection);

    for (guint i = 0; i < g_list_model_get_n_items(domains); i++) {
        g_autoptr(VireoDomain) domain = g_list_model_get_item(domains, i);
        if (vireo_domain_is_active(domain))
            act_ok(domain, VIREO_DOMAIN_ACTION_FORCE_OFF);
    }
}

static gboolean
process_alive(GPid pid)
{
    return pid > 0 && kill(pid, 0) == 0;
}

/* ------------------------------------------------------------------------- */

/* define, start, serial console, pause/resume, ACPI shutdown, force off,
 * undefine: the whole life of a VM */
static void
test_lifecycle(void)
{
    g_autoptr(VireoConnection) connection = vt_connect(URI);
    g_autofree char *xml = guest_xml("tc", "testcard", NULL, NULL);
    g_autoptr(GString) seen = g_string_new(NULL);

    if (!have_kvm(connection))
        return;
    VireoDomain *domain = define_ok(connection, xml);
    g_assert_true(vireo_domain_get_persistent(domain));
    g_assert_cmpint(vireo_domain_get_state(domain), ==, VIREO_DOMAIN_STATE_SHUTOFF);
    g_assert_cmpuint(vireo_domain_get_memory(domain), ==, 16384);
    g_autofree char *file = definition_file("tc");
    g_assert_true(g_file_test(file, G_FILE_TEST_IS_REGULAR));

    act_ok(domain, VIREO_DOMAIN_ACTION_START);
    vt_wait_state(domain, VIREO_DOMAIN_STATE_RUNNING);
    GPid pid = vireo_embedded_domain_get_pid(VIREO_EMBEDDED_DOMAIN(domain));
    g_assert_true(process_alive(pid));

    /* the runtime folder and its sockets are the user's alone */
    g_autofree char *dir = run_dir("tc");
    g_autofree char *control = g_build_filename(dir, "control.sock", NULL);
    GStatBuf st;
    g_assert_cmpint(g_stat(dir, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0700);
    g_assert_cmpint(g_stat(control, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0077, ==, 0);

    /* the console shows the boot (kept while nobody listened) and echoes */
    int fd = open_serial(domain);
    expect_serial(fd, seen, "testcard ready");
    send(fd, "abc\r");
    expect_serial(fd, seen, "abc\r\n");

    /* vireo-vmm cannot save a VM's state: not offered, and refused clearly */
    g_assert_false(vireo_domain_can_do(domain, VIREO_DOMAIN_ACTION_SAVE));
    g_autoptr(GError) save_error = NULL;
    g_assert_false(vt_action(domain, VIREO_DOMAIN_ACTION_SAVE, &save_error));
    g_assert_error(save_error, VIREO_ERROR, VIREO_ERROR_NOT_SUPPORTED);
    g_assert_nonnull(strstr(save_error->message, "Shut it down instead"));

    act_ok(domain, VIREO_DOMAIN_ACTION_PAUSE);
    vt_wait_state(domain, VIREO_DOMAIN_STATE_PAUSED);
    g_assert_cmpstr(vireo_domain_get_state_reason(domain), ==, "paused by the user");
    send(fd, "p");
    /* a paused guest does not answer */
    g_assert_false(read_until(fd, seen, "abc\r\np", 500));
    act_ok(domain, VIREO_DOMAIN_ACTION_RESUME);
    vt_wait_state(domain, VIREO_DOMAIN_STATE_RUNNING);
    g_assert_cmpstr(vireo_domain_get_state_reason(domain), ==, "resumed");
    expect_serial(fd, seen, "abc\r\np");

    /* reboot is clean: the guest shuts down through ACPI and boots again
     * in the same vireo-vmm, its console still open */
    act_ok(domain, VIREO_DOMAIN_ACTION_REBOOT);
    expect_serial_past(fd, seen, "power button pressed");
    expect_serial_past(fd, seen, "testcard ready");
    vt_wait_state(domain, VIREO_DOMAIN_STATE_RUNNING);
    g_assert_cmpint(vireo_embedded_domain_get_pid(VIREO_EMBEDDED_DOMAIN(domain)), ==, pid);
    g_assert_true(process_alive(pid));

    /* ACPI: the guest powers itself off */
    act_ok(domain, VIREO_DOMAIN_ACTION_SHUTDOWN);
    vt_wait_state(domain, VIREO_DOMAIN_STATE_SHUTOFF);
    g_assert_cmpstr(vireo_domain_get_state_reason(domain), ==, "shut down");
    expect_serial(fd, seen, "power button pressed");
    close(fd);
    g_assert_false(process_alive(pid));
    g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));

    act_ok(domain, VIREO_DOMAIN_ACTION_START);
    vt_wait_state(domain, VIREO_DOMAIN_STATE_RUNNING);
    pid = vireo_embedded_domain_get_pid(VIREO_EMBEDDED_DOMAIN(domain));
    act_ok(domain, VIREO_DOMAIN_ACTION_FORCE_OFF);
    /* force off returns once the VM is gone */
    g_assert_cmpint(vireo_domain_get_state(domain), ==, VIREO_DOMAIN_STATE_SHUTOFF);
    g_assert_cmpstr(vireo_domain_get_state_reason(domain), ==, "forced off");
    g_assert_false(process_alive(pid));

    g_autoptr(GError) error = NULL;
    g_object_ref(domain);
    g_assert_true(delete(domain, &error));
    g_assert_no_error(error);
    g_assert_null(vireo_connection_lookup_domain_by_name(connection, "tc"));
    g_assert_false(g_file_test(file, G_FILE_TEST_EXISTS));
    g_object_unref(domain);
    vireo_connection_close(connection);
}

/* The app quits and comes back: the VM ran on and is found again. */
static void
test_reconnect(void)
{
    g_autoptr(VireoConnection) first = vt_connect(URI);
    g_autofree char *xml = guest_xml("tc", "testcard", NULL, NULL);
    g_autoptr(GString) seen = g_string_new(NULL);

    if (!have_kvm(first))
        return;
    VireoDomain *domain = define_ok(first, xml);
    act_ok(domain, VIREO_DOMAIN_ACTION_START);
    vt_wait_state(domain, VIREO_DOMAIN_STATE_RUNNING);
    GPid pid = vireo_embedded_domain_get_pid(VIREO_EMBEDDED_DOMAIN(domain));
    vireo_connection_close(first);
    g_clear_object(&first);
    g_assert_true(process_alive(pid));

    g_autoptr(VireoConnection) second = vt_connect(URI);
    VireoDomain *again = vireo_connection_lookup_domain_by_name(second, "tc");
    g_assert_nonnull(again);
    g_assert_cmpint(vireo_domain_get_state(again), ==, VIREO_DOMAIN_STATE_RUNNING);
    g_assert_cmpint(vireo_embedded_domain_get_pid(VIREO_EMBEDDED_DOMAIN(again)), ==, pid);
    int fd = open_serial(again);
    expect_serial(fd, seen, "testcard ready");
    send(fd, "back\r");
    expect_serial(fd, seen, "back\r\n");
    close(fd);

    /* lifecycle through the found-again VMM */
    act_ok(again, VIREO_DOMAIN_ACTION_PAUSE);
    vt_wait_state(again, VIREO_DOMAIN_STATE_PAUSED);
    act_ok(again, VIREO_DOMAIN_ACTION_RESUME);
    vt_wait_state(again, VIREO_DOMAIN_STATE_RUNNING);
    act_ok(again, VIREO_DOMAIN_ACTION_SHUTDOWN);
    vt_wait_state(again, VIREO_DOMAIN_STATE_SHUTOFF);
    g_assert_false(process_alive(pid));
    vireo_connection_close(second);
}

static gboolean
log_says(VireoDomain *domain, const char *needle)
{
    g_autofree char *log = NULL;
    const char *path = vireo_embedded_domain_get_log_path(VIREO_EMBEDDED_DOMAIN(domain));

    return g_file_get_contents(path, &log, NULL, NULL) && strstr(log, needle);
}

/* A VMM killed with SIGKILL: crashed, with its log, whoever watches. */
static void
test_sigkill(void)
{
    g_autoptr(VireoConnection) connection = vt_connect(URI);
    g_autofree char *xml = guest_xml("tc", "testcard", NULL, NULL);

    if (!have_kvm(connection))
        return;
    VireoDomain *domain = define_ok(connection, xml);

    /* 1. started by this process */
    act_ok(domain, VIREO_DOMAIN_ACTION_START);
    vt_wait_state(domain, VIREO_DOMAIN_STATE_RUNNING);
    GPid pid = vireo_embedded_domain_get_pid(VIREO_EMBEDDED_DOMAIN(domain));
    g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
    vt_wait_state(domain, VIREO_DOMAIN_STATE_CRASHED);
    const char *reason = vireo_domain_get_state_reason(domain);
    g_assert_nonnull(strstr(reason, "signal 9"));
    g_assert_nonnull(strstr(reason, vireo_embedded_domain_get_log_path(
                                        VIREO_EMBEDDED_DOMAIN(domain))));
    g_assert_true(log_says(domain, "starting “tc”"));
    g_assert_true(log_says(domain, "killed by signal 9"));
    g_assert_true(vireo_domain_can_do(domain, VIREO_DOMAIN_ACTION_START));
    g_assert_true(vireo_domain_can_do(domain, VIREO_DOMAIN_ACTION_FORCE_OFF));

    /* the crash is remembered by a new connection (the app restarted) */
    g_autoptr(VireoConnection) other = vt_connect(URI);
    VireoDomain *seen = vireo_connection_lookup_domain_by_name(other, "tc");
    g_assert_cmpint(vireo_domain_get_state(seen), ==, VIREO_DOMAIN_STATE_CRASHED);
    g_assert_nonnull(strstr(vireo_domain_get_state_reason(seen), "signal 9"));
    vireo_connection_close(other);

    /* a crashed VM starts again */
    act_ok(domain, VIREO_DOMAIN_ACTION_START);
    vt_wait_state(domain, VIREO_DOMAIN_STATE_RUNNING);

    /* 2. found again by another connection, then killed: the pidfd tells */
    vireo_connection_close(connection);
    g_autoptr(VireoConnection) watcher = vt_connect(URI);
    VireoDomain *found = vireo_connection_lookup_domain_by_name(watcher, "tc");
    g_assert_cmpint(vireo_domain_get_state(found), ==, VIREO_DOMAIN_STATE_RUNNING);
    pid = vireo_embedded_domain_get_pid(VIREO_EMBEDDED_DOMAIN(found));
    g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
    vt_wait_state(found, VIREO_DOMAIN_STATE_CRASHED);
    g_assert_nonnull(strstr(vireo_domain_get_state_reason(found), "unexpectedly"));

    /* 3. killed while nobody watched */
    act_ok(found, VIREO_DOMAIN_ACTION_START);
    vt_wait_state(found, VIREO_DOMAIN_STATE_RUNNING);
    pid = vireo_embedded_domain_get_pid(VIREO_EMBEDDED_DOMAIN(found));
    vireo_connection_close(watcher);
    g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
    while (process_alive(pid))
        vt_spin(10); /* reaped by init: our child no more once closed */
    g_autoptr(VireoConnection) late = vt_connect(URI);
    VireoDomain *later = vireo_connection_lookup_domain_by_name(late, "tc");
    g_assert_cmpint(vireo_domain_get_state(later), ==, VIREO_DOMAIN_STATE_CRASHED);
    g_assert_nonnull(strstr(vireo_domain_get_state_reason(later), "log"));

    /* forcing off a crashed VM clears the crash */
    act_ok(later, VIREO_DOMAIN_ACTION_FORCE_OFF);
    g_assert_cmpint(vireo_domain_get_state(later), ==, VIREO_DOMAIN_STATE_SHUTOFF);
    g_autofree char *dir = run_dir("tc");
    g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
    vireo_connection_close(late);
}

/* Unknown XML survives define → dumpxml, here and after a reload. */
static void
test_roundtrip(void)
{
    g_autoptr(VireoConnection) connection = vt_connect(URI);
    static const char *const extra =
        "  <clock offset='utc'><timer name='rtc' tickpolicy='catchup'/></clock>\n"
        "  <metadata><app:info xmlns:app='http://example.org/app'>x</app:info></metadata>\n"
        "  <seclabel type='dynamic' model='selinux'/>\n";
    g_autofree char *xml = guest_xml("rt", "hello", "wait=1", extra);

    VireoDomain *domain = define_ok(connection, xml);
    g_autofree char *back = get_xml(domain, TRUE);
    g_assert_nonnull(strstr(back, "<timer name=\"rtc\" tickpolicy=\"catchup\"/>"));
    g_assert_nonnull(strstr(back, "<app:info xmlns:app=\"http://example.org/app\">x</app:info>"));
    g_assert_nonnull(strstr(back, "<seclabel type=\"dynamic\" model=\"selinux\"/>"));
    g_assert_nonnull(strstr(back, vireo_domain_get_uuid(domain)));

    /* defining what came back changes nothing */
    define_ok(connection, back);
    g_autofree char *twice = get_xml(domain, TRUE);
    g_assert_cmpstr(twice, ==, back);

    g_autoptr(VireoConnection) other = vt_connect(URI);
    VireoDomain *reloaded = vireo_connection_lookup_domain_by_name(other, "rt");
    g_autofree char *from_disk = get_xml(reloaded, TRUE);
    g_assert_cmpstr(from_disk, ==, back);

    /* and they are named to the user when the VM starts */
    if (have_kvm(connection)) {
        act_ok(domain, VIREO_DOMAIN_ACTION_START);
        const char *notice = vireo_domain_get_notice(domain);
        g_assert_nonnull(notice);
        g_assert_nonnull(strstr(notice, "<clock>"));
        g_assert_nonnull(strstr(notice, "<seclabel>"));
        g_assert_true(log_says(domain, "<seclabel>"));
        stop_all(connection);
    }
    vireo_connection_close(other);
    vireo_connection_close(connection);
}

static void
assert_nothing_created(const char *vm)
{
    g_autofree char *dir = run_dir(vm);
    g_autofree char *file = g_strconcat(vm, ".log", NULL);
    g_autofree char *log = g_build_filename(g_get_user_state_dir(), "vireo", file, NULL);

    g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(log, G_FILE_TEST_EXISTS));
}

static void
start_fails(VireoDomain *domain, gint code, const char *says)
{
    g_autoptr(GError) error = NULL;

    g_assert_false(vt_action(domain, VIREO_DOMAIN_ACTION_START, &error));
    g_assert_error(error, VIREO_ERROR, code);
    if (!strstr(error->message, says))
        g_error("start said “%s”, not “%s”", error->message, says);
    g_assert_false(vireo_domain_is_active(domain));
}

static void
test_bad_input(void)
{
    g_autoptr(VireoConnection) connection = vt_connect(URI);
    g_autoptr(GError) error = NULL;

    if (!have_kvm(connection))
        return;

    /* a device vireo-vmm cannot give: named, nothing made */
    g_autofree char *disk_xml = guest_xml(
        "disk", "hello", NULL,
        "  <devices><disk type='file' device='disk'><source file='/srv/data.img'/>"
        "</disk></devices>\n");
    /* (a second <devices> is refused: put the disk in the first) */
    g_autofree char *kernel = guest("hello");
    g_autofree char *disk_only = g_strdup_printf(
        "<domain><name>disk</name><memory unit='MiB'>16</memory><os><type>hvm</type>"
        "<kernel>%s</kernel></os><devices><serial type='pty'/><disk type='file' "
        "device='disk'><source file='/srv/data.img'/></disk></devices></domain>",
        kernel);
    g_assert_null(define(connection, disk_xml, &error));
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_XML);
    g_assert_nonnull(strstr(error->message, "more than one <devices>"));
    g_clear_error(&error);
    VireoDomain *disk = define_ok(connection, disk_only);
    start_fails(disk, VIREO_ERROR_NOT_SUPPORTED, "<disk type='file'> /srv/data.img");
    assert_nothing_created("disk");

    /* a kernel that is not there */
    g_autofree char *missing_xml = g_strdup_printf(
        "<domain><name>nok</name><memory unit='MiB'>16</memory><os><type>hvm</type>"
        "<kernel>/nonexistent/bzImage</kernel></os></domain>");
    VireoDomain *missing = define_ok(connection, missing_xml);
    start_fails(missing, VIREO_ERROR_NOT_FOUND, "/nonexistent/bzImage");
    assert_nothing_created("nok");

    /* no kernel at all */
    VireoDomain *none = define_ok(connection, "<domain><name>nokernel</name><memory>4096"
                                              "</memory><os><type>hvm</type></os></domain>");
    start_fails(none, VIREO_ERROR_INVALID_XML, "no kernel");
    assert_nothing_created("nokernel");

    /* a name that is taken (another UUID): refused, the old file untouched */
    g_autofree char *path = definition_file("disk");
    g_autofree char *before = NULL, *after = NULL;
    g_assert_true(g_file_get_contents(path, &before, NULL, NULL));
    g_assert_null(define(connection,
                         "<domain><name>disk</name><uuid>11111111-2222-4333-8444-555555555555"
                         "</uuid><memory>4096</memory></domain>",
                         &error));
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_XML);
    g_assert_nonnull(strstr(error->message, "“disk” already exists"));
    g_clear_error(&error);
    g_assert_true(g_file_get_contents(path, &after, NULL, NULL));
    g_assert_cmpstr(before, ==, after);

    /* started twice: by this connection, and by another process's */
    g_autofree char *twice_xml = guest_xml("twice", "hello", "wait=1", NULL);
    VireoDomain *twice = define_ok(connection, twice_xml);
    act_ok(twice, VIREO_DOMAIN_ACTION_START);
    GPid pid = vireo_embedded_domain_get_pid(VIREO_EMBEDDED_DOMAIN(twice));
    g_assert_false(vt_action(twice, VIREO_DOMAIN_ACTION_START, &error));
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_STATE);
    g_assert_nonnull(strstr(error->message, "“twice” is already running"));
    g_clear_error(&error);
    g_autoptr(VireoConnection) other = vt_connect(URI);
    VireoDomain *same = vireo_connection_lookup_domain_by_name(other, "twice");
    g_assert_false(vt_action(same, VIREO_DOMAIN_ACTION_START, &error));
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_STATE);
    g_clear_error(&error);
    g_assert_true(process_alive(pid));
    vireo_connection_close(other);
    stop_all(connection);

    /* a runtime folder that cannot be made */
    g_autofree char *runtime = g_build_filename(g_get_user_runtime_dir(), "vireo", NULL);
    g_autofree char *hello_xml = guest_xml("blocked", "hello", "wait=1", NULL);
    VireoDomain *blocked = define_ok(connection, hello_xml);
    g_autofree char *probe = g_build_filename(runtime, "vmm-probe", NULL);
    g_unlink(probe);
    g_assert_cmpint(g_rmdir(runtime), ==, 0);
    g_assert_true(g_file_set_contents(runtime, "in the way", -1, NULL));
    start_fails(blocked, VIREO_ERROR_FAILED, runtime);
    g_unlink(runtime);
    g_autofree char *log = g_build_filename(g_get_user_state_dir(), "vireo", "blocked.log",
                                            NULL);
    g_assert_false(g_file_test(log, G_FILE_TEST_EXISTS));
    /* once it can, it works */
    act_ok(blocked, VIREO_DOMAIN_ACTION_START);
    stop_all(connection);
    vireo_connection_close(connection);
}

/* Another process (vireoctl) defines and starts: the model follows. */
static gboolean
spawn_vireoctl(const char *const *args, char **out)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) error = NULL;
    int status = -1;

    g_ptr_array_add(argv, (gpointer)g_getenv("VIREOCTL"));
    for (guint i = 0; args[i]; i++)
        g_ptr_array_add(argv, (gpointer)args[i]);
    g_ptr_array_add(argv, NULL);
    /* the child runs while this main context turns: an async spawn */
    /* the test's own (isolated) directories, which GLib keeps to itself */
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
        G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_subprocess_launcher_setenv(launcher, "XDG_CONFIG_HOME", g_get_user_config_dir(), TRUE);
    g_subprocess_launcher_setenv(launcher, "XDG_STATE_HOME", g_get_user_state_dir(), TRUE);
    g_subprocess_launcher_setenv(launcher, "XDG_RUNTIME_DIR", g_get_user_runtime_dir(), TRUE);
    g_subprocess_launcher_setenv(launcher, "XDG_CACHE_HOME", g_get_user_cache_dir(), TRUE);
    g_autoptr(GSubprocess) child =
        g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, &error);
    g_assert_no_error(error);
    g_autoptr(GAsyncResult) result = NULL;
    g_autofree char *err = NULL;
    g_subprocess_communicate_utf8_async(child, NULL, NULL, vt_store_result, &result);
    vt_await_result(&result, WAIT_S);
    g_assert_true(g_subprocess_communicate_utf8_finish(child, result, out, &err, &error));
    status = g_subprocess_get_exit_status(child);
    if (status != 0)
        g_test_message("vireoctl %s: %s%s", args[0], *out, err);
    return status == 0;
}

static void
test_other_process(void)
{
    g_autoptr(VireoConnection) connection = vt_connect(URI);
    g_autofree char *xml = guest_xml("ext", "hello", "wait=1", NULL);
    g_autofree char *file = g_build_filename(g_get_user_cache_dir(), "ext.xml", NULL);
    g_autofree char *out = NULL;

    if (!have_kvm(connection))
        return;
    g_mkdir_with_parents(g_get_user_cache_dir(), 0700);
    g_assert_true(g_file_set_contents(file, xml, -1, NULL));
    const char *define_args[] = {"define", file, NULL};
    g_assert_true(spawn_vireoctl(define_args, &out));
    g_clear_pointer(&out, g_free);

    /* the definitions folder is watched: no reconnect, no polling */
    while (!vireo_connection_lookup_domain_by_name(connection, "ext"))
        g_main_context_iteration(NULL, TRUE);
    VireoDomain *domain = vireo_connection_lookup_domain_by_name(connection, "ext");
    g_assert_cmpint(vireo_domain_get_state(domain), ==, VIREO_DOMAIN_STATE_SHUTOFF);

    const char *start_args[] = {"start", "ext", NULL};
    g_assert_true(spawn_vireoctl(start_args, &out));
    g_assert_nonnull(strstr(out, "Domain 'ext' started"));
    g_clear_pointer(&out, g_free);
    vt_wait_state(domain, VIREO_DOMAIN_STATE_RUNNING);

    const char *destroy_args[] = {"destroy", "ext", NULL};
    g_assert_true(spawn_vireoctl(destroy_args, &out));
    g_clear_pointer(&out, g_free);
    vt_wait_state(domain, VIREO_DOMAIN_STATE_SHUTOFF);

    const char *undefine_args[] = {"undefine", "ext", NULL};
    g_assert_true(spawn_vireoctl(undefine_args, &out));
    while (vireo_connection_lookup_domain_by_name(connection, "ext"))
        g_main_context_iteration(NULL, TRUE);
    vireo_connection_close(connection);
}

typedef struct {
    VireoDomain *domain;
    guint want;
} SampleWait;

static gboolean
samples_reached(gpointer user_data)
{
    SampleWait *wait = user_data;
    return vireo_stats_get_n_samples(vireo_domain_get_stats(wait->domain)) >= wait->want;
}

/* GetStats feeds the same history the libvirt backend fills. */
static void
test_stats(void)
{
    g_autoptr(VireoConnection) connection = vt_connect(URI);
    g_autofree char *xml = guest_xml("st", "hello", "wait=1", NULL);

    if (!have_kvm(connection))
        return;
    VireoDomain *domain = define_ok(connection, xml);
    act_ok(domain, VIREO_DOMAIN_ACTION_START);
    vireo_connection_set_stats_interval(connection, 100);
    SampleWait wait = {domain, 3};
    g_assert_true(vt_wait_until(samples_reached, &wait, WAIT_S));
    VireoStats *stats = vireo_domain_get_stats(domain);
    VireoStatsCounters counters;
    g_assert_true(vireo_stats_get_last_counters(stats, &counters));
    g_assert_cmpuint(counters.vcpus, ==, 1);
    g_assert_cmpuint(counters.cpu_time_ns, >, 0);
    g_assert_cmpuint(counters.memory_kib, >, 0);
    double cpu = vireo_stats_get_latest(stats, VIREO_STAT_CPU);
    g_assert_cmpfloat(cpu, >=, 0.0);
    g_assert_cmpfloat(cpu, <=, 100.0);
    g_assert_cmpuint(vireo_stats_get_n_samples(vireo_connection_get_host_stats(connection)), >,
                     0);
    stop_all(connection);
    vireo_connection_close(connection);
}

/* Undefined while running: it runs on, transient, and goes when it stops. */
static void
test_transient(void)
{
    g_autoptr(VireoConnection) connection = vt_connect(URI);
    g_autofree char *xml = guest_xml("tr", "hello", "wait=1", NULL);
    g_autoptr(GError) error = NULL;

    if (!have_kvm(connection))
        return;
    VireoDomain *domain = define_ok(connection, xml);
    act_ok(domain, VIREO_DOMAIN_ACTION_START);
    g_object_ref(domain);
    g_assert_true(delete(domain, &error));
    g_assert_false(vireo_domain_get_persistent(domain));
    g_assert_true(vireo_connection_lookup_domain_by_name(connection, "tr") == domain);

    /* another connection finds it through its runtime folder */
    g_autoptr(VireoConnection) other = vt_connect(URI);
    VireoDomain *found = vireo_connection_lookup_domain_by_name(other, "tr");
    g_assert_nonnull(found);
    g_assert_false(vireo_domain_get_persistent(found));
    g_assert_cmpint(vireo_domain_get_state(found), ==, VIREO_DOMAIN_STATE_RUNNING);

    act_ok(domain, VIREO_DOMAIN_ACTION_FORCE_OFF);
    g_assert_null(vireo_connection_lookup_domain_by_name(connection, "tr"));
    while (vireo_connection_lookup_domain_by_name(other, "tr"))
        g_main_context_iteration(NULL, TRUE);
    g_object_unref(domain);
    vireo_connection_close(other);
    vireo_connection_close(connection);
}

/* A guest that ends by itself: shut off, with how it ended. */
static void
test_guest_exit(void)
{
    g_autoptr(VireoConnection) connection = vt_connect(URI);
    g_autofree char *xml = guest_xml("ex", "exitcode", "code=21", NULL);

    if (!have_kvm(connection))
        return;
    VireoDomain *domain = define_ok(connection, xml);
    act_ok(domain, VIREO_DOMAIN_ACTION_START);
    vt_wait_state(domain, VIREO_DOMAIN_STATE_SHUTOFF);
    g_assert_cmpstr(vireo_domain_get_state_reason(domain), ==,
                    "the guest ended with status 21");
    vireo_connection_close(connection);
}

/* The KVM check: measured at connect, and a clear start error without KVM. */
static char *
wrapper(const char *body)
{
    g_autofree char *dir = g_build_filename(g_get_user_cache_dir(), "bin", NULL);
    char *path = g_build_filename(dir, "vmm-wrapper", NULL);
    g_autofree char *script = g_strdup_printf("#!/bin/sh\n%s\n", body);

    g_mkdir_with_parents(dir, 0700);
    g_assert_true(g_file_set_contents(path, script, -1, NULL));
    g_chmod(path, 0755);
    return path;
}

static void
test_kvm_check(void)
{
    g_autoptr(VireoConnection) connection = vt_connect(URI);
    VireoEmbeddedConnection *embedded = VIREO_EMBEDDED_CONNECTION(connection);
    const char *vmm = g_getenv("VIREO_VMM");

    g_assert_cmpint(vireo_embedded_connection_get_kvm_status(embedded), !=, VIREO_KVM_UNKNOWN);
    g_assert_nonnull(vireo_embedded_connection_get_kvm_message(embedded));
    if (vireo_embedded_connection_get_kvm_status(embedded) == VIREO_KVM_SLOW) {
        /* measured, and said */
        g_assert_cmpfloat(vireo_embedded_connection_get_kvm_speed(embedded), >, 0);
        g_assert_nonnull(strstr(vireo_connection_get_warning(connection), "emulates"));
    }
    vireo_connection_close(connection);

    if (getuid() != 0) {
        g_test_message("not root: the missing and denied cases need root to set up");
        return;
    }
    /* vireo-vmm run as a user who may not use /dev/kvm, and with no /dev/kvm */
    struct {
        const char *before, *after;
        VireoKvmStatus status;
        const char *says;
    } cases[] = {
        {"exec setpriv --reuid=65534 --regid=65534 --clear-groups ", " \"$@\"",
         VIREO_KVM_DENIED, "kvm group"},
        {"exec unshare -m sh -c 'mount -t tmpfs none /dev && exec \"$0\" \"$@\"' ",
         " \"$@\"", VIREO_KVM_MISSING, "/dev/kvm does not exist"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *body = g_strconcat(cases[i].before, vmm, cases[i].after, NULL);
        g_autofree char *path = wrapper(body);
        g_setenv("VIREO_VMM", path, TRUE);
        g_autoptr(VireoConnection) without = vt_connect(URI);
        g_setenv("VIREO_VMM", vmm, TRUE);
        VireoEmbeddedConnection *e = VIREO_EMBEDDED_CONNECTION(without);

        g_assert_cmpint(vireo_embedded_connection_get_kvm_status(e), ==, cases[i].status);
        g_assert_nonnull(strstr(vireo_connection_get_warning(without), cases[i].says));

        /* starting says so too, and leaves nothing */
        g_autofree char *xml = guest_xml("nokvm", "hello", NULL, NULL);
        VireoDomain *domain = define_ok(without, xml);
        start_fails(domain, VIREO_ERROR_OPERATION_FAILED, "/dev/kvm");
        g_autofree char *dir = run_dir("nokvm");
        g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
        g_object_ref(domain);
        g_assert_true(delete(domain, NULL));
        g_object_unref(domain);
        vireo_connection_close(without);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/embedded/lifecycle", test_lifecycle);
    g_test_add_func("/embedded/reconnect", test_reconnect);
    g_test_add_func("/embedded/sigkill", test_sigkill);
    g_test_add_func("/embedded/roundtrip", test_roundtrip);
    g_test_add_func("/embedded/bad-input", test_bad_input);
    g_test_add_func("/embedded/other-process", test_other_process);
    g_test_add_func("/embedded/stats", test_stats);
    g_test_add_func("/embedded/transient", test_transient);
    g_test_add_func("/embedded/guest-exit", test_guest_exit);
    g_test_add_func("/embedded/kvm-check", test_kvm_check);
    return g_test_run();
}
