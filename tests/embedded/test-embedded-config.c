/* test-embedded-config.c: domain XML → vireo-vmm, the one translation
 *
 * Pure: parsing, what is kept, ignored or refused, the command line.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <string.h>

#include "vireo-embedded-config.h"
#include "vireo.h"

#define MINIMAL                                                                                \
    "<domain type='kvm'><name>m</name><memory unit='MiB'>16</memory>"                          \
    "<os><type>hvm</type><kernel>/boot/k</kernel></os></domain>"

static VireoEmbeddedConfig *
parse_ok(const char *xml)
{
    g_autoptr(GError) error = NULL;
    VireoEmbeddedConfig *config = vireo_embedded_config_new(xml, &error);

    g_assert_no_error(error);
    g_assert_nonnull(config);
    return config;
}

static void
test_minimal(void)
{
    g_autoptr(VireoEmbeddedConfig) config = parse_ok(MINIMAL);

    g_assert_cmpstr(vireo_embedded_config_get_name(config), ==, "m");
    g_assert_true(g_uuid_string_is_valid(vireo_embedded_config_get_uuid(config)));
    g_assert_cmpuint(vireo_embedded_config_get_memory_kib(config), ==, 16384);
    g_assert_cmpuint(vireo_embedded_config_get_vcpus(config), ==, 1);
    g_assert_cmpstr(vireo_embedded_config_get_kernel(config), ==, "/boot/k");
    g_assert_cmpint(vireo_embedded_config_get_serial(config), ==, VIREO_EMBEDDED_SERIAL_NONE);
    g_assert_false(vireo_embedded_config_has_vnc(config));
    g_assert_null(vireo_embedded_config_get_title(config));
    g_assert_cmpuint(g_strv_length((char **)vireo_embedded_config_get_ignored(config)), ==, 0);

    /* the made-up UUID is written into the document, after <name> */
    g_autofree char *xml = vireo_embedded_config_to_xml(config);
    g_autofree char *expected = g_strdup_printf("<name>m</name><uuid>%s</uuid>",
                                                vireo_embedded_config_get_uuid(config));
    g_assert_nonnull(strstr(xml, expected));
    g_autoptr(VireoEmbeddedConfig) again = parse_ok(xml);
    g_assert_cmpstr(vireo_embedded_config_get_uuid(again), ==,
                    vireo_embedded_config_get_uuid(config));
}

static const char *full =
    "<domain type='kvm' xmlns:v='http://example.org/vendor'>\n"
    "  <name>full</name>\n"
    "  <uuid>0A0B0C0D-0000-4000-8000-000000000001</uuid>\n"
    "  <title>Full</title>\n"
    "  <description>All of it</description>\n"
    "  <memory unit='GiB'>1</memory>\n"
    "  <currentMemory unit='GiB'>1</currentMemory>\n"
    "  <vcpu placement='static'>2</vcpu>\n"
    "  <os>\n"
    "    <type arch='x86_64' machine='pc'>hvm</type>\n"
    "    <kernel>/boot/vmlinuz</kernel>\n"
    "    <initrd>/boot/initrd.img</initrd>\n"
    "    <cmdline>console=ttyS0 quiet</cmdline>\n"
    "    <boot dev='hd'/>\n"
    "  </os>\n"
    "  <features><acpi/><apic/><hyperv/></features>\n"
    "  <cpu mode='host-passthrough'/>\n"
    "  <clock offset='utc'/>\n"
    "  <on_reboot>destroy</on_reboot>\n"
    "  <!-- a comment inside stays -->\n"
    "  <devices>\n"
    "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
    "    <serial type='pty'><target port='0'/></serial>\n"
    "    <console type='pty'><target type='serial' port='0'/></console>\n"
    "    <graphics type='vnc' port='-1' autoport='yes'/>\n"
    "    <video><model type='bochs'/></video>\n"
    "    <input type='keyboard' bus='ps2'/>\n"
    "    <input type='tablet' bus='usb'/>\n"
    "    <sound model='ich9'/>\n"
    "    <memballoon model='none'/>\n"
    "  </devices>\n"
    "  <metadata><v:tag>kept</v:tag></metadata>\n"
    "  <v:extension answer='42'>unknown to libvirt</v:extension>\n"
    "</domain>\n";

static void
test_full(void)
{
    g_autoptr(VireoEmbeddedConfig) config = parse_ok(full);
    const char *const *ignored = vireo_embedded_config_get_ignored(config);

    g_assert_cmpstr(vireo_embedded_config_get_uuid(config), ==,
                    "0a0b0c0d-0000-4000-8000-000000000001");
    g_assert_cmpstr(vireo_embedded_config_get_title(config), ==, "Full");
    g_assert_cmpstr(vireo_embedded_config_get_description(config), ==, "All of it");
    g_assert_cmpuint(vireo_embedded_config_get_memory_kib(config), ==, 1024 * 1024);
    g_assert_cmpuint(vireo_embedded_config_get_vcpus(config), ==, 2);
    g_assert_true(vireo_embedded_config_has_acpi(config));
    g_assert_true(vireo_embedded_config_has_vnc(config));
    g_assert_cmpint(vireo_embedded_config_get_serial(config), ==,
                    VIREO_EMBEDDED_SERIAL_SOCKET);

    /* what vireo-vmm leaves out is named; what it does, and metadata, not */
    g_assert_true(g_strv_contains(ignored, "<os><boot>"));
    g_assert_true(g_strv_contains(ignored, "<features><hyperv>"));
    g_assert_true(g_strv_contains(ignored, "<cpu>"));
    g_assert_true(g_strv_contains(ignored, "<clock>"));
    g_assert_true(g_strv_contains(ignored, "<input type='tablet'>"));
    g_assert_true(g_strv_contains(ignored, "<sound>"));
    g_assert_true(g_strv_contains(ignored, "<extension>"));
    g_assert_false(g_strv_contains(ignored, "<metadata>"));
    g_assert_false(g_strv_contains(ignored, "<console>"));
    g_assert_false(g_strv_contains(ignored, "<memballoon>"));
    g_assert_false(g_strv_contains(ignored, "<emulator>"));
    g_assert_cmpuint(g_strv_length((char **)vireo_embedded_config_get_blocking(config)), ==, 0);

    /* round trip: every element and attribute of the original survives */
    g_autofree char *xml = vireo_embedded_config_to_xml(config);
    static const char *const kept[] = {
        "<v:extension answer=\"42\">unknown to libvirt</v:extension>",
        "<v:tag>kept</v:tag>",
        "<!-- a comment inside stays -->",
        "<cpu mode=\"host-passthrough\"/>",
        "<sound model=\"ich9\"/>",
        "<boot dev=\"hd\"/>",
        "<hyperv/>",
        "<input type=\"tablet\" bus=\"usb\"/>",
        "<currentMemory unit=\"GiB\">1</currentMemory>",
    };
    for (guint i = 0; i < G_N_ELEMENTS(kept); i++) {
        if (!strstr(xml, kept[i]))
            g_error("lost %s in:\n%s", kept[i], xml);
    }

    g_autofree char *notice = NULL;
    VireoEmbeddedVmmFeatures with_display = {.display = TRUE};
    notice = vireo_embedded_config_dup_notice(config, &with_display);
    g_assert_nonnull(strstr(notice, "“full”"));
    g_assert_nonnull(strstr(notice, "<sound>"));
    g_assert_null(strstr(notice, "no screen"));
}

static void
test_argv(void)
{
    g_autoptr(VireoEmbeddedConfig) config = parse_ok(full);
    VireoEmbeddedRunPaths paths = {"/run/v/full/control.sock", "/run/v/full/serial.sock",
                                   "/run/v/full/vnc.sock"};
    VireoEmbeddedVmmFeatures display = {.display = TRUE}, none = {.display = FALSE};
    static const char *const expected[] = {
        "/bin/vmm", "--name", "full", "--uuid", "0a0b0c0d-0000-4000-8000-000000000001",
        "--memory", "1048576K", "--cpus", "2", "--kernel", "/boot/vmlinuz",
        "--initrd", "/boot/initrd.img", "--cmdline", "console=ttyS0 quiet",
        "--serial", "unix:/run/v/full/serial.sock", "--control",
        "unix:/run/v/full/control.sock", "--display", "vnc=unix:/run/v/full/vnc.sock",
        "--on-reboot", "exit", NULL,
    };

    g_auto(GStrv) argv = vireo_embedded_config_build_argv(config, "/bin/vmm", &paths, &display);
    g_assert_cmpstrv(argv, expected);

    /* a VMM without a display gets no --display, and the user is told */
    g_auto(GStrv) plain = vireo_embedded_config_build_argv(config, "/bin/vmm", &paths, &none);
    g_assert_false(g_strv_contains((const char *const *)plain, "--display"));
    g_autofree char *notice = vireo_embedded_config_dup_notice(config, &none);
    g_assert_nonnull(strstr(notice, "no screen"));
}

static void
test_serial_kinds(void)
{
    static const struct {
        const char *devices;
        VireoEmbeddedSerial serial;
        const char *arg;
    } cases[] = {
        {"", VIREO_EMBEDDED_SERIAL_NONE, "none"},
        {"<serial type='pty'/>", VIREO_EMBEDDED_SERIAL_SOCKET, "unix:/s"},
        {"<console type='pty'/>", VIREO_EMBEDDED_SERIAL_SOCKET, "unix:/s"},
        {"<serial type='file'><source path='/tmp/log'/></serial>", VIREO_EMBEDDED_SERIAL_FILE,
         "file:/tmp/log"},
        {"<serial type='null'/>", VIREO_EMBEDDED_SERIAL_NONE, "none"},
    };
    VireoEmbeddedRunPaths paths = {"/c", "/s", "/v"};
    VireoEmbeddedVmmFeatures features = {0};

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *xml = g_strdup_printf(
            "<domain><name>s</name><memory>4096</memory><os><type>hvm</type>"
            "<kernel>/k</kernel></os><devices>%s</devices></domain>",
            cases[i].devices);
        g_autoptr(VireoEmbeddedConfig) config = parse_ok(xml);
        g_auto(GStrv) argv = vireo_embedded_config_build_argv(config, "vmm", &paths, &features);
        guint n = g_strv_length(argv);
        gboolean found = FALSE;

        g_assert_cmpint(vireo_embedded_config_get_serial(config), ==, cases[i].serial);
        for (guint j = 0; j + 1 < n; j++)
            if (g_str_equal(argv[j], "--serial"))
                found = g_str_equal(argv[j + 1], cases[i].arg);
        g_assert_true(found);
    }
}

static void
test_memory_units(void)
{
    static const struct {
        const char *unit;
        const char *value;
        guint64 kib;
    } cases[] = {
        {NULL, "4096", 4096},        {"KiB", "4096", 4096},  {"k", "8192", 8192},
        {"M", "16", 16384},           {"MiB", "16", 16384},   {"MB", "16", 15628},
        {"G", "1", 1048576},          {"GB", "1", 976564},    {"bytes", "4194305", 4100},
        {"b", "16777216", 16384},
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *unit =
            cases[i].unit ? g_strdup_printf(" unit='%s'", cases[i].unit) : g_strdup("");
        g_autofree char *xml = g_strdup_printf(
            "<domain><name>u</name><memory%s>%s</memory><os><type>hvm</type></os></domain>",
            unit, cases[i].value);
        g_autoptr(VireoEmbeddedConfig) config = parse_ok(xml);
        /* rounded up to whole pages */
        g_assert_cmpuint(vireo_embedded_config_get_memory_kib(config), ==,
                         (cases[i].kib + 3) & ~(guint64)3);
    }
}

static void
test_invalid(void)
{
    static const struct {
        const char *xml;
        const char *says;
    } cases[] = {
        {"not xml at all", "not well-formed"},
        {"<domain><name>x</name>", "not well-formed"},
        {"<vm><name>x</name></vm>", "<domain>"},
        {"<domain><memory>4096</memory></domain>", "no <name>"},
        {"<domain><name>a/b</name><memory>4096</memory></domain>", "“a/b”"},
        {"<domain><name>.hidden</name><memory>4096</memory></domain>", "“.hidden”"},
        {"<domain><name>x</name><name>y</name><memory>4096</memory></domain>",
         "more than one <name>"},
        {"<domain><name>x</name></domain>", "no <memory>"},
        {"<domain><name>x</name><memory>1024</memory></domain>", "at least 2 MiB"},
        {"<domain><name>x</name><memory unit='parsec'>1</memory></domain>", "“parsec”"},
        {"<domain><name>x</name><memory>lots</memory></domain>", "“lots”"},
        {"<domain><name>x</name><memory>4096</memory><vcpu>0</vcpu></domain>", "“0”"},
        {"<domain><name>x</name><memory>4096</memory><vcpu>999</vcpu></domain>", "“999”"},
        {"<domain><name>x</name><memory>4096</memory><uuid>nope</uuid></domain>", "“nope”"},
        {"<domain><name>x</name><memory>4096</memory><os><type>exe</type></os></domain>",
         "“exe”"},
        {"<domain><name>x</name><memory>4096</memory><os><type arch='aarch64'>hvm</type>"
         "</os></domain>",
         "“aarch64”"},
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VireoEmbeddedConfig) config = vireo_embedded_config_new(cases[i].xml, &error);

        g_assert_null(config);
        g_assert_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_XML);
        if (!strstr(error->message, cases[i].says))
            g_error("“%s” said “%s”, not “%s”", cases[i].xml, error->message, cases[i].says);
    }
}

static void
test_startable(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("vireo-config-XXXXXX", NULL);
    g_autofree char *kernel = g_build_filename(dir, "kernel", NULL);
    g_assert_true(g_file_set_contents(kernel, "k", 1, NULL));

    /* no kernel at all */
    g_autoptr(VireoEmbeddedConfig) no_kernel = parse_ok(
        "<domain><name>n</name><memory>4096</memory><os><type>hvm</type><boot dev='hd'/></os>"
        "</domain>");
    g_assert_false(vireo_embedded_config_check_startable(no_kernel, &error));
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_XML);
    g_assert_nonnull(strstr(error->message, "<os><kernel>"));
    g_clear_error(&error);

    /* a kernel that is not there */
    g_autoptr(VireoEmbeddedConfig) missing = parse_ok(
        "<domain><name>n</name><memory>4096</memory><os><type>hvm</type>"
        "<kernel>/nonexistent/vmlinuz</kernel></os></domain>");
    g_assert_false(vireo_embedded_config_check_startable(missing, &error));
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_NOT_FOUND);
    g_assert_nonnull(strstr(error->message, "/nonexistent/vmlinuz"));
    g_clear_error(&error);

    /* a relative path */
    g_autoptr(VireoEmbeddedConfig) relative = parse_ok(
        "<domain><name>n</name><memory>4096</memory><os><type>hvm</type>"
        "<kernel>vmlinuz</kernel></os></domain>");
    g_assert_false(vireo_embedded_config_check_startable(relative, &error));
    g_assert_nonnull(strstr(error->message, "absolute"));
    g_clear_error(&error);

    /* devices that hold the guest's data stop it, and are named */
    g_autofree char *with_disk = g_strdup_printf(
        "<domain><name>d</name><memory>4096</memory><os><type>hvm</type><kernel>%s</kernel>"
        "</os><devices><disk type='file' device='disk'><source file='/var/a.qcow2'/></disk>"
        "<interface type='network'><source network='default'/></interface></devices>"
        "</domain>",
        kernel);
    g_autoptr(VireoEmbeddedConfig) disk = parse_ok(with_disk);
    g_assert_false(vireo_embedded_config_check_startable(disk, &error));
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_NOT_SUPPORTED);
    g_assert_nonnull(strstr(error->message, "<disk type='file'> /var/a.qcow2"));
    g_assert_nonnull(strstr(error->message, "<interface type='network'> default"));
    g_clear_error(&error);

    /* and one that can start */
    g_autofree char *good = g_strdup_printf(
        "<domain><name>g</name><memory>4096</memory><os><type>hvm</type><kernel>%s</kernel>"
        "</os></domain>",
        kernel);
    g_autoptr(VireoEmbeddedConfig) ok = parse_ok(good);
    g_assert_true(vireo_embedded_config_check_startable(ok, &error));
    g_assert_no_error(error);

    g_unlink(kernel);
    g_rmdir(dir);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/embedded/config/minimal", test_minimal);
    g_test_add_func("/embedded/config/full", test_full);
    g_test_add_func("/embedded/config/argv", test_argv);
    g_test_add_func("/embedded/config/serial-kinds", test_serial_kinds);
    g_test_add_func("/embedded/config/memory-units", test_memory_units);
    g_test_add_func("/embedded/config/invalid", test_invalid);
    g_test_add_func("/embedded/config/startable", test_startable);
    return g_test_run();
}
