/* vireo-test-util.c: waiting on the main loop in libvireo tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vireo-test-util.h"

#define DEFAULT_WAIT 60

void
vt_store_result(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GAsyncResult **slot = user_data;

    g_assert_null(*slot);
    *slot = g_object_ref(result);
}

static gboolean
flag_timeout(gpointer user_data)
{
    *(gboolean *)user_data = TRUE;
    return G_SOURCE_REMOVE;
}

gboolean
vt_wait_until(VtPredicate predicate, gpointer user_data, guint seconds)
{
    gboolean timed_out = FALSE;
    guint id = g_timeout_add_seconds(seconds, flag_timeout, &timed_out);

    while (!predicate(user_data) && !timed_out)
        g_main_context_iteration(NULL, TRUE);
    if (!timed_out)
        g_source_remove(id);
    return predicate(user_data);
}

static gboolean
result_is_set(gpointer user_data)
{
    return *(GAsyncResult **)user_data != NULL;
}

void
vt_await_result(GAsyncResult **slot, guint seconds)
{
    if (!vt_wait_until(result_is_set, slot, seconds))
        g_error("no result within %u seconds", seconds);
}

void
vt_spin(guint msec)
{
    gboolean done = FALSE;

    g_timeout_add(msec, flag_timeout, &done);
    while (!done)
        g_main_context_iteration(NULL, TRUE);
}

void
vt_open(VireoConnection *connection)
{
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    vireo_connection_open_async(connection, NULL, vt_store_result, &result);
    vt_await_result(&result, DEFAULT_WAIT);
    g_assert_true(vireo_connection_open_finish(connection, result, &error));
    g_assert_no_error(error);
    g_assert_cmpint(vireo_connection_get_state(connection), ==,
                    VIREO_CONNECTION_STATE_CONNECTED);
}

VireoConnection *
vt_connect(const char *uri)
{
    g_autoptr(GError) error = NULL;
    VireoConnection *connection = vireo_connection_new_for_uri(uri, &error);

    g_assert_no_error(error);
    g_assert_nonnull(connection);
    vt_open(connection);
    return connection;
}

gboolean
vt_action(VireoDomain *domain, VireoDomainAction action, GError **error)
{
    g_autoptr(GAsyncResult) result = NULL;

    vireo_domain_action_async(domain, action, NULL, vt_store_result, &result);
    vt_await_result(&result, DEFAULT_WAIT);
    return vireo_domain_action_finish(domain, result, error);
}

typedef struct {
    VireoDomain *domain;
    VireoDomainState state;
} StateWait;

static gboolean
state_reached(gpointer user_data)
{
    StateWait *wait = user_data;

    return vireo_domain_get_state(wait->domain) == wait->state;
}

void
vt_wait_state(VireoDomain *domain, VireoDomainState state)
{
    StateWait wait = {domain, state};

    if (!vt_wait_until(state_reached, &wait, DEFAULT_WAIT))
        g_error("“%s” stayed %s instead of becoming %s", vireo_domain_get_name(domain),
                vireo_domain_state_to_string(vireo_domain_get_state(domain)),
                vireo_domain_state_to_string(state));
}

char *
vt_test_node_uri(void)
{
    g_autofree char *path = g_test_build_filename(G_TEST_DIST, "core", "test-node.xml", NULL);
    g_autofree char *absolute = g_canonicalize_filename(path, NULL);

    return g_strconcat("test://", absolute, NULL);
}
