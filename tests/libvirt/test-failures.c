/* test-failures.c: what goes wrong with real daemons, and what libvireo says
 *
 * Run by tests/libvirt/harness.py (real libvirtd, sshd on loopback, the
 * Linux test guest).  Each case is one a user meets: an address libvirt
 * cannot use, a host that refuses, an SSH key the host refuses, the daemon
 * dying under an open connection, a VM whose kernel or disk is missing.
 * Each must end in a VIREO_ERROR whose message names what happened and what
 * to do, a connection state that says the same, and nothing lost: the other
 * connections, the VMs and their definitions survive.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "vireo-libvirt-test.h"

#define assert_contains(haystack, needle)                                                      \
    do {                                                                                       \
        const char *h_ = (haystack), *n_ = (needle);                                           \
        if (!h_ || !strstr(h_, n_))                                                            \
            g_error("“%s” does not contain “%s”", h_ ? h_ : "(null)", n_);                     \
    } while (0)

/* Opens @uri, which must fail with @code; returns the message, after
 * checking that the connection's state says the same. */
static char *
open_fails(const char *uri, VireoError code)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(VireoConnection) connection = vireo_connection_new_for_uri(uri, &error);

    g_assert_no_error(error);
    vireo_connection_open_async(connection, NULL, vt_store_result, &result);
    vt_await_result(&result, LT_IO_SECONDS);
    g_assert_false(vireo_connection_open_finish(connection, result, &error));
    g_test_message("%s: %s", uri, error->message);
    g_assert_error(error, VIREO_ERROR, (int)code);
    g_assert_cmpint(vireo_connection_get_state(connection), ==,
                    VIREO_CONNECTION_STATE_DISCONNECTED);
    g_assert_cmpstr(vireo_connection_get_error_message(connection), ==, error->message);
    g_assert_cmpuint(g_list_model_get_n_items(vireo_connection_get_domains(connection)), ==, 0);
    return g_strdup(error->message);
}

static char *
ssh_uri(const char *port, const char *key, const char *path)
{
    return g_strdup_printf("qemu+ssh://root@127.0.0.1:%s%s?keyfile=%s&command=%s", port, path,
                           key, lt_env("VIREO_TEST_SSH_COMMAND"));
}

/* Addresses the daemon (or libvirt) cannot use: the message quotes the
 * address and shows what a good one looks like. */
static void
test_invalid_uri(void)
{
    if (!lt_have_harness())
        return;

    g_autofree char *path = open_fails("qemu:///nonsense", VIREO_ERROR_INVALID_URI);
    assert_contains(path, "qemu:///nonsense");
    assert_contains(path, "qemu:///system");

    g_autofree char *remote_uri =
        ssh_uri(lt_env("VIREO_TEST_SSH_PORT"), lt_env("VIREO_TEST_SSH_KEY"), "/nonsense");
    g_autofree char *remote = open_fails(remote_uri, VIREO_ERROR_INVALID_URI);
    assert_contains(remote, "/nonsense");
    assert_contains(remote, "qemu+ssh://user@host/system");

    g_autofree char *driver = open_fails("bogus:///system", VIREO_ERROR_INVALID_URI);
    assert_contains(driver, "bogus:///system");

    /* Not even a URI: refused before any connection exists. */
    g_autoptr(GError) error = NULL;
    g_assert_null(vireo_connection_new_for_uri("not a uri", &error));
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_URI);
    g_test_message("not a uri: %s", error->message);
}

/* Hosts that refuse: a closed libvirt TCP port, a closed SSH port. */
static void
test_refused(void)
{
    if (!lt_have_harness())
        return;

    g_autofree char *tcp_uri = g_strdup_printf("qemu+tcp://127.0.0.1:%u/system", lt_free_port());
    g_autofree char *tcp = open_fails(tcp_uri, VIREO_ERROR_UNREACHABLE);
    assert_contains(tcp, "Connection refused");
    assert_contains(tcp, "connect again");

    g_autofree char *port = g_strdup_printf("%u", lt_free_port());
    g_autofree char *closed_uri = ssh_uri(port, lt_env("VIREO_TEST_SSH_KEY"), "/system");
    g_autofree char *closed = open_fails(closed_uri, VIREO_ERROR_UNREACHABLE);
    assert_contains(closed, "Connection refused");
    assert_contains(closed, "connect again");
}

/* A key the host refuses: an authentication error naming ssh's reason and
 * what to check, and no login in sshd's log. */
static void
test_ssh_wrong_key(void)
{
    if (!lt_have_harness())
        return;

    guint logins = lt_ssh_logins();
    g_autofree char *uri =
        ssh_uri(lt_env("VIREO_TEST_SSH_PORT"), lt_env("VIREO_TEST_SSH_WRONG_KEY"), "/system");
    g_autofree char *message = open_fails(uri, VIREO_ERROR_AUTH_FAILED);
    assert_contains(message, "Permission denied");
    assert_contains(message, "Check the user name and the key");
    g_assert_cmpuint(lt_ssh_logins(), ==, logins);

    /* The right key still works at once: nothing was left half-open. */
    g_autoptr(VireoConnection) good = vt_connect(lt_env("VIREO_TEST_SSH_URI"));
    vireo_connection_close(good);
}

/* ---- the daemon dies ---- */

static gboolean
is_disconnected(gpointer user_data)
{
    return vireo_connection_get_state(user_data) == VIREO_CONNECTION_STATE_DISCONNECTED;
}

static int
libvirtd_pid(void)
{
    g_autofree char *text = NULL;

    if (g_file_get_contents("/run/libvirtd.pid", &text, NULL, NULL))
        return atoi(text);
    return atoi(lt_env("VIREO_TEST_LIBVIRTD_PID") ?: "0");
}

/* Dead: gone, or a zombie that init has yet to reap. */
static gboolean
process_dead(gpointer user_data)
{
    int pid = GPOINTER_TO_INT(user_data);
    g_autofree char *path = g_strdup_printf("/proc/%d/status", pid);
    g_autofree char *status = NULL;

    if (!g_file_get_contents(path, &status, NULL, NULL))
        return TRUE;
    return strstr(status, "\nState:\tZ") != NULL;
}

static void
restart_libvirtd(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *out = NULL;
    int status = 0;
    const char *argv[] = {lt_env("VIREO_TEST_LIBVIRTD_START"), NULL};

    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               NULL, &status, &error));
    g_assert_no_error(error);
    g_assert_true(g_spawn_check_wait_status(status, &error));
    g_test_message("libvirtd runs again, pid %s", g_strstrip(out));
}

/* The daemon is killed under two open connections (local and SSH) while a
 * VM runs: both say so at once, with the reason; a stale VM's action and a
 * new open say what is wrong; once the daemon is back, connecting again
 * shows the VM still running (QEMU outlived its daemon). */
static void
test_daemon_dies(void)
{
    g_autoptr(GError) error = NULL;

    if (!lt_have_harness())
        return;
    g_assert_nonnull(lt_env("VIREO_TEST_LIBVIRTD_START"));

    g_autoptr(VireoConnection) local = vt_connect(lt_env("VIREO_TEST_LIBVIRT_URI"));
    g_autoptr(VireoConnection) ssh = vt_connect(lt_env("VIREO_TEST_SSH_URI"));
    g_autofree char *name = lt_name("survivor");
    g_autofree char *xml = lt_bare_vm_xml(name, NULL);
    g_autoptr(VireoDomain) vm = lt_define(local, xml);
    g_assert_true(vt_action(vm, VIREO_DOMAIN_ACTION_START, &error));
    g_assert_no_error(error);
    vt_wait_state(vm, VIREO_DOMAIN_STATE_RUNNING);
    g_autofree char *uuid = g_strdup(vireo_domain_get_uuid(vm));

    int pid = libvirtd_pid();
    g_assert_cmpint(pid, >, 1);
    g_test_message("killing libvirtd pid %d", pid);
    g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
    g_assert_true(vt_wait_until(process_dead, GINT_TO_POINTER(pid), LT_IO_SECONDS));

    VireoConnection *connections[] = {local, ssh};
    for (guint i = 0; i < G_N_ELEMENTS(connections); i++) {
        VireoConnection *c = connections[i];
        g_assert_true(vt_wait_until(is_disconnected, c, LT_IO_SECONDS));
        const char *reason = vireo_connection_get_error_message(c);
        g_test_message("%s: %s", vireo_connection_get_uri(c), reason);
        assert_contains(reason, "closed the connection");
        assert_contains(reason, "Connect again");
        g_assert_cmpuint(g_list_model_get_n_items(vireo_connection_get_domains(c)), ==, 0);
    }

    /* The VM object the window still holds says why it cannot act. */
    g_assert_false(vt_action(vm, VIREO_DOMAIN_ACTION_PAUSE, &error));
    g_test_message("pause while disconnected: %s", error->message);
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_NOT_CONNECTED);
    g_clear_error(&error);

    /* While it is down, connecting says it is not there. */
    g_autofree char *down = open_fails(lt_env("VIREO_TEST_LIBVIRT_URI"), VIREO_ERROR_UNREACHABLE);
    assert_contains(down, "libvirtd");

    restart_libvirtd();
    for (guint i = 0; i < G_N_ELEMENTS(connections); i++) {
        VireoConnection *c = connections[i];
        vt_open(c);
        g_assert_null(vireo_connection_get_error_message(c));
        VireoDomain *again = vireo_connection_lookup_domain_by_uuid(c, uuid);
        g_assert_nonnull(again);
        g_assert_cmpint(vireo_domain_get_state(again), ==, VIREO_DOMAIN_STATE_RUNNING);
    }
    VireoDomain *again = vireo_connection_lookup_domain_by_uuid(local, uuid);
    lt_delete(again, VIREO_DOMAIN_DELETE_NONE);
    vireo_connection_close(ssh);
    vireo_connection_close(local);
}

/* ---- a VM that cannot start ---- */

/* VMs whose kernel or disk is missing: the start fails with the missing
 * path and what to do, the VM stays listed and shut off with its
 * definition intact, and the connection goes on working. */
static void
test_start_fails(gconstpointer data)
{
    const char *uri_var = data;
    gboolean ssh = g_str_equal(uri_var, "VIREO_TEST_SSH_URI");
    g_autoptr(GError) error = NULL;

    if (!lt_have_harness())
        return;
    g_autoptr(VireoConnection) connection = vt_connect(lt_env(uri_var));
    const char *tmpdir = lt_env("VIREO_TEST_TMPDIR");
    g_autofree char *missing_kernel = g_build_filename(tmpdir, "no-such-vmlinuz", NULL);
    g_autofree char *missing_disk = g_build_filename(tmpdir, "no-such-disk.qcow2", NULL);

    struct {
        const char *what;
        char *xml;
        const char *missing;
    } cases[] = {
        {"kernel",
         g_strdup_printf("<os><type arch='x86_64' machine='pc'>hvm</type>"
                         "<kernel>%s</kernel></os><devices/>",
                         missing_kernel),
         missing_kernel},
        {"disk",
         g_strdup_printf("<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
                         "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                         "<source file='%s'/><target dev='vda' bus='virtio'/></disk></devices>",
                         missing_disk),
         missing_disk},
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *what = g_strdup_printf("%s-%s", ssh ? "broken-ssh" : "broken",
                                                cases[i].what);
        g_autofree char *name = lt_name(what);
        g_autofree char *xml = g_strdup_printf(
            "<domain type='qemu'><name>%s</name><memory unit='MiB'>32</memory>"
            "<features><acpi/><apic/></features>%s</domain>",
            name, cases[i].xml);
        g_autoptr(VireoDomain) vm = lt_define(connection, xml);

        g_assert_false(vt_action(vm, VIREO_DOMAIN_ACTION_START, &error));
        g_test_message("missing %s: %s", cases[i].what, error->message);
        g_assert_error(error, VIREO_ERROR, VIREO_ERROR_OPERATION_FAILED);
        assert_contains(error->message, name);
        assert_contains(error->message, cases[i].missing);
        assert_contains(error->message, "start it again");
        g_clear_error(&error);

        /* Nothing lost: listed, shut off, still the definition it had. */
        g_assert_cmpint(vireo_connection_get_state(connection), ==,
                        VIREO_CONNECTION_STATE_CONNECTED);
        g_assert_true(vireo_connection_lookup_domain_by_name(connection, name) == vm);
        g_assert_cmpint(vireo_domain_get_state(vm), ==, VIREO_DOMAIN_STATE_SHUTOFF);
        g_autoptr(GAsyncResult) result = NULL;
        vireo_domain_get_xml_async(vm, TRUE, NULL, vt_store_result, &result);
        vt_await_result(&result, LT_IO_SECONDS);
        g_autofree char *kept = vireo_domain_get_xml_finish(vm, result, &error);
        g_assert_no_error(error);
        assert_contains(kept, cases[i].missing);
        lt_delete(vm, VIREO_DOMAIN_DELETE_NONE);
        g_free(cases[i].xml);
    }

    /* And a good VM on the same connection starts. */
    g_autofree char *name = lt_name(ssh ? "fine-ssh" : "fine");
    g_autofree char *xml = lt_bare_vm_xml(name, NULL);
    g_autoptr(VireoDomain) fine = lt_define(connection, xml);
    g_assert_true(vt_action(fine, VIREO_DOMAIN_ACTION_START, &error));
    g_assert_no_error(error);
    vt_wait_state(fine, VIREO_DOMAIN_STATE_RUNNING);
    lt_delete(fine, VIREO_DOMAIN_DELETE_NONE);
    vireo_connection_close(connection);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    vireo_core_init();

    g_test_add_func("/libvirt/failures/invalid-uri", test_invalid_uri);
    g_test_add_func("/libvirt/failures/refused", test_refused);
    g_test_add_func("/libvirt/failures/ssh-wrong-key", test_ssh_wrong_key);
    g_test_add_data_func("/libvirt/failures/start-fails", "VIREO_TEST_LIBVIRT_URI",
                         test_start_fails);
    g_test_add_data_func("/libvirt/failures/start-fails-ssh", "VIREO_TEST_SSH_URI",
                         test_start_fails);
    /* Last: it kills the daemon. */
    g_test_add_func("/libvirt/failures/daemon-dies", test_daemon_dies);
    return g_test_run();
}
