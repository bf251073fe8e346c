/* test-uri.c: what a connection URI says, without opening it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vireo.h"

static void
test_parts(void)
{
    const char *ssh = "qemu+ssh://root@host.example:2222/system?keyfile=/k&no_verify=1";
    g_autofree char *driver = vireo_uri_dup_driver(ssh);
    g_autofree char *transport = vireo_uri_dup_transport(ssh);
    g_autofree char *host = vireo_uri_dup_host(ssh);
    g_autofree char *local_host = vireo_uri_dup_host("qemu:///system");
    g_autofree char *local_transport = vireo_uri_dup_transport("qemu:///system");
    g_autofree char *test_driver = vireo_uri_dup_driver("test:///default");

    g_assert_cmpstr(driver, ==, "qemu");
    g_assert_cmpstr(transport, ==, "ssh");
    g_assert_cmpstr(host, ==, "host.example");
    g_assert_null(local_host);
    g_assert_null(local_transport);
    g_assert_cmpstr(test_driver, ==, "test");
    g_assert_null(vireo_uri_dup_driver("not a uri"));
}

static void
test_remote(void)
{
    g_assert_false(vireo_uri_is_remote("qemu:///system"));
    g_assert_false(vireo_uri_is_remote("qemu:///session"));
    g_assert_false(vireo_uri_is_remote("test:///default"));
    g_assert_false(vireo_uri_is_remote("qemu+unix:///system"));
    g_assert_true(vireo_uri_is_remote("qemu+ssh://root@127.0.0.1/system"));
    g_assert_true(vireo_uri_is_remote("qemu+tcp://127.0.0.1:1/system"));
    g_assert_true(vireo_uri_is_remote("qemu://host.example/system"));
}

static void
test_display_names(void)
{
    const struct {
        const char *uri;
        const char *name;
    } cases[] = {
        {"qemu:///system", "QEMU/KVM"},
        {"qemu:///session", "QEMU/KVM user session"},
        {"qemu+ssh://root@host.example/system", "QEMU/KVM: host.example"},
        {"test:///default", "Test"},
        {"vireo:///session", "Vireo"},
        {"lxc:///system", "LXC"},
        {"bogus:///x", "bogus"},
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *name = vireo_uri_dup_display_name(cases[i].uri);
        g_assert_cmpstr(name, ==, cases[i].name);
    }
}

static void
test_validate(void)
{
    const char *good[] = {
        "qemu:///system",
        "test:///default",
        "test:///tmp/node.xml",
        "qemu+ssh://root@127.0.0.1:2222/system?keyfile=/tmp/id&no_verify=1",
        "qemu+tcp://127.0.0.1:1/system",
    };
    const char *bad[] = {"", "qemu", "/system", "://x", "qemu:///sys tem<"};

    for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autoptr(GError) error = NULL;
        g_assert_true(vireo_uri_validate(good[i], &error));
        g_assert_no_error(error);
    }
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_assert_false(vireo_uri_validate(bad[i], &error));
        g_assert_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_URI);
        /* The message tells what an address looks like. */
        g_assert_nonnull(strstr(error->message, "qemu:///system"));
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

    g_test_add_func("/unit/uri/parts", test_parts);
    g_test_add_func("/unit/uri/remote", test_remote);
    g_test_add_func("/unit/uri/display-names", test_display_names);
    g_test_add_func("/unit/uri/validate", test_validate);

    return g_test_run();
}
