/* test-connection.c: opening, listing and closing connections (test driver)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vireo-test-util.h"

static void
record_state(VireoConnection *connection, GParamSpec *pspec, GArray *states)
{
    VireoConnectionState state = vireo_connection_get_state(connection);
    g_array_append_val(states, state);
}

static void
test_open_default(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VireoConnection) connection = vireo_connection_new_for_uri("test:///default", &error);
    g_autoptr(GArray) states = g_array_new(FALSE, FALSE, sizeof(VireoConnectionState));
    g_autofree char *name = NULL;

    g_assert_no_error(error);
    g_assert_cmpint(vireo_connection_get_state(connection), ==,
                    VIREO_CONNECTION_STATE_DISCONNECTED);
    g_assert_cmpstr(vireo_connection_get_uri(connection), ==, "test:///default");
    g_assert_false(vireo_connection_is_remote(connection));
    name = vireo_connection_dup_display_name(connection);
    g_assert_cmpstr(name, ==, "Test");
    g_assert_null(vireo_connection_get_hostname(connection));

    g_signal_connect(connection, "notify::state", G_CALLBACK(record_state), states);
    vt_open(connection);

    g_assert_cmpuint(states->len, ==, 2);
    g_assert_cmpint(g_array_index(states, VireoConnectionState, 0), ==,
                    VIREO_CONNECTION_STATE_CONNECTING);
    g_assert_cmpint(g_array_index(states, VireoConnectionState, 1), ==,
                    VIREO_CONNECTION_STATE_CONNECTED);
    g_assert_null(vireo_connection_get_error_message(connection));
    g_assert_nonnull(vireo_connection_get_hostname(connection));

    GListModel *domains = vireo_connection_get_domains(connection);
    g_assert_true(g_list_model_get_item_type(domains) == VIREO_TYPE_DOMAIN);
    g_assert_cmpuint(g_list_model_get_n_items(domains), ==, 1);
    VireoDomain *test = vireo_connection_lookup_domain_by_name(connection, "test");
    g_assert_nonnull(test);
    g_assert_true(vireo_domain_get_connection(test) == connection);
    g_assert_true(vireo_connection_lookup_domain_by_uuid(connection, vireo_domain_get_uuid(test)) ==
                  test);
    g_assert_cmpint(vireo_domain_get_state(test), ==, VIREO_DOMAIN_STATE_RUNNING);

    /* Opening an open connection is a no-op that succeeds. */
    vt_open(connection);
    g_assert_cmpuint(states->len, ==, 2);

    vireo_connection_close(connection);
    /* A task still in flight may keep the connection past this test:
     * its handlers must not outlive the data they write to. */
    g_signal_handlers_disconnect_by_data(connection, states);
}

typedef struct {
    const char *name;
    const char *uuid;
    VireoDomainState state;
    guint vcpus;
    guint64 memory;
    guint64 max_memory;
    const char *title;
    gboolean managed_save;
} Expected;

static void
test_list_node(void)
{
    g_autofree char *uri = vt_test_node_uri();
    g_autoptr(VireoConnection) connection = vt_connect(uri);
    const Expected expected[] = {
        {"alpha", "11111111-2222-3333-4444-000000000001", VIREO_DOMAIN_STATE_RUNNING, 2, 524288,
         1048576, "Alpha web server", FALSE},
        {"bravo", "11111111-2222-3333-4444-000000000002", VIREO_DOMAIN_STATE_SHUTOFF, 1, 2097152,
         2097152, NULL, FALSE},
        {"charlie", "11111111-2222-3333-4444-000000000003", VIREO_DOMAIN_STATE_PAUSED, 4, 524288,
         524288, NULL, FALSE},
        {"delta", "11111111-2222-3333-4444-000000000004", VIREO_DOMAIN_STATE_SHUTOFF, 1, 262144,
         262144, NULL, TRUE},
        {"echo", "11111111-2222-3333-4444-000000000005", VIREO_DOMAIN_STATE_SHUTOFF, 2, 1048576,
         1048576, NULL, FALSE},
    };
    GListModel *domains = vireo_connection_get_domains(connection);

    /* Sorted by name. */
    g_assert_cmpuint(g_list_model_get_n_items(domains), ==, G_N_ELEMENTS(expected));
    for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
        g_autoptr(VireoDomain) domain = g_list_model_get_item(domains, i);
        g_assert_cmpstr(vireo_domain_get_name(domain), ==, expected[i].name);
        g_assert_cmpstr(vireo_domain_get_uuid(domain), ==, expected[i].uuid);
        g_assert_cmpint(vireo_domain_get_state(domain), ==, expected[i].state);
        g_assert_cmpuint(vireo_domain_get_vcpus(domain), ==, expected[i].vcpus);
        g_assert_cmpuint(vireo_domain_get_memory(domain), ==, expected[i].memory);
        g_assert_cmpuint(vireo_domain_get_max_memory(domain), ==, expected[i].max_memory);
        g_assert_cmpstr(vireo_domain_get_title(domain), ==, expected[i].title);
        g_assert_cmpint(vireo_domain_get_has_managed_save(domain), ==, expected[i].managed_save);
        g_assert_true(vireo_domain_get_persistent(domain));
        g_assert_nonnull(vireo_domain_get_stats(domain));
        g_assert_true(vireo_connection_lookup_domain_by_uuid(connection, expected[i].uuid) ==
                      domain);
    }
    g_assert_null(vireo_connection_lookup_domain_by_name(connection, "zulu"));
    g_assert_null(vireo_connection_lookup_domain_by_uuid(connection,
                                                         "00000000-0000-0000-0000-000000000000"));
}

static void
count_items_changed(GListModel *model, guint position, guint removed, guint added, guint *count)
{
    (*count)++;
}

static void
test_close_and_reopen(void)
{
    g_autofree char *uri = vt_test_node_uri();
    g_autoptr(VireoConnection) connection = vt_connect(uri);
    GListModel *domains = vireo_connection_get_domains(connection);
    guint changes = 0;

    g_autoptr(VireoDomain) alpha = g_object_ref(vireo_connection_lookup_domain_by_name(connection, "alpha"));
    g_signal_connect(domains, "items-changed", G_CALLBACK(count_items_changed), &changes);

    vireo_connection_close(connection);
    g_assert_cmpint(vireo_connection_get_state(connection), ==,
                    VIREO_CONNECTION_STATE_DISCONNECTED);
    /* A clean close has no error to show. */
    g_assert_null(vireo_connection_get_error_message(connection));
    g_assert_null(vireo_connection_get_hostname(connection));
    g_assert_cmpuint(g_list_model_get_n_items(domains), ==, 0);
    g_assert_cmpuint(changes, >=, 1);

    /* A domain kept across the close refuses to act, with a reason. */
    g_autoptr(GError) error = NULL;
    g_assert_false(vt_action(alpha, VIREO_DOMAIN_ACTION_PAUSE, &error));
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_NOT_CONNECTED);
    g_assert_nonnull(strstr(error->message, "alpha"));

    /* Closing twice is harmless; reopening brings the VMs back. */
    vireo_connection_close(connection);
    vt_open(connection);
    g_assert_cmpuint(g_list_model_get_n_items(domains), ==, 5);
    g_assert_nonnull(vireo_connection_lookup_domain_by_name(connection, "alpha"));
    /* The teardown of the first session may keep the connection past this
     * test: the handler must not write to this frame once it is gone. */
    g_signal_handlers_disconnect_by_data(domains, &changes);
}

static void
test_bad_uri(void)
{
    const char *bad[] = {"", "system", "qemu:///sys tem", "test://x y/"};

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VireoConnection) connection = vireo_connection_new_for_uri(bad[i], &error);
        g_assert_null(connection);
        g_assert_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_URI);
        g_assert_nonnull(strstr(error->message, "qemu:///system"));
    }
}

/* vireo:///session is the embedded backend; other vireo: URIs name nothing */
static void
test_embedded_uri(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VireoConnection) connection = vireo_connection_new_for_uri("vireo:///session", &error);
    g_autoptr(VireoConnection) other = NULL;

    g_assert_no_error(error);
    g_assert_nonnull(connection);
    g_assert_false(vireo_connection_is_remote(connection));
    other = vireo_connection_new_for_uri("vireo:///system", &error);
    g_assert_null(other);
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_URI);
    g_assert_nonnull(strstr(error->message, "vireo:///session"));
}

static void
test_missing_node_file(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(VireoConnection) connection =
        vireo_connection_new_for_uri("test:///nonexistent/vireo-node.xml", &error);

    g_assert_no_error(error);
    vireo_connection_open_async(connection, NULL, vt_store_result, &result);
    vt_await_result(&result, 30);
    g_assert_false(vireo_connection_open_finish(connection, result, &error));
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_XML);
    g_assert_nonnull(strstr(error->message, "vireo-node.xml"));
    g_assert_cmpint(vireo_connection_get_state(connection), ==,
                    VIREO_CONNECTION_STATE_DISCONNECTED);
    g_assert_cmpstr(vireo_connection_get_error_message(connection), ==, error->message);
}

static void
test_unreachable(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(VireoConnection) connection =
        vireo_connection_new_for_uri("qemu+tcp://127.0.0.1:1/system", &error);

    g_assert_no_error(error);
    g_assert_true(vireo_connection_is_remote(connection));
    vireo_connection_open_async(connection, NULL, vt_store_result, &result);
    vt_await_result(&result, 30);
    g_assert_false(vireo_connection_open_finish(connection, result, &error));
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_UNREACHABLE);
    g_test_message("unreachable: %s", error->message);
    /* What happened (libvirt's words) and what to do. */
    g_assert_nonnull(strstr(error->message, "Connection refused"));
    g_assert_nonnull(strstr(error->message, "Check that the host is up"));
    g_assert_cmpint(vireo_connection_get_state(connection), ==,
                    VIREO_CONNECTION_STATE_DISCONNECTED);
    g_assert_cmpstr(vireo_connection_get_error_message(connection), ==, error->message);
    g_assert_cmpuint(g_list_model_get_n_items(vireo_connection_get_domains(connection)), ==, 0);
}

/* A TCP server on loopback that accepts and never answers: libvirt's open
 * waits for a reply that does not come. */
typedef struct {
    GSocketService *service;
    GPtrArray *clients;
    guint16 port;
} SilentServer;

static gboolean
silent_accept(GSocketService *service, GSocketConnection *client, GObject *source,
              gpointer user_data)
{
    SilentServer *server = user_data;

    g_ptr_array_add(server->clients, g_object_ref(client));
    return TRUE;
}

static void
silent_server_start(SilentServer *server)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, 0);
    g_autoptr(GSocketAddress) effective = NULL;

    server->service = g_socket_service_new();
    server->clients = g_ptr_array_new_with_free_func(g_object_unref);
    g_socket_listener_add_address(G_SOCKET_LISTENER(server->service), address,
                                  G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &effective,
                                  &error);
    g_assert_no_error(error);
    server->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(effective));
    g_signal_connect(server->service, "incoming", G_CALLBACK(silent_accept), server);
    g_socket_service_start(server->service);
}

static char *
silent_server_uri(SilentServer *server)
{
    return g_strdup_printf("qemu+tcp://127.0.0.1:%u/system", server->port);
}

/* Closing the sockets lets the abandoned open thread finish. */
static void
silent_server_stop(SilentServer *server)
{
    g_socket_service_stop(server->service);
    g_socket_listener_close(G_SOCKET_LISTENER(server->service));
    for (guint i = 0; i < server->clients->len; i++)
        g_io_stream_close(server->clients->pdata[i], NULL, NULL);
    g_ptr_array_unref(server->clients);
    g_object_unref(server->service);
    vt_spin(200);
}

static void
test_open_timeout(void)
{
    SilentServer server = {0};
    g_autoptr(GError) error = NULL;
    g_autoptr(GAsyncResult) result = NULL;

    silent_server_start(&server);
    g_autofree char *uri = silent_server_uri(&server);
    g_autoptr(VireoConnection) connection = vireo_connection_new_for_uri(uri, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(vireo_connection_get_open_timeout(connection), ==, 30);
    vireo_connection_set_open_timeout(connection, 1);

    gint64 start = g_get_monotonic_time();
    vireo_connection_open_async(connection, NULL, vt_store_result, &result);
    g_assert_cmpint(vireo_connection_get_state(connection), ==,
                    VIREO_CONNECTION_STATE_CONNECTING);
    vt_await_result(&result, 20);
    g_test_message("timed out after %.2f s",
                   (g_get_monotonic_time() - start) / (double)G_USEC_PER_SEC);
    g_assert_false(vireo_connection_open_finish(connection, result, &error));
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_TIMED_OUT);
    g_assert_nonnull(strstr(error->message, "1 second"));
    g_assert_cmpint(vireo_connection_get_state(connection), ==,
                    VIREO_CONNECTION_STATE_DISCONNECTED);
    g_assert_cmpstr(vireo_connection_get_error_message(connection), ==, error->message);
    g_assert_cmpuint(server.clients->len, >=, 1);

    silent_server_stop(&server);
}

static gboolean
cancel_soon(gpointer user_data)
{
    g_cancellable_cancel(user_data);
    return G_SOURCE_REMOVE;
}

static void
test_open_cancel(void)
{
    SilentServer server = {0};
    g_autoptr(GError) error = NULL;
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GCancellable) cancellable = g_cancellable_new();

    silent_server_start(&server);
    g_autofree char *uri = silent_server_uri(&server);
    g_autoptr(VireoConnection) connection = vireo_connection_new_for_uri(uri, &error);
    g_assert_no_error(error);

    vireo_connection_open_async(connection, cancellable, vt_store_result, &result);
    g_timeout_add(300, cancel_soon, cancellable);
    vt_await_result(&result, 20);
    g_assert_false(vireo_connection_open_finish(connection, result, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_cmpint(vireo_connection_get_state(connection), ==,
                    VIREO_CONNECTION_STATE_DISCONNECTED);
    /* The user cancelled: nothing to report. */
    g_assert_null(vireo_connection_get_error_message(connection));

    silent_server_stop(&server);
}

static void
test_close_while_connecting(void)
{
    SilentServer server = {0};
    g_autoptr(GError) error = NULL;
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GAsyncResult) second = NULL;

    silent_server_start(&server);
    g_autofree char *uri = silent_server_uri(&server);
    g_autoptr(VireoConnection) connection = vireo_connection_new_for_uri(uri, &error);
    g_assert_no_error(error);

    vireo_connection_open_async(connection, NULL, vt_store_result, &result);
    /* A second open while the first runs is refused. */
    vireo_connection_open_async(connection, NULL, vt_store_result, &second);
    vt_await_result(&second, 5);
    g_assert_false(vireo_connection_open_finish(connection, second, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_PENDING);
    g_clear_error(&error);

    vireo_connection_close(connection);
    g_assert_cmpint(vireo_connection_get_state(connection), ==,
                    VIREO_CONNECTION_STATE_DISCONNECTED);
    vt_await_result(&result, 20);
    g_assert_false(vireo_connection_open_finish(connection, result, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_cmpint(vireo_connection_get_state(connection), ==,
                    VIREO_CONNECTION_STATE_DISCONNECTED);

    silent_server_stop(&server);
}

static void
test_define_needs_connection(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(VireoConnection) connection = vireo_connection_new_for_uri("test:///default", &error);

    vireo_connection_define_xml_async(connection, "<domain/>", NULL, vt_store_result, &result);
    vt_await_result(&result, 5);
    g_assert_null(vireo_connection_define_xml_finish(connection, result, &error));
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_NOT_CONNECTED);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    vireo_core_init();

    g_test_add_func("/core/connection/open-default", test_open_default);
    g_test_add_func("/core/connection/list-node", test_list_node);
    g_test_add_func("/core/connection/close-and-reopen", test_close_and_reopen);
    g_test_add_func("/core/connection/bad-uri", test_bad_uri);
    g_test_add_func("/core/connection/embedded-uri", test_embedded_uri);
    g_test_add_func("/core/connection/missing-node-file", test_missing_node_file);
    g_test_add_func("/core/connection/unreachable", test_unreachable);
    g_test_add_func("/core/connection/open-timeout", test_open_timeout);
    g_test_add_func("/core/connection/open-cancel", test_open_cancel);
    g_test_add_func("/core/connection/close-while-connecting", test_close_while_connecting);
    g_test_add_func("/core/connection/define-needs-connection", test_define_needs_connection);

    return g_test_run();
}
