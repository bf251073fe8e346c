/* vireo-libvirt-console.c: where a libvirt domain's consoles are
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vireo-connection.h"
#include "vireo-libvirt-connection.h"
#include "vireo-libvirt-console.h"
#include "vireo-libvirt-domain.h"
#include "vireo-libvirt-util.h"
#include "vireo-ssh.h"
#include "vireo-uri.h"

/* Graphics -------------------------------------------------------------- */

void
vireo_libvirt_consoles_clear(VireoLibvirtConsoles *graphics)
{
    g_clear_pointer(&graphics->address, g_free);
    g_clear_pointer(&graphics->socket, g_free);
    g_clear_pointer(&graphics->other_type, g_free);
}

typedef struct {
    VireoLibvirtConsoles *graphics;
    int count;           /* <graphics> seen so far */
    gboolean in_vnc;     /* inside the chosen <graphics> */
} ConsolesParser;

static void
consoles_start(GMarkupParseContext *context, const char *element, const char **names,
               const char **values, gpointer user_data, GError **error)
{
    ConsolesParser *parser = user_data;
    VireoLibvirtConsoles *graphics = parser->graphics;
    const GSList *stack = g_markup_parse_context_get_element_stack(context);

    if ((g_str_equal(element, "serial") || g_str_equal(element, "console")) && stack->next &&
        g_str_equal(stack->next->data, "devices"))
        graphics->has_text = TRUE;
    if (g_str_equal(element, "graphics") && stack->next &&
        g_str_equal(stack->next->data, "devices")) {
        const char *type = vireo_libvirt_markup_attribute(names, values, "type");
        int index = parser->count++;

        if (graphics->found || !type)
            return;
        if (!g_str_equal(type, "vnc")) {
            if (!graphics->other_type)
                graphics->other_type = g_strdup(type);
            return;
        }
        const char *port = vireo_libvirt_markup_attribute(names, values, "port");
        const char *listen = vireo_libvirt_markup_attribute(names, values, "listen");
        const char *socket = vireo_libvirt_markup_attribute(names, values, "socket");
        graphics->found = TRUE;
        graphics->index = index;
        graphics->port = port ? (int)g_ascii_strtoll(port, NULL, 10) : -1;
        if (graphics->port <= 0)
            graphics->port = -1;
        graphics->address = g_strdup(listen);
        graphics->socket = g_strdup(socket);
        parser->in_vnc = TRUE;
        return;
    }
    if (parser->in_vnc && g_str_equal(element, "listen") && stack->next &&
        g_str_equal(stack->next->data, "graphics")) {
        const char *type = vireo_libvirt_markup_attribute(names, values, "type");
        const char *address = vireo_libvirt_markup_attribute(names, values, "address");
        const char *socket = vireo_libvirt_markup_attribute(names, values, "socket");

        if (g_strcmp0(type, "none") == 0)
            graphics->no_listen = TRUE;
        if (address && !graphics->address)
            graphics->address = g_strdup(address);
        if (socket && !graphics->socket)
            graphics->socket = g_strdup(socket);
    }
}

static void
consoles_end(GMarkupParseContext *context, const char *element, gpointer user_data,
             GError **error)
{
    ConsolesParser *parser = user_data;

    if (g_str_equal(element, "graphics"))
        parser->in_vnc = FALSE;
}

gboolean
vireo_libvirt_parse_consoles(const char *xml, VireoLibvirtConsoles *graphics, GError **error)
{
    static const GMarkupParser callbacks = {
        .start_element = consoles_start,
        .end_element = consoles_end,
    };
    ConsolesParser parser = {.graphics = graphics};

    memset(graphics, 0, sizeof *graphics);
    graphics->port = -1;
    g_autoptr(GMarkupParseContext) context =
        g_markup_parse_context_new(&callbacks, G_MARKUP_IGNORE_QUALIFIED, &parser, NULL);
    if (!g_markup_parse_context_parse(context, xml, -1, error) ||
        !g_markup_parse_context_end_parse(context, error)) {
        vireo_libvirt_consoles_clear(graphics);
        return FALSE;
    }
    return TRUE;
}

static gboolean
is_wildcard(const char *address)
{
    return !address || !*address || g_str_equal(address, "0.0.0.0") ||
           g_str_equal(address, "::") || g_str_equal(address, "[::]");
}

char *
vireo_libvirt_consoles_dup_vnc_target(const VireoLibvirtConsoles *graphics)
{
    g_return_val_if_fail(graphics != NULL, NULL);

    if (!graphics->found || graphics->no_listen)
        return NULL;
    if (graphics->socket)
        return g_strdup(graphics->socket);
    if (graphics->port <= 0)
        return NULL;
    if (is_wildcard(graphics->address))
        return g_strdup_printf("127.0.0.1:%d", graphics->port);
    return g_strdup_printf("%s:%d", graphics->address, graphics->port);
}

/* The stream bridge ----------------------------------------------------- */

#define BRIDGE_BUFFER 65536

typedef struct {
    char data[BRIDGE_BUFFER];
    gsize len;
    gsize off;
} Buffer;

typedef struct {
    gatomicrefcount ref; /* one while open, one per registered callback */
    virStreamPtr stream;
    int fd;
    int watch;
    gboolean closed;
    Buffer to_socket; /* from the guest */
    Buffer to_stream; /* from the user */
} Bridge;

static void
bridge_unref(void *opaque)
{
    Bridge *bridge = opaque;

    if (g_atomic_ref_count_dec(&bridge->ref))
        g_free(bridge);
}

static void
stream_end_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    virStreamPtr stream = task_data;

    /* A console has no end of data to confirm: abort, which never waits
     * for the guest. */
    virStreamAbort(stream);
    virStreamFree(stream);
    virResetLastError();
}

static void
bridge_close(Bridge *bridge)
{
    if (bridge->closed)
        return;
    bridge->closed = TRUE;

    virStreamEventRemoveCallback(bridge->stream);
    virEventRemoveHandle(bridge->watch);
    close(bridge->fd);
    bridge->fd = -1;

    /* virStreamAbort is a round trip to the daemon: not on the main loop. */
    g_autoptr(GTask) task = g_task_new(NULL, NULL, NULL, NULL);
    g_task_set_source_tag(task, bridge_close);
    g_task_set_task_data(task, g_steal_pointer(&bridge->stream), NULL);
    g_task_run_in_thread(task, stream_end_thread);

    bridge_unref(bridge);
}

/* Writes what is buffered for the socket; FALSE when the bridge closed. */
static gboolean
pump_to_socket(Bridge *bridge)
{
    Buffer *buffer = &bridge->to_socket;

    while (buffer->off < buffer->len) {
        ssize_t n = write(bridge->fd, buffer->data + buffer->off, buffer->len - buffer->off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return TRUE;
            bridge_close(bridge);
            return FALSE;
        }
        buffer->off += n;
    }
    buffer->len = buffer->off = 0;
    return TRUE;
}

static gboolean
pump_to_stream(Bridge *bridge)
{
    Buffer *buffer = &bridge->to_stream;

    while (buffer->off < buffer->len) {
        int n = virStreamSend(bridge->stream, buffer->data + buffer->off,
                              buffer->len - buffer->off);
        if (n == -2)
            return TRUE;
        if (n < 0) {
            bridge_close(bridge);
            return FALSE;
        }
        buffer->off += n;
    }
    buffer->len = buffer->off = 0;
    return TRUE;
}

/* Wait only for what can move: read a side while its buffer is empty,
 * write a side while something waits for it. */
static void
bridge_update(Bridge *bridge)
{
    if (bridge->closed)
        return;

    int stream_events = VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;
    if (bridge->to_socket.len == 0)
        stream_events |= VIR_STREAM_EVENT_READABLE;
    if (bridge->to_stream.len > 0)
        stream_events |= VIR_STREAM_EVENT_WRITABLE;
    virStreamEventUpdateCallback(bridge->stream, stream_events);

    int fd_events = 0;
    if (bridge->to_stream.len == 0)
        fd_events |= VIR_EVENT_HANDLE_READABLE;
    if (bridge->to_socket.len > 0)
        fd_events |= VIR_EVENT_HANDLE_WRITABLE;
    virEventUpdateHandle(bridge->watch, fd_events);
}

static void
stream_event(virStreamPtr stream, int events, void *opaque)
{
    Bridge *bridge = opaque;

    if (bridge->closed)
        return;

    if ((events & VIR_STREAM_EVENT_READABLE) && bridge->to_socket.len == 0) {
        int n = virStreamRecv(stream, bridge->to_socket.data, BRIDGE_BUFFER);
        if (n > 0) {
            bridge->to_socket.len = n;
            if (!pump_to_socket(bridge))
                return;
        } else if (n != -2) {
            /* 0: the guest side ended (VM stopped, console taken over). */
            bridge_close(bridge);
            return;
        }
    }
    if ((events & VIR_STREAM_EVENT_WRITABLE) && !pump_to_stream(bridge))
        return;
    if ((events & (VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP)) &&
        !(events & VIR_STREAM_EVENT_READABLE)) {
        bridge_close(bridge);
        return;
    }
    bridge_update(bridge);
}

static void
socket_event(int watch, int fd, int events, void *opaque)
{
    Bridge *bridge = opaque;

    if (bridge->closed)
        return;

    if ((events & VIR_EVENT_HANDLE_READABLE) && bridge->to_stream.len == 0) {
        ssize_t n = read(fd, bridge->to_stream.data, BRIDGE_BUFFER);
        if (n > 0) {
            bridge->to_stream.len = n;
            if (!pump_to_stream(bridge))
                return;
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            /* The console was closed in the app. */
            bridge_close(bridge);
            return;
        }
    }
    if ((events & VIR_EVENT_HANDLE_WRITABLE) && !pump_to_socket(bridge))
        return;
    if ((events & (VIR_EVENT_HANDLE_ERROR | VIR_EVENT_HANDLE_HANGUP)) &&
        !(events & VIR_EVENT_HANDLE_READABLE)) {
        bridge_close(bridge);
        return;
    }
    bridge_update(bridge);
}

int
vireo_libvirt_stream_bridge_new(virStreamPtr stream, GError **error)
{
    int fds[2];

    g_return_val_if_fail(stream != NULL, -1);

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0 ||
        !g_unix_set_fd_nonblocking(fds[0], TRUE, NULL)) {
        int saved_errno = errno;
        virStreamAbort(stream);
        virStreamFree(stream);
        g_set_error(error, VIREO_ERROR, VIREO_ERROR_FAILED,
                    _("Could not create a socket for the serial console: %s"),
                    g_strerror(saved_errno));
        return -1;
    }

    Bridge *bridge = g_new0(Bridge, 1);
    g_atomic_ref_count_init(&bridge->ref);
    bridge->stream = stream;
    bridge->fd = fds[0];

    g_atomic_ref_count_inc(&bridge->ref);
    bridge->watch = virEventAddHandle(bridge->fd, VIR_EVENT_HANDLE_READABLE, socket_event,
                                      bridge, bridge_unref);
    if (bridge->watch < 0) {
        bridge_unref(bridge);
        goto fail;
    }
    g_atomic_ref_count_inc(&bridge->ref);
    if (virStreamEventAddCallback(stream,
                                  VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR |
                                      VIR_STREAM_EVENT_HANGUP,
                                  stream_event, bridge, bridge_unref) < 0) {
        bridge_unref(bridge);
        goto fail;
    }
    return fds[1];

fail:
    g_set_error(error, VIREO_ERROR, VIREO_ERROR_FAILED,
                _("Could not watch the serial console: %s"),
                vireo_libvirt_last_error_message());
    bridge_close(bridge);
    close(fds[1]);
    return -1;
}

/* Opening consoles ------------------------------------------------------ */

/* How long a console may take to answer before the page says why not. */
#define CONNECT_TIMEOUT_SECONDS 20

typedef struct {
    virDomainPtr handle;
    char *name;
    char *uri;
    gboolean remote;
    gboolean ssh;
    /* Results */
    int fd;             /* connected already */
    char *ssh_target;   /* to forward through the master */
    virStreamPtr stream; /* serial */
    guint banner_source;
    guint timeout_source;
} ConsoleJob;

static void
console_job_free(ConsoleJob *job)
{
    g_clear_handle_id(&job->banner_source, g_source_remove);
    g_clear_handle_id(&job->timeout_source, g_source_remove);
    if (job->fd >= 0)
        close(job->fd);
    if (job->stream) {
        virStreamAbort(job->stream);
        virStreamFree(job->stream);
    }
    g_clear_pointer(&job->handle, virDomainFree);
    g_free(job->name);
    g_free(job->uri);
    g_free(job->ssh_target);
    g_free(job);
}

static GTask *
console_task_new(VireoDomain *domain, GCancellable *cancellable, GAsyncReadyCallback callback,
                 gpointer user_data, gpointer source_tag)
{
    GTask *task = g_task_new(domain, cancellable, callback, user_data);
    ConsoleJob *job = g_new0(ConsoleJob, 1);
    VireoConnection *connection = vireo_domain_get_connection(domain);

    g_task_set_source_tag(task, source_tag);
    job->handle = vireo_libvirt_domain_get_handle(VIREO_LIBVIRT_DOMAIN(domain));
    virDomainRef(job->handle);
    job->name = g_strdup(vireo_domain_get_name(domain));
    job->uri = g_strdup(connection ? vireo_connection_get_uri(connection) : NULL);
    job->remote = connection ? vireo_connection_is_remote(connection) : TRUE;
    job->ssh = vireo_ssh_uri_is_ssh(job->uri);
    job->fd = -1;
    g_task_set_task_data(task, job, (GDestroyNotify)console_job_free);
    return task;
}

/* Blocking: the live XML, parsed. */
static gboolean
read_consoles(ConsoleJob *job, VireoLibvirtConsoles *consoles, GError **error)
{
    char *xml = virDomainGetXMLDesc(job->handle, 0);

    if (!xml) {
        VireoError code = vireo_libvirt_classify_error(virGetLastError(), VIREO_ERROR_FAILED);
        if (code == VIREO_ERROR_INVALID_STATE)
            g_set_error(error, VIREO_ERROR, code,
                        _("“%s” is not running. Start it to see its console."), job->name);
        else
            g_set_error(error, VIREO_ERROR, code, _("Could not read the definition of “%s”: %s"),
                        job->name, vireo_libvirt_last_error_message());
        return FALSE;
    }
    gboolean ok = vireo_libvirt_parse_consoles(xml, consoles, error);
    free(xml);
    return ok;
}

/* The start of a console thread: FALSE when @task got its answer already. */
static gboolean
console_thread_begin(GTask *task, ConsoleJob *job, VireoLibvirtConsoles *consoles)
{
    GError *error = NULL;

    if (g_task_return_error_if_cancelled(task))
        return FALSE;
    if (!read_consoles(job, consoles, &error)) {
        g_task_return_error(task, error);
        return FALSE;
    }
    return TRUE;
}

/* The outer task answers the caller; the inner one works in a thread and
 * hands the rest to @done on the main context. */
static void
console_run(VireoDomain *domain, GCancellable *cancellable, GAsyncReadyCallback callback,
            gpointer user_data, gpointer source_tag, GTaskThreadFunc thread,
            GAsyncReadyCallback done)
{
    g_autoptr(GTask) task = console_task_new(domain, cancellable, callback, user_data, source_tag);
    g_autoptr(GTask) inner =
        console_task_new(domain, cancellable, done, g_steal_pointer(&task), thread);
    g_task_run_in_thread(inner, thread);
}

static int
console_finish(VireoDomain *domain, GAsyncResult *result, GError **error)
{
    return (int)g_task_propagate_int(G_TASK(result), error);
}

static gboolean
is_loopback(const char *address)
{
    return g_str_has_prefix(address, "127.") || g_str_equal(address, "::1") ||
           g_str_equal(address, "localhost");
}

/* Blocking connect to "address:port" or a socket path; a dup'ed fd. */
static int
connect_to(const char *target, GCancellable *cancellable, GError **error)
{
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketConnectable) address = NULL;

    if (target[0] == '/')
        address = G_SOCKET_CONNECTABLE(g_unix_socket_address_new(target));
    else if (!(address = g_network_address_parse(target, 5900, error)))
        return -1;
    g_socket_client_set_timeout(client, CONNECT_TIMEOUT_SECONDS);
    g_autoptr(GSocketConnection) connection =
        g_socket_client_connect(client, address, cancellable, error);
    if (!connection)
        return -1;
    return fcntl(g_socket_get_fd(g_socket_connection_get_socket(connection)), F_DUPFD_CLOEXEC,
                 3);
}

static void
graphics_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    ConsoleJob *job = task_data;
    g_auto(VireoLibvirtConsoles) consoles = {0};

    if (!console_thread_begin(task, job, &consoles))
        return;
    if (!consoles.found) {
        if (consoles.other_type)
            g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_NOT_SUPPORTED,
                                    _("“%s” shows its screen over %s, which Vireo cannot "
                                      "display. Give it a VNC display instead."),
                                    job->name, consoles.other_type);
        else
            g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_NOT_SUPPORTED,
                                    _("“%s” has no graphical display. Add a VNC display to "
                                      "it, or use its serial console."),
                                    job->name);
        return;
    }

    /* libvirt hands a connected socket to local clients, whatever the
     * display listens on (nothing at all included). */
    if (!job->remote) {
        int fd = virDomainOpenGraphicsFD(job->handle, consoles.index, 0);
        if (fd >= 0) {
            job->fd = fd;
            g_task_return_boolean(task, TRUE);
            return;
        }
        g_debug("virDomainOpenGraphicsFD(%s): %s; using the display's address", job->name,
                vireo_libvirt_last_error_message());
        virResetLastError();
    }

    g_autofree char *target = vireo_libvirt_consoles_dup_vnc_target(&consoles);
    if (!target) {
        if (consoles.no_listen)
            g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_UNREACHABLE,
                                    _("The display of “%s” listens nowhere, so only a local "
                                      "client of its host can show it. Give it a listen "
                                      "address on that host."),
                                    job->name);
        else
            g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_UNREACHABLE,
                                    _("The display of “%s” has no port yet. Wait until the VM "
                                      "has started, then try again."),
                                    job->name);
        return;
    }

    if (job->ssh) {
        job->ssh_target = g_steal_pointer(&target);
        g_task_return_boolean(task, TRUE);
        return;
    }

    /* Another host without SSH: its wildcard address is its own name, its
     * loopback is out of reach. */
    if (job->remote && target[0] != '/') {
        g_autofree char *host = vireo_uri_dup_host(job->uri);
        if (!host || (consoles.address && !g_str_equal(consoles.address, "0.0.0.0") &&
                      !g_str_equal(consoles.address, "::") && is_loopback(consoles.address))) {
            g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_UNREACHABLE,
                                    _("The display of “%s” listens only on its host’s own "
                                      "loopback address. Connect to the host over SSH "
                                      "(qemu+ssh://) to see it."),
                                    job->name);
            return;
        }
        if (!consoles.address || g_str_equal(consoles.address, "0.0.0.0") ||
            g_str_equal(consoles.address, "::")) {
            g_free(target);
            target = g_strdup_printf("%s:%d", host, consoles.port);
        }
    } else if (job->remote) {
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_UNREACHABLE,
                                _("The display of “%s” is a Unix socket on its host. Connect "
                                  "to the host over SSH (qemu+ssh://) to see it."),
                                job->name);
        return;
    }

    g_autoptr(GError) connect_error = NULL;
    job->fd = connect_to(target, cancellable, &connect_error);
    if (job->fd < 0) {
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_UNREACHABLE,
                                _("Could not reach the display of “%s” at %s: %s"), job->name,
                                target, connect_error->message);
        return;
    }
    g_task_return_boolean(task, TRUE);
}

/* The VNC server speaks first: its banner shows that the tunnel reached it,
 * an immediate end that the host refused. */
static gboolean
banner_ready(int fd, GIOCondition condition, gpointer user_data)
{
    GTask *task = user_data;
    ConsoleJob *job = g_task_get_task_data(task);
    char byte;

    job->banner_source = 0;
    g_clear_handle_id(&job->timeout_source, g_source_remove);
    if (recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 1) {
        int connected = job->fd;
        job->fd = -1;
        g_task_return_int(task, connected);
    } else {
        VireoSshMux *mux = vireo_libvirt_connection_get_ssh_mux(
            VIREO_LIBVIRT_CONNECTION(vireo_domain_get_connection(g_task_get_source_object(task))),
            NULL);
        g_autofree char *reason = mux ? vireo_ssh_mux_dup_last_error(mux) : NULL;
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_UNREACHABLE,
                                _("The host of “%s” could not connect its display at %s "
                                  "through SSH: %s"),
                                job->name, job->ssh_target,
                                reason ? reason : _("the connection was closed at once."));
    }
    g_object_unref(task);
    return G_SOURCE_REMOVE;
}

static gboolean
banner_timed_out(gpointer user_data)
{
    GTask *task = user_data;
    ConsoleJob *job = g_task_get_task_data(task);

    job->timeout_source = 0;
    g_clear_handle_id(&job->banner_source, g_source_remove);
    g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_TIMED_OUT,
                            _("The display of “%s” did not answer within %d seconds."),
                            job->name, CONNECT_TIMEOUT_SECONDS);
    g_object_unref(task);
    return G_SOURCE_REMOVE;
}

static void
tunnel_opened(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    ConsoleJob *job = g_task_get_task_data(task);
    GError *error = NULL;

    job->fd = vireo_ssh_mux_open_finish(VIREO_SSH_MUX(source), result, &error);
    if (job->fd < 0) {
        g_task_return_error(task, error);
        g_object_unref(task);
        return;
    }
    /* One reference, held by whichever of the two fires first. */
    job->banner_source = g_unix_fd_add(job->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, banner_ready, task);
    job->timeout_source = g_timeout_add_seconds(CONNECT_TIMEOUT_SECONDS, banner_timed_out, task);
}

static void
graphics_planned(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    ConsoleJob *job = g_task_get_task_data(task);
    GError *error = NULL;

    if (!g_task_propagate_boolean(G_TASK(result), &error)) {
        g_task_return_error(task, error);
        return;
    }
    ConsoleJob *planned = g_task_get_task_data(G_TASK(result));
    if (planned->fd >= 0) {
        g_task_return_int(task, planned->fd);
        planned->fd = -1;
        return;
    }

    VireoDomain *domain = g_task_get_source_object(task);
    VireoConnection *connection = vireo_domain_get_connection(domain);
    VireoSshMux *mux = connection ? vireo_libvirt_connection_get_ssh_mux(
                                        VIREO_LIBVIRT_CONNECTION(connection), &error)
                                  : NULL;
    if (!mux) {
        if (!error)
            error = g_error_new(VIREO_ERROR, VIREO_ERROR_NOT_CONNECTED,
                                _("The connection that holds “%s” is closed. Connect again "
                                  "and retry."),
                                job->name);
        g_task_return_error(task, error);
        return;
    }
    GCancellable *cancellable = g_task_get_cancellable(task);
    job->ssh_target = g_strdup(planned->ssh_target);
    vireo_ssh_mux_open_async(mux, planned->ssh_target, cancellable, tunnel_opened,
                             g_steal_pointer(&task));
}

void
vireo_libvirt_open_graphics_async(VireoDomain *domain, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data)
{
    console_run(domain, cancellable, callback, user_data, vireo_libvirt_open_graphics_async,
                graphics_thread, graphics_planned);
}

int
vireo_libvirt_open_graphics_finish(VireoDomain *domain, GAsyncResult *result, GError **error)
{
    return console_finish(domain, result, error);
}

static void
serial_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    ConsoleJob *job = task_data;
    g_auto(VireoLibvirtConsoles) consoles = {0};

    if (!console_thread_begin(task, job, &consoles))
        return;
    if (!consoles.has_text) {
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_NOT_SUPPORTED,
                                _("“%s” has no serial port or text console. Add a serial "
                                  "device to it, or use its graphical console."),
                                job->name);
        return;
    }

    job->stream = virStreamNew(virDomainGetConnect(job->handle), VIR_STREAM_NONBLOCK);
    /* FORCE: the user asked for it, so it takes over from another client
     * (which is told the console went away). */
    if (!job->stream ||
        virDomainOpenConsole(job->handle, NULL, job->stream, VIR_DOMAIN_CONSOLE_FORCE) < 0) {
        virErrorPtr last = virGetLastError();
        VireoError code = vireo_libvirt_classify_error(last, VIREO_ERROR_UNREACHABLE);
        if (last && (last->code == VIR_ERR_NO_SUPPORT ||
                     last->code == VIR_ERR_OPERATION_UNSUPPORTED))
            code = VIREO_ERROR_NOT_SUPPORTED;
        g_task_return_new_error(task, VIREO_ERROR, code,
                                _("Could not open the serial console of “%s”: %s"), job->name,
                                vireo_libvirt_last_error_message());
        return;
    }
    g_task_return_boolean(task, TRUE);
}

static void
serial_opened(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    GError *error = NULL;

    if (!g_task_propagate_boolean(G_TASK(result), &error)) {
        g_task_return_error(task, error);
        return;
    }
    ConsoleJob *opened = g_task_get_task_data(G_TASK(result));
    int fd = vireo_libvirt_stream_bridge_new(g_steal_pointer(&opened->stream), &error);
    if (fd < 0)
        g_task_return_error(task, error);
    else
        g_task_return_int(task, fd);
}

void
vireo_libvirt_open_serial_async(VireoDomain *domain, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
    console_run(domain, cancellable, callback, user_data, vireo_libvirt_open_serial_async,
                serial_thread, serial_opened);
}

int
vireo_libvirt_open_serial_finish(VireoDomain *domain, GAsyncResult *result, GError **error)
{
    return console_finish(domain, result, error);
}
