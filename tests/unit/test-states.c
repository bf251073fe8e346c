/* test-states.c: names for VM states, libvirt's reasons and error codes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vireo.h"
#include "vireo-libvirt-util.h"

static void
test_state_strings(void)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    for (int s = VIREO_DOMAIN_STATE_NOSTATE; s <= VIREO_DOMAIN_STATE_PMSUSPENDED; s++) {
        const char *name = vireo_domain_state_to_string(s);
        const char *icon = vireo_domain_state_to_icon_name(s);
        g_assert_nonnull(name);
        g_assert_cmpstr(name, !=, "");
        g_assert_true(g_str_has_suffix(icon, "-symbolic"));
        /* Every state reads differently. */
        g_assert_false(g_hash_table_contains(seen, name));
        g_hash_table_add(seen, (gpointer)name);
    }
    g_assert_cmpstr(vireo_domain_state_to_string(VIREO_DOMAIN_STATE_RUNNING), ==, "Running");
    g_assert_cmpstr(vireo_domain_state_to_string(VIREO_DOMAIN_STATE_SHUTOFF), ==, "Shut off");
    g_assert_cmpstr(vireo_domain_state_to_string(VIREO_DOMAIN_STATE_PAUSED), ==, "Paused");
}

static void
test_state_enum_matches_libvirt(void)
{
    g_assert_cmpint(VIREO_DOMAIN_STATE_RUNNING, ==, VIR_DOMAIN_RUNNING);
    g_assert_cmpint(VIREO_DOMAIN_STATE_PAUSED, ==, VIR_DOMAIN_PAUSED);
    g_assert_cmpint(VIREO_DOMAIN_STATE_SHUTOFF, ==, VIR_DOMAIN_SHUTOFF);
    g_assert_cmpint(VIREO_DOMAIN_STATE_PMSUSPENDED, ==, VIR_DOMAIN_PMSUSPENDED);

    GEnumClass *klass = g_type_class_ref(VIREO_TYPE_DOMAIN_STATE);
    g_assert_cmpstr(g_enum_get_value(klass, VIREO_DOMAIN_STATE_SHUTOFF)->value_nick, ==,
                    "shutoff");
    g_type_class_unref(klass);
}

static void
test_reason_strings(void)
{
    g_assert_cmpstr(vireo_libvirt_state_reason_to_string(VIR_DOMAIN_RUNNING,
                                                         VIR_DOMAIN_RUNNING_BOOTED),
                    ==, "booted");
    g_assert_cmpstr(vireo_libvirt_state_reason_to_string(VIR_DOMAIN_SHUTOFF,
                                                         VIR_DOMAIN_SHUTOFF_DESTROYED),
                    ==, "forced off");
    g_assert_cmpstr(vireo_libvirt_state_reason_to_string(VIR_DOMAIN_SHUTOFF,
                                                         VIR_DOMAIN_SHUTOFF_SHUTDOWN),
                    ==, "shut down by the guest");
    g_assert_cmpstr(vireo_libvirt_state_reason_to_string(VIR_DOMAIN_PAUSED,
                                                         VIR_DOMAIN_PAUSED_USER),
                    ==, "paused by the user");
    g_assert_cmpstr(vireo_libvirt_state_reason_to_string(VIR_DOMAIN_SHUTOFF,
                                                         VIR_DOMAIN_SHUTOFF_SAVED),
                    ==, "saved");
    g_assert_cmpstr(vireo_libvirt_state_reason_to_string(VIR_DOMAIN_CRASHED,
                                                         VIR_DOMAIN_CRASHED_PANICKED),
                    ==, "the guest kernel panicked");
    /* Unknown reasons say nothing rather than something wrong. */
    g_assert_null(vireo_libvirt_state_reason_to_string(VIR_DOMAIN_RUNNING, 0));
    g_assert_null(vireo_libvirt_state_reason_to_string(VIR_DOMAIN_SHUTOFF, 999));
    g_assert_null(vireo_libvirt_state_reason_to_string(99, 1));
}

static VireoError
classify_open(int code, const char *message)
{
    virError error = {.code = code, .message = (char *)message};
    return vireo_libvirt_classify_open_error(&error);
}

static void
test_classify_open_errors(void)
{
    g_assert_cmpint(classify_open(VIR_ERR_SYSTEM_ERROR,
                                  "unable to connect to server at '127.0.0.1:1': Connection "
                                  "refused"),
                    ==, VIREO_ERROR_UNREACHABLE);
    g_assert_cmpint(classify_open(VIR_ERR_SYSTEM_ERROR,
                                  "Failed to connect socket to '/var/run/libvirt/libvirt-sock': "
                                  "No such file or directory"),
                    ==, VIREO_ERROR_UNREACHABLE);
    g_assert_cmpint(classify_open(VIR_ERR_SYSTEM_ERROR,
                                  "Cannot recv data: ssh: Could not resolve hostname x.invalid"),
                    ==, VIREO_ERROR_UNREACHABLE);
    g_assert_cmpint(classify_open(VIR_ERR_SYSTEM_ERROR,
                                  "Cannot recv data: root@127.0.0.1: Permission denied "
                                  "(publickey).: Connection reset by peer"),
                    ==, VIREO_ERROR_AUTH_FAILED);
    g_assert_cmpint(classify_open(VIR_ERR_SYSTEM_ERROR,
                                  "Cannot recv data: Host key verification failed."),
                    ==, VIREO_ERROR_AUTH_FAILED);
    g_assert_cmpint(classify_open(VIR_ERR_AUTH_FAILED, "authentication failed"), ==,
                    VIREO_ERROR_AUTH_FAILED);
    g_assert_cmpint(classify_open(VIR_ERR_NO_CONNECT, "no connection driver available for x"),
                    ==, VIREO_ERROR_INVALID_URI);
    g_assert_cmpint(classify_open(VIR_ERR_INTERNAL_ERROR, "Unable to parse URI test://x y/"),
                    ==, VIREO_ERROR_INVALID_URI);
    g_assert_cmpint(classify_open(VIR_ERR_INTERNAL_ERROR, "something else"), ==,
                    VIREO_ERROR_FAILED);
}

static void
test_classify_call_errors(void)
{
    virError no_domain = {.code = VIR_ERR_NO_DOMAIN, .message = (char *)"no domain"};
    virError invalid = {.code = VIR_ERR_OPERATION_INVALID, .message = (char *)"not running"};
    virError xml = {.code = VIR_ERR_XML_ERROR, .message = (char *)"bad"};
    virError closed = {.code = VIR_ERR_INTERNAL_ERROR,
                       .message = (char *)"internal error: client socket is closed"};
    virError other = {.code = VIR_ERR_INTERNAL_ERROR, .message = (char *)"boom"};

    g_assert_cmpint(vireo_libvirt_classify_error(&no_domain, VIREO_ERROR_FAILED), ==,
                    VIREO_ERROR_NOT_FOUND);
    g_assert_cmpint(vireo_libvirt_classify_error(&invalid, VIREO_ERROR_FAILED), ==,
                    VIREO_ERROR_INVALID_STATE);
    g_assert_cmpint(vireo_libvirt_classify_error(&xml, VIREO_ERROR_FAILED), ==,
                    VIREO_ERROR_INVALID_XML);
    g_assert_cmpint(vireo_libvirt_classify_error(&closed, VIREO_ERROR_FAILED), ==,
                    VIREO_ERROR_NOT_CONNECTED);
    g_assert_cmpint(vireo_libvirt_classify_error(&other, VIREO_ERROR_OPERATION_FAILED), ==,
                    VIREO_ERROR_OPERATION_FAILED);
    g_assert_cmpint(vireo_libvirt_classify_error(NULL, VIREO_ERROR_FAILED), ==,
                    VIREO_ERROR_FAILED);
}

static void
test_parse_disks(void)
{
    const char *xml =
        "<?xml version='1.0'?>\n"
        "<domain type='kvm'><name>x</name><devices>"
        "<disk type='file' device='disk'><source file='/a.qcow2'/><target dev='vda'/></disk>"
        "<disk type='volume' device='disk'><source pool='p' volume='v'/></disk>"
        "<disk type='file' device='cdrom'><source file='/i.iso'/><readonly/></disk>"
        "<disk type='block' device='disk'><source dev='/dev/sdz'/><shareable/></disk>"
        "<interface type='network'><source network='default'/></interface>"
        "</devices></domain>";
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) disks = vireo_libvirt_parse_disks(xml, &error);

    g_assert_no_error(error);
    g_assert_cmpuint(disks->len, ==, 4);
    VireoLibvirtDisk *d0 = disks->pdata[0], *d1 = disks->pdata[1], *d2 = disks->pdata[2],
                     *d3 = disks->pdata[3];
    g_assert_cmpstr(d0->file, ==, "/a.qcow2");
    g_assert_cmpstr(d0->device, ==, "disk");
    g_assert_cmpstr(d1->type, ==, "volume");
    g_assert_cmpstr(d1->pool, ==, "p");
    g_assert_cmpstr(d1->volume, ==, "v");
    g_assert_true(d2->readonly);
    g_assert_cmpstr(d2->device, ==, "cdrom");
    g_assert_cmpstr(d3->file, ==, "/dev/sdz");
    g_assert_true(d3->shareable);

    g_assert_null(vireo_libvirt_parse_disks("<domain><devices>", &error));
    g_assert_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_PARSE);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

    g_test_add_func("/unit/domain/state-strings", test_state_strings);
    g_test_add_func("/unit/domain/state-enum-matches-libvirt", test_state_enum_matches_libvirt);
    g_test_add_func("/unit/libvirt/reason-strings", test_reason_strings);
    g_test_add_func("/unit/libvirt/classify-open-errors", test_classify_open_errors);
    g_test_add_func("/unit/libvirt/classify-call-errors", test_classify_call_errors);
    g_test_add_func("/unit/libvirt/parse-disks", test_parse_disks);

    return g_test_run();
}
