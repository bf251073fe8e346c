/* test-domain.c: VM actions, events, XML and delete (test driver)
 *
 * Every change is made through libvireo and must reach the model through
 * libvirt's events (the domain list is never polled).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>

#include "vireo-test-util.h"

typedef struct {
    VireoConnection *connection;
} Fixture;

static void
fixture_setup(Fixture *fixture, gconstpointer data)
{
    g_autofree char *uri = vt_test_node_uri();
    fixture->connection = vt_connect(uri);
}

static void
fixture_teardown(Fixture *fixture, gconstpointer data)
{
    vireo_connection_close(fixture->connection);
    g_clear_object(&fixture->connection);
}

static VireoDomain *
domain(Fixture *fixture, const char *name)
{
    VireoDomain *found = vireo_connection_lookup_domain_by_name(fixture->connection, name);
    g_assert_nonnull(found);
    return found;
}

static void
count_notify(GObject *object, GParamSpec *pspec, guint *count)
{
    (*count)++;
}

static void
act(VireoDomain *d, VireoDomainAction action)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(vireo_domain_can_do(d, action));
    g_assert_true(vt_action(d, action, &error));
    g_assert_no_error(error);
}

static void
test_lifecycle(Fixture *fixture, gconstpointer data)
{
    VireoDomain *bravo = domain(fixture, "bravo");
    guint state_changes = 0;

    g_signal_connect(bravo, "notify::state", G_CALLBACK(count_notify), &state_changes);
    g_assert_false(vireo_domain_is_active(bravo));
    g_assert_false(vireo_domain_can_do(bravo, VIREO_DOMAIN_ACTION_PAUSE));
    g_assert_false(vireo_domain_can_do(bravo, VIREO_DOMAIN_ACTION_FORCE_OFF));

    act(bravo, VIREO_DOMAIN_ACTION_START);
    vt_wait_state(bravo, VIREO_DOMAIN_STATE_RUNNING);
    g_assert_cmpstr(vireo_domain_get_state_reason(bravo), ==, "booted");
    g_assert_true(vireo_domain_is_active(bravo));
    g_assert_false(vireo_domain_can_do(bravo, VIREO_DOMAIN_ACTION_START));
    g_assert_cmpuint(state_changes, ==, 1);

    act(bravo, VIREO_DOMAIN_ACTION_PAUSE);
    vt_wait_state(bravo, VIREO_DOMAIN_STATE_PAUSED);
    g_assert_cmpstr(vireo_domain_get_state_reason(bravo), ==, "paused by the user");
    g_assert_true(vireo_domain_can_do(bravo, VIREO_DOMAIN_ACTION_RESUME));
    g_assert_false(vireo_domain_can_do(bravo, VIREO_DOMAIN_ACTION_SHUTDOWN));

    act(bravo, VIREO_DOMAIN_ACTION_RESUME);
    vt_wait_state(bravo, VIREO_DOMAIN_STATE_RUNNING);
    g_assert_cmpstr(vireo_domain_get_state_reason(bravo), ==, "resumed");

    act(bravo, VIREO_DOMAIN_ACTION_REBOOT);
    act(bravo, VIREO_DOMAIN_ACTION_SHUTDOWN);
    vt_wait_state(bravo, VIREO_DOMAIN_STATE_SHUTOFF);
    g_assert_cmpstr(vireo_domain_get_state_reason(bravo), ==, "shut down by the guest");

    act(bravo, VIREO_DOMAIN_ACTION_START);
    vt_wait_state(bravo, VIREO_DOMAIN_STATE_RUNNING);
    act(bravo, VIREO_DOMAIN_ACTION_FORCE_OFF);
    vt_wait_state(bravo, VIREO_DOMAIN_STATE_SHUTOFF);
    g_assert_cmpstr(vireo_domain_get_state_reason(bravo), ==, "forced off");
    g_assert_false(vireo_domain_is_active(bravo));
    /* The domain may outlive this test (a refresh in flight holds it). */
    g_signal_handlers_disconnect_by_data(bravo, &state_changes);
}

static gboolean
has_managed_save_is(VireoDomain *d, gboolean value)
{
    return vireo_domain_get_has_managed_save(d) == value;
}

static gboolean
has_managed_save(gpointer user_data)
{
    return has_managed_save_is(user_data, TRUE);
}

static gboolean
has_no_managed_save(gpointer user_data)
{
    return has_managed_save_is(user_data, FALSE);
}

static void
test_managed_save(Fixture *fixture, gconstpointer data)
{
    VireoDomain *alpha = domain(fixture, "alpha");

    g_assert_false(vireo_domain_get_has_managed_save(alpha));
    act(alpha, VIREO_DOMAIN_ACTION_SAVE);
    vt_wait_state(alpha, VIREO_DOMAIN_STATE_SHUTOFF);
    g_assert_true(vt_wait_until(has_managed_save, alpha, 30));
    g_assert_cmpstr(vireo_domain_get_state_reason(alpha), ==, "saved");

    /* Starting restores the saved state. */
    act(alpha, VIREO_DOMAIN_ACTION_START);
    vt_wait_state(alpha, VIREO_DOMAIN_STATE_RUNNING);
    g_assert_true(vt_wait_until(has_no_managed_save, alpha, 30));
}

static void
test_invalid_action(Fixture *fixture, gconstpointer data)
{
    VireoDomain *alpha = domain(fixture, "alpha");
    VireoDomain *bravo = domain(fixture, "bravo");
    g_autoptr(GError) error = NULL;

    /* Asked anyway (a stale button): the hypervisor says no, the user reads why. */
    g_assert_false(vt_action(alpha, VIREO_DOMAIN_ACTION_START, &error));
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_STATE);
    g_assert_nonnull(strstr(error->message, "Could not start “alpha”"));
    g_test_message("%s", error->message);
    g_clear_error(&error);

    g_assert_false(vt_action(bravo, VIREO_DOMAIN_ACTION_RESUME, &error));
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_STATE);
    g_assert_nonnull(strstr(error->message, "bravo"));
    g_assert_cmpint(vireo_domain_get_state(bravo), ==, VIREO_DOMAIN_STATE_SHUTOFF);
}

static char *
get_xml(VireoDomain *d, gboolean inactive, GError **error)
{
    g_autoptr(GAsyncResult) result = NULL;

    vireo_domain_get_xml_async(d, inactive, NULL, vt_store_result, &result);
    vt_await_result(&result, 30);
    return vireo_domain_get_xml_finish(d, result, error);
}

static void
test_get_xml(Fixture *fixture, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *live = get_xml(domain(fixture, "alpha"), FALSE, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(live, "<name>alpha</name>"));
    g_assert_nonnull(strstr(live, "<title>Alpha web server</title>"));

    g_autofree char *inactive = get_xml(domain(fixture, "echo"), TRUE, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(inactive, "<uuid>11111111-2222-3333-4444-000000000005</uuid>"));
    g_assert_nonnull(strstr(inactive, "echo-root.qcow2"));
}

static VireoDomain *
define(Fixture *fixture, const char *xml, GError **error)
{
    g_autoptr(GAsyncResult) result = NULL;

    vireo_connection_define_xml_async(fixture->connection, xml, NULL, vt_store_result, &result);
    vt_await_result(&result, 30);
    return vireo_connection_define_xml_finish(fixture->connection, result, error);
}

static const char foxtrot_xml[] =
    "<domain type='test'>"
    "  <name>foxtrot</name>"
    "  <uuid>11111111-2222-3333-4444-000000000006</uuid>"
    "  <title>%s</title>"
    "  <memory unit='KiB'>131072</memory>"
    "  <vcpu>3</vcpu>"
    "  <os><type>hvm</type></os>"
    "</domain>";

static gboolean
title_is_second(gpointer user_data)
{
    return g_strcmp0(vireo_domain_get_title(user_data), "Second") == 0;
}

static void
test_define(Fixture *fixture, gconstpointer data)
{
    GListModel *domains = vireo_connection_get_domains(fixture->connection);
    g_autoptr(GError) error = NULL;
    g_autofree char *first = g_strdup_printf(foxtrot_xml, "First");
    g_autofree char *second = g_strdup_printf(foxtrot_xml, "Second");

    g_autoptr(VireoDomain) foxtrot = define(fixture, first, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(vireo_domain_get_name(foxtrot), ==, "foxtrot");
    g_assert_cmpstr(vireo_domain_get_title(foxtrot), ==, "First");
    g_assert_cmpuint(vireo_domain_get_vcpus(foxtrot), ==, 3);
    g_assert_cmpint(vireo_domain_get_state(foxtrot), ==, VIREO_DOMAIN_STATE_SHUTOFF);
    g_assert_true(vireo_domain_get_persistent(foxtrot));
    /* In the list exactly once, in name order. */
    g_assert_cmpuint(g_list_model_get_n_items(domains), ==, 6);
    g_autoptr(VireoDomain) last = g_list_model_get_item(domains, 5);
    g_assert_true(last == foxtrot);
    vt_spin(100);
    g_assert_cmpuint(g_list_model_get_n_items(domains), ==, 6);

    /* Redefining updates the same object. */
    g_autoptr(VireoDomain) again = define(fixture, second, &error);
    g_assert_no_error(error);
    g_assert_true(again == foxtrot);
    g_assert_true(vt_wait_until(title_is_second, foxtrot, 30));
    g_assert_cmpuint(g_list_model_get_n_items(domains), ==, 6);

    act(foxtrot, VIREO_DOMAIN_ACTION_START);
    vt_wait_state(foxtrot, VIREO_DOMAIN_STATE_RUNNING);
}

static void
test_define_invalid(Fixture *fixture, gconstpointer data)
{
    const char *bad[] = {
        "<domain type='test'><name>broken",
        "<domain type='test'><memory>1</memory></domain>",
        "",
    };

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VireoDomain) d = define(fixture, bad[i], &error);
        g_assert_null(d);
        g_assert_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_XML);
        g_test_message("%s", error->message);
    }
    g_assert_cmpuint(g_list_model_get_n_items(vireo_connection_get_domains(fixture->connection)),
                     ==, 5);
}

static gboolean
delete_domain(VireoDomain *d, VireoDomainDeleteFlags flags, GError **error)
{
    g_autoptr(GAsyncResult) result = NULL;

    vireo_domain_delete_async(d, flags, NULL, vt_store_result, &result);
    vt_await_result(&result, 30);
    return vireo_domain_delete_finish(d, result, error);
}

static GStrv
list_storage(VireoDomain *d)
{
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    vireo_domain_list_storage_async(d, NULL, vt_store_result, &result);
    vt_await_result(&result, 30);
    GStrv paths = vireo_domain_list_storage_finish(d, result, &error);
    g_assert_no_error(error);
    g_assert_nonnull(paths);
    return paths;
}

typedef struct {
    VireoConnection *connection;
    const char *name;
} Absent;

static gboolean
is_absent(gpointer user_data)
{
    Absent *absent = user_data;
    return vireo_connection_lookup_domain_by_name(absent->connection, absent->name) == NULL;
}

static void
wait_absent(Fixture *fixture, const char *name)
{
    Absent absent = {fixture->connection, name};
    g_assert_true(vt_wait_until(is_absent, &absent, 30));
}

static void
test_delete(Fixture *fixture, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VireoDomain) charlie = g_object_ref(domain(fixture, "charlie"));

    /* Paused, so active: deleting stops it first. */
    g_assert_true(vireo_domain_is_active(charlie));
    g_assert_true(delete_domain(charlie, VIREO_DOMAIN_DELETE_NONE, &error));
    g_assert_no_error(error);
    wait_absent(fixture, "charlie");
    g_assert_cmpuint(g_list_model_get_n_items(vireo_connection_get_domains(fixture->connection)),
                     ==, 4);

    /* The removed object is left alone and refuses further work. */
    g_assert_false(vt_action(charlie, VIREO_DOMAIN_ACTION_START, &error));
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_NOT_FOUND);
}

static const char golf_xml[] =
    "<domain type='test'>"
    "  <name>golf</name>"
    "  <uuid>11111111-2222-3333-4444-000000000007</uuid>"
    "  <memory unit='KiB'>131072</memory>"
    "  <os><type>hvm</type></os>"
    "  <devices>"
    "    <disk type='volume' device='disk'>"
    "      <source pool='vireo-pool' volume='echo-root.qcow2'/><target dev='vda'/>"
    "    </disk>"
    "    <disk type='file' device='disk'>"
    "      <source file='%s'/><target dev='vdb'/>"
    "    </disk>"
    "  </devices>"
    "</domain>";

static void
test_delete_storage(Fixture *fixture, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    VireoDomain *echo = domain(fixture, "echo");
    g_autofree char *dir = g_dir_make_tmp("vireo-delete-XXXXXX", &error);
    g_autofree char *plain = g_build_filename(dir, "golf-data.raw", NULL);

    g_assert_no_error(error);
    g_assert_true(g_file_set_contents(plain, "disk", -1, &error));

    /* echo: a pool volume, a file that is a pool volume, and a CD-ROM that stays. */
    g_auto(GStrv) echo_paths = list_storage(echo);
    g_assert_cmpuint(g_strv_length(echo_paths), ==, 2);
    g_assert_true(g_strv_contains((const char *const *)echo_paths,
                                  "/var/lib/vireo-test/pool/echo-root.qcow2"));
    g_assert_true(g_strv_contains((const char *const *)echo_paths,
                                  "/var/lib/vireo-test/pool/echo-data.raw"));

    /* golf shares echo's root volume and has a plain file outside every pool. */
    g_autofree char *xml = g_strdup_printf(golf_xml, plain);
    g_autoptr(VireoDomain) golf = define(fixture, xml, &error);
    g_assert_no_error(error);
    g_auto(GStrv) golf_before = list_storage(golf);
    g_assert_cmpuint(g_strv_length(golf_before), ==, 2);
    g_assert_true(g_strv_contains((const char *const *)golf_before, plain));

    g_assert_true(delete_domain(echo, VIREO_DOMAIN_DELETE_STORAGE, &error));
    g_assert_no_error(error);
    wait_absent(fixture, "echo");

    /* The shared volume is gone; golf's own file is not touched yet. */
    g_auto(GStrv) golf_after = list_storage(golf);
    g_assert_cmpuint(g_strv_length(golf_after), ==, 1);
    g_assert_cmpstr(golf_after[0], ==, plain);
    g_assert_true(g_file_test(plain, G_FILE_TEST_EXISTS));

    /* Without DELETE_STORAGE nothing is removed... */
    g_autofree char *kept_xml = g_strdup_printf(golf_xml, plain);
    g_assert_true(delete_domain(golf, VIREO_DOMAIN_DELETE_NONE, &error));
    g_assert_no_error(error);
    wait_absent(fixture, "golf");
    g_assert_true(g_file_test(plain, G_FILE_TEST_EXISTS));

    /* ...with it, the plain local file is unlinked. */
    g_autoptr(VireoDomain) golf2 = define(fixture, kept_xml, &error);
    g_assert_no_error(error);
    g_assert_true(delete_domain(golf2, VIREO_DOMAIN_DELETE_STORAGE, &error));
    g_assert_no_error(error);
    wait_absent(fixture, "golf");
    g_assert_false(g_file_test(plain, G_FILE_TEST_EXISTS));

    g_rmdir(dir);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    vireo_core_init();

#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/core/domain/lifecycle", test_lifecycle);
    ADD("/core/domain/managed-save", test_managed_save);
    ADD("/core/domain/invalid-action", test_invalid_action);
    ADD("/core/domain/get-xml", test_get_xml);
    ADD("/core/domain/define", test_define);
    ADD("/core/domain/define-invalid", test_define_invalid);
    ADD("/core/domain/delete", test_delete);
    ADD("/core/domain/delete-storage", test_delete_storage);
#undef ADD

    return g_test_run();
}
