/* test-console.c: opening consoles, the paths that need no real guest
 *
 * The test driver has neither VNC servers nor serial streams, so here every
 * open must fail, at once and with the error the console page shows.  The
 * libvirt suite opens real ones.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
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

/* Opens the graphical (@graphics) or serial console of @name; returns the
 * fd or -1 with @error set. */
static int
open_console(Fixture *fixture, const char *name, gboolean graphics, GError **error)
{
    VireoDomain *d = vireo_connection_lookup_domain_by_name(fixture->connection, name);
    g_autoptr(GAsyncResult) result = NULL;

    g_assert_nonnull(d);
    if (graphics)
        vireo_domain_open_graphics_async(d, NULL, vt_store_result, &result);
    else
        vireo_domain_open_serial_async(d, NULL, vt_store_result, &result);
    vt_await_result(&result, 30);
    return graphics ? vireo_domain_open_graphics_finish(d, result, error)
                    : vireo_domain_open_serial_finish(d, result, error);
}

static void
test_not_running(Fixture *fixture, gconstpointer data)
{
    for (int graphics = 0; graphics <= 1; graphics++) {
        g_autoptr(GError) error = NULL;

        g_assert_cmpint(open_console(fixture, "bravo", graphics, &error), ==, -1);
        g_assert_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_STATE);
        g_assert_nonnull(strstr(error->message, "bravo"));
        g_assert_nonnull(strstr(error->message, "Start it"));
    }
}

static void
test_no_console(Fixture *fixture, gconstpointer data)
{
    /* alpha runs but has no <graphics> and the test driver opens no
     * consoles. */
    for (int graphics = 0; graphics <= 1; graphics++) {
        g_autoptr(GError) error = NULL;

        g_assert_cmpint(open_console(fixture, "alpha", graphics, &error), ==, -1);
        g_assert_error(error, VIREO_ERROR, VIREO_ERROR_NOT_SUPPORTED);
        g_assert_nonnull(strstr(error->message, "alpha"));
    }
}

static void
test_closed_connection(Fixture *fixture, gconstpointer data)
{
    g_autoptr(VireoDomain) d =
        g_object_ref(vireo_connection_lookup_domain_by_name(fixture->connection, "alpha"));
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    vireo_connection_close(fixture->connection);
    vireo_domain_open_graphics_async(d, NULL, vt_store_result, &result);
    vt_await_result(&result, 30);
    g_assert_cmpint(vireo_domain_open_graphics_finish(d, result, &error), ==, -1);
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_NOT_CONNECTED);
}

static void
test_cancelled(Fixture *fixture, gconstpointer data)
{
    VireoDomain *d = vireo_connection_lookup_domain_by_name(fixture->connection, "alpha");
    g_autoptr(GCancellable) cancellable = g_cancellable_new();
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    g_cancellable_cancel(cancellable);
    vireo_domain_open_serial_async(d, cancellable, vt_store_result, &result);
    vt_await_result(&result, 30);
    g_assert_cmpint(vireo_domain_open_serial_finish(d, result, &error), ==, -1);
    g_assert_nonnull(error);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    vireo_core_init();

#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/core/console/not-running", test_not_running);
    ADD("/core/console/no-console", test_no_console);
    ADD("/core/console/closed-connection", test_closed_connection);
    ADD("/core/console/cancelled", test_cancelled);
    return g_test_run();
}
