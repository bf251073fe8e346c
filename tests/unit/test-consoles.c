/* test-consoles.c: finding a domain's consoles and the SSH way to them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <string.h>

#include "vireo-libvirt-console.h"
#include "vireo.h"

static void
parse(const char *xml, VireoLibvirtConsoles *consoles)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(vireo_libvirt_parse_consoles(xml, consoles, &error));
    g_assert_no_error(error);
}

static void
test_vnc_tcp(void)
{
    g_auto(VireoLibvirtConsoles) consoles = {0};
    parse("<domain><devices>"
          "<graphics type='spice' port='5901'/>"
          "<graphics type='vnc' port='5903' autoport='yes' listen='0.0.0.0'>"
          "<listen type='address' address='0.0.0.0'/></graphics>"
          "<serial type='pty'><target port='0'/></serial>"
          "</devices></domain>",
          &consoles);
    g_autofree char *target = vireo_libvirt_consoles_dup_vnc_target(&consoles);

    g_assert_true(consoles.found);
    g_assert_cmpint(consoles.index, ==, 1);
    g_assert_cmpint(consoles.port, ==, 5903);
    g_assert_cmpstr(consoles.other_type, ==, "spice");
    g_assert_true(consoles.has_text);
    /* The wildcard is reached on the host's loopback. */
    g_assert_cmpstr(target, ==, "127.0.0.1:5903");
}

static void
test_vnc_listen_element(void)
{
    g_auto(VireoLibvirtConsoles) consoles = {0};
    parse("<domain><devices><graphics type='vnc' port='5900'>"
          "<listen type='address' address='192.0.2.7'/></graphics></devices></domain>",
          &consoles);
    g_autofree char *target = vireo_libvirt_consoles_dup_vnc_target(&consoles);

    g_assert_cmpstr(target, ==, "192.0.2.7:5900");
    g_assert_false(consoles.has_text);
    g_assert_null(consoles.other_type);
}

static void
test_vnc_socket(void)
{
    g_auto(VireoLibvirtConsoles) consoles = {0};
    parse("<domain><devices><console type='pty'/><graphics type='vnc'>"
          "<listen type='socket' socket='/var/lib/libvirt/qemu/d/vnc.sock'/>"
          "</graphics></devices></domain>",
          &consoles);
    g_autofree char *target = vireo_libvirt_consoles_dup_vnc_target(&consoles);

    g_assert_true(consoles.has_text);
    g_assert_cmpint(consoles.port, ==, -1);
    g_assert_cmpstr(target, ==, "/var/lib/libvirt/qemu/d/vnc.sock");
}

static void
test_vnc_unreachable(void)
{
    g_auto(VireoLibvirtConsoles) none = {0};
    g_auto(VireoLibvirtConsoles) no_port = {0};
    g_auto(VireoLibvirtConsoles) spice = {0};

    parse("<domain><devices><graphics type='vnc'><listen type='none'/></graphics>"
          "</devices></domain>",
          &none);
    g_assert_true(none.found);
    g_assert_true(none.no_listen);
    g_assert_null(vireo_libvirt_consoles_dup_vnc_target(&none));

    parse("<domain><devices><graphics type='vnc' port='-1' autoport='yes'/></devices></domain>",
          &no_port);
    g_assert_true(no_port.found);
    g_assert_null(vireo_libvirt_consoles_dup_vnc_target(&no_port));

    /* <graphics> outside <devices> is not a display. */
    parse("<domain><metadata><graphics type='vnc' port='1'/></metadata><devices>"
          "<graphics type='spice'/></devices></domain>",
          &spice);
    g_assert_false(spice.found);
    g_assert_cmpstr(spice.other_type, ==, "spice");
}

static void
test_malformed(void)
{
    g_auto(VireoLibvirtConsoles) consoles = {0};
    g_autoptr(GError) error = NULL;

    g_assert_false(vireo_libvirt_parse_consoles("<domain><devices>", &consoles, &error));
    g_assert_nonnull(error);
}

static void
test_ssh_destination(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VireoSshDestination) dest = vireo_ssh_destination_new_for_uri(
        "qemu+ssh://root@127.0.0.1:2222/system?keyfile=/tmp/k%20ey&no_verify=1&"
        "command=/opt/my-ssh&no_tty=1",
        &error);
    g_assert_no_error(error);
    const char *const extra[] = {"-O", "check", NULL};
    g_auto(GStrv) argv = vireo_ssh_destination_build_argv(dest, "/run/c", extra);
    g_autofree char *joined = g_strjoinv(" ", argv);

    g_assert_cmpstr(joined, ==,
                    "/opt/my-ssh -p 2222 -l root -i /tmp/k ey -o StrictHostKeyChecking=no -o "
                    "BatchMode=yes -o ControlPath=/run/c -O check -- 127.0.0.1");

    g_autoptr(VireoSshDestination) plain =
        vireo_ssh_destination_new_for_uri("qemu+ssh://host.example/system", &error);
    g_assert_no_error(error);
    g_auto(GStrv) plain_argv = vireo_ssh_destination_build_argv(plain, NULL, NULL);
    g_autofree char *plain_joined = g_strjoinv(" ", plain_argv);
    g_assert_cmpstr(plain_joined, ==, "ssh -- host.example");
}

static void
test_ssh_not_ssh(void)
{
    const char *uris[] = {"qemu:///system", "qemu+tcp://host/system", "test:///default",
                          "qemu+ssh:///system", "nonsense"};

    g_assert_true(vireo_ssh_uri_is_ssh("qemu+ssh://h/system"));
    g_assert_true(vireo_ssh_uri_is_ssh("qemu+libssh2://h/system"));
    for (guint i = 0; i < G_N_ELEMENTS(uris); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VireoSshDestination) dest = vireo_ssh_destination_new_for_uri(uris[i], &error);
        g_assert_null(dest);
        g_assert_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_URI);
    }
}

static void
test_mux_shared(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VireoSshMux) a =
        vireo_ssh_mux_get_for_uri("qemu+ssh://root@h.example/system?keyfile=/k", &error);
    g_autoptr(VireoSshMux) b =
        vireo_ssh_mux_get_for_uri("qemu+ssh://root@h.example/session?keyfile=/k", &error);
    g_autoptr(VireoSshMux) c = vireo_ssh_mux_get_for_uri("qemu+ssh://alice@h.example/system",
                                                         &error);
    g_assert_no_error(error);

    /* One master per destination, whatever the libvirt path. */
    g_assert_true(a == b);
    g_assert_true(a != c);
    g_autofree char *dir = g_path_get_dirname(vireo_ssh_mux_get_control_path(a));
    g_assert_true(g_file_test(dir, G_FILE_TEST_IS_DIR));
    GStatBuf st;
    g_assert_cmpint(g_stat(dir, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0700);
    g_assert_cmpuint(strlen(vireo_ssh_mux_get_control_path(a)), <, 90);

    /* libvirt rides the master through a wrapper; other options are kept. */
    g_autofree char *uri = vireo_ssh_mux_dup_libvirt_uri(
        a, "qemu+ssh://root@h.example:22/system?keyfile=/k&command=oldssh&no_tty=1", &error);
    g_assert_no_error(error);
    g_autofree char *wrapper = g_build_filename(dir, "ssh", NULL);
    g_autofree char *expected =
        g_strdup_printf("qemu+ssh://root@h.example:22/system?keyfile=/k&no_tty=1&command=%s",
                        wrapper);
    g_assert_cmpstr(uri, ==, expected);
    g_assert_true(g_file_test(wrapper, G_FILE_TEST_IS_EXECUTABLE));
    g_autofree char *script = NULL;
    g_assert_true(g_file_get_contents(wrapper, &script, NULL, NULL));
    g_assert_nonnull(strstr(script, "exec 'ssh' -o 'ControlPath="));

    /* The last reference removes the directory. */
    g_clear_object(&a);
    g_clear_object(&b);
    g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
}

static void
store_result(GObject *source, GAsyncResult *result, gpointer user_data)
{
    *(GAsyncResult **)user_data = g_object_ref(result);
}

static void
test_mux_cannot_start(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VireoSshMux) mux = vireo_ssh_mux_get_for_uri(
        "qemu+ssh://root@h.example/system?command=/nonexistent/ssh", &error);
    g_autoptr(GAsyncResult) result = NULL;
    g_assert_no_error(error);

    vireo_ssh_mux_open_async(mux, "127.0.0.1:5900", NULL, store_result, &result);
    while (!result)
        g_main_context_iteration(NULL, TRUE);
    g_assert_cmpint(vireo_ssh_mux_open_finish(mux, result, &error), ==, -1);
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_NOT_SUPPORTED);
    g_assert_nonnull(strstr(error->message, "/nonexistent/ssh"));
    g_assert_nonnull(strstr(error->message, "OpenSSH"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

    g_test_add_func("/consoles/parse/vnc-tcp", test_vnc_tcp);
    g_test_add_func("/consoles/parse/vnc-listen-element", test_vnc_listen_element);
    g_test_add_func("/consoles/parse/vnc-socket", test_vnc_socket);
    g_test_add_func("/consoles/parse/vnc-unreachable", test_vnc_unreachable);
    g_test_add_func("/consoles/parse/malformed", test_malformed);
    g_test_add_func("/consoles/ssh/destination", test_ssh_destination);
    g_test_add_func("/consoles/ssh/not-ssh", test_ssh_not_ssh);
    g_test_add_func("/consoles/ssh/mux-shared", test_mux_shared);
    g_test_add_func("/consoles/ssh/cannot-start", test_mux_cannot_start);
    return g_test_run();
}
