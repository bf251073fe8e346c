/* vireo-embedded-domain.c: a VM on vireo:///session
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A running VM is a vireo-vmm process.  The domain talks to it over its
 * D-Bus control socket (a generated org.vireo.Vmm1 proxy): states arrive
 * as StateChanged signals, actions are method calls.  That the process
 * ended is learnt from the process itself (its GSubprocess when this
 * process started it, else a pidfd for the peer's pid), so that a VMM that
 * was killed shows as crashed, with the reason and its log.
 *
 * Every attachment to a VMM is numbered; callbacks of an older one are
 * ignored, so that detaching (the connection closes) is just a cancel.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vireo-connection.h"
#include "vireo-embedded-private.h"
#include "vireo-vmm-dbus.h"

#define OBJECT_PATH "/org/vireo/Vmm1"
/* How long a new VMM may take to answer on its control socket. */
#define ATTACH_TIMEOUT_S 30
/* How long Quit may take before force off kills the process. */
#define QUIT_TIMEOUT_MS 5000
/* A log longer than this is moved aside at the next start. */
#define LOG_ROTATE_BYTES (1024 * 1024)

struct _VireoEmbeddedDomain {
    VireoDomain parent_instance;

    VireoEmbeddedConfig *config;      /* the definition */
    VireoEmbeddedConfig *live_config; /* what the running VM was started with */
    char *log_path;
    char *run_dir;

    /* The running VMM.  generation numbers attachments. */
    guint generation;
    GCancellable *run_cancellable;
    GDBusConnection *bus;
    VireoVmmVmm1 *proxy;
    GPid pid;
    int pidfd;
    guint pidfd_watch;
    GSubprocess *child; /* when this process started the VMM */
    gboolean child_exited;
    gboolean process_gone; /* the pidfd or the child said so */
    gboolean bus_gone;     /* the control connection closed */
    gboolean starting;
    gboolean seen_stopped;
    guint64 resets_seen;
    int requested; /* the last VireoDomainAction asked of this run, or -1 */
    goffset log_offset;
    GPtrArray *ending_tasks; /* GTask: force off, waiting for the end */
    gboolean stats_pending;
};

G_DEFINE_FINAL_TYPE(VireoEmbeddedDomain, vireo_embedded_domain, VIREO_TYPE_DOMAIN)

static VireoEmbeddedConnection *
get_connection(VireoEmbeddedDomain *self)
{
    VireoConnection *connection = vireo_domain_get_connection(VIREO_DOMAIN(self));
    return connection ? VIREO_EMBEDDED_CONNECTION(connection) : NULL;
}

static const char *
get_name(VireoEmbeddedDomain *self)
{
    return vireo_domain_get_name(VIREO_DOMAIN(self));
}

static void
apply_config(VireoEmbeddedDomain *self)
{
    VireoDomain *domain = VIREO_DOMAIN(self);
    /* while it runs, the model shows what it runs with */
    VireoEmbeddedConfig *config = self->live_config ? self->live_config : self->config;

    g_object_freeze_notify(G_OBJECT(self));
    vireo_domain_set_name(domain, vireo_embedded_config_get_name(config));
    vireo_domain_set_title(domain, vireo_embedded_config_get_title(config));
    vireo_domain_set_vcpus(domain, vireo_embedded_config_get_vcpus(config));
    guint64 kib = vireo_embedded_config_get_memory_kib(config);
    vireo_domain_set_memory(domain, kib, kib);
    g_object_thaw_notify(G_OBJECT(self));
}

static void
vireo_embedded_domain_dispose(GObject *object)
{
    VireoEmbeddedDomain *self = VIREO_EMBEDDED_DOMAIN(object);

    vireo_embedded_domain_detach(self);
    G_OBJECT_CLASS(vireo_embedded_domain_parent_class)->dispose(object);
}

static void
vireo_embedded_domain_finalize(GObject *object)
{
    VireoEmbeddedDomain *self = VIREO_EMBEDDED_DOMAIN(object);

    g_clear_pointer(&self->config, vireo_embedded_config_free);
    g_clear_pointer(&self->live_config, vireo_embedded_config_free);
    g_free(self->log_path);
    g_free(self->run_dir);
    g_clear_pointer(&self->ending_tasks, g_ptr_array_unref);
    G_OBJECT_CLASS(vireo_embedded_domain_parent_class)->finalize(object);
}

/* Errors ----------------------------------------------------------------- */

static void
return_dbus_error(GTask *task, VireoEmbeddedDomain *self, VireoDomainAction action,
                  GError *error)
{
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        g_task_return_error(task, g_error_copy(error));
        return;
    }
    VireoError code = VIREO_ERROR_OPERATION_FAILED;
    if (g_dbus_error_is_remote_error(error)) {
        g_dbus_error_strip_remote_error(error);
        code = VIREO_ERROR_INVALID_STATE;
    } else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CLOSED)) {
        code = VIREO_ERROR_INVALID_STATE;
    }
    g_autofree char *message = vireo_domain_action_error_message(action, get_name(self), error->message);
    g_task_return_new_error(task, VIREO_ERROR, code, "%s", message);
}

/* Log --------------------------------------------------------------------- */

static void
log_line(VireoEmbeddedDomain *self, const char *text)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *stamp = g_date_time_format(now, "%F %T");
    int fd = open(self->log_path, O_WRONLY | O_APPEND | O_CLOEXEC);

    if (fd < 0)
        return;
    g_autofree char *line = g_strdup_printf("vireo: %s: %s\n", stamp, text);
    ssize_t n = write(fd, line, strlen(line));
    (void)n;
    close(fd);
}

/* The end of a run --------------------------------------------------------- */

static void
disconnect_bus(VireoEmbeddedDomain *self)
{
    if (self->proxy)
        g_signal_handlers_disconnect_by_data(self->proxy, self);
    g_clear_object(&self->proxy);
    if (self->bus) {
        g_signal_handlers_disconnect_by_data(self->bus, self);
        g_dbus_connection_close(self->bus, NULL, NULL, NULL);
    }
    g_clear_object(&self->bus);
}

void
vireo_embedded_domain_detach(VireoEmbeddedDomain *self)
{
    g_return_if_fail(VIREO_IS_EMBEDDED_DOMAIN(self));

    self->generation++;
    if (self->run_cancellable)
        g_cancellable_cancel(self->run_cancellable);
    g_clear_object(&self->run_cancellable);
    disconnect_bus(self);
    g_clear_handle_id(&self->pidfd_watch, g_source_remove);
    if (self->pidfd >= 0)
        close(self->pidfd);
    self->pidfd = -1;
    g_clear_object(&self->child);
    self->child_exited = FALSE;
    self->process_gone = FALSE;
    self->bus_gone = FALSE;
    self->starting = FALSE;
    self->pid = 0;
    self->stats_pending = FALSE;
    if (self->ending_tasks) {
        for (guint i = 0; i < self->ending_tasks->len; i++)
            g_task_return_new_error(g_ptr_array_index(self->ending_tasks, i), G_IO_ERROR,
                                    G_IO_ERROR_CANCELLED, _("The connection was closed."));
        g_ptr_array_set_size(self->ending_tasks, 0);
    }
}

/* How the run ended, from what is known: the VMM's ExitStatus (it was
 * watched to the end), else the child's wait status (started here). */
static void
describe_end(VireoEmbeddedDomain *self, VireoDomainState *state, char **reason)
{
    int status = -1;

    if (self->seen_stopped && self->proxy)
        status = vireo_vmm_vmm1_get_exit_status(self->proxy);
    if (status < 0 && self->child && self->child_exited) {
        if (g_subprocess_get_if_signaled(self->child)) {
            int sig = g_subprocess_get_term_sig(self->child);
            *state = VIREO_DOMAIN_STATE_CRASHED;
            *reason = g_strdup_printf(_("vireo-vmm was killed by signal %d (%s). Its log is "
                                        "%s."),
                                      sig, g_strsignal(sig), self->log_path);
            return;
        }
        status = g_subprocess_get_exit_status(self->child);
    }

    if (status == 0) {
        *state = VIREO_DOMAIN_STATE_SHUTOFF;
        if (self->requested == VIREO_DOMAIN_ACTION_FORCE_OFF)
            *reason = g_strdup(_("forced off"));
        else if (self->requested == VIREO_DOMAIN_ACTION_SHUTDOWN)
            *reason = g_strdup(_("shut down"));
        else
            *reason = g_strdup(_("shut down by the guest"));
    } else if (status == 4) {
        *state = VIREO_DOMAIN_STATE_CRASHED;
        *reason = g_strdup_printf(_("the guest crashed. The log %s has the details."),
                                  self->log_path);
    } else if (status > 0 && (status & 1)) {
        *state = VIREO_DOMAIN_STATE_SHUTOFF;
        *reason = g_strdup_printf(_("the guest ended with status %d"), status >> 1);
    } else if (status > 0) {
        g_autofree char *tail = vireo_embedded_log_tail(self->log_path, self->log_offset, 3);
        *state = VIREO_DOMAIN_STATE_CRASHED;
        *reason = g_strdup_printf(_("vireo-vmm failed (status %d): %s Its log is %s."), status,
                                  tail ? tail : "", self->log_path);
    } else {
        *state = VIREO_DOMAIN_STATE_CRASHED;
        *reason = g_strdup_printf(_("vireo-vmm ended unexpectedly, without shutting the "
                                    "virtual machine down. Its log is %s."),
                                  self->log_path);
    }
}

static void
run_ended(VireoEmbeddedDomain *self)
{
    VireoDomainState state;
    g_autofree char *reason = NULL;
    g_autoptr(GPtrArray) waiting = self->ending_tasks;
    VireoEmbeddedConnection *connection = get_connection(self);

    describe_end(self, &state, &reason);
    self->ending_tasks = g_ptr_array_new_with_free_func(g_object_unref);

    g_object_ref(self);
    if (state == VIREO_DOMAIN_STATE_CRASHED) {
        log_line(self, reason);
        vireo_embedded_run_mark_crashed(self->run_dir, reason);
    } else {
        vireo_embedded_run_remove(self->run_dir);
    }
    vireo_embedded_domain_detach(self);
    g_clear_pointer(&self->live_config, vireo_embedded_config_free);
    self->requested = -1;
    self->seen_stopped = FALSE;
    apply_config(self);
    vireo_domain_set_state(VIREO_DOMAIN(self), state, reason);

    for (guint i = 0; i < waiting->len; i++)
        g_task_return_boolean(g_ptr_array_index(waiting, i), TRUE);
    if (connection)
        vireo_embedded_connection_domain_stopped(connection, self);
    g_object_unref(self);
}

/* The run is over once the process has ended and the control connection
 * has closed: the connection's last messages (StateChanged "stopped", the
 * exit status) are dispatched before its "closed", so waiting for both
 * reads the end right whichever the kernel reported first. */
static void
maybe_ended(VireoEmbeddedDomain *self)
{
    if (self->process_gone && (self->bus_gone || !self->bus))
        run_ended(self);
}

static gboolean
on_pidfd(int fd, GIOCondition condition, gpointer user_data)
{
    VireoEmbeddedDomain *self = user_data;

    self->pidfd_watch = 0;
    self->process_gone = TRUE;
    maybe_ended(self);
    return G_SOURCE_REMOVE;
}

typedef struct {
    VireoEmbeddedDomain *self;
    guint generation;
} Ticket;

static Ticket *
ticket_new(VireoEmbeddedDomain *self)
{
    Ticket *ticket = g_new0(Ticket, 1);
    ticket->self = g_object_ref(self);
    ticket->generation = self->generation;
    return ticket;
}

static void
ticket_free(Ticket *ticket)
{
    g_object_unref(ticket->self);
    g_free(ticket);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Ticket, ticket_free)

static gboolean
ticket_valid(Ticket *ticket)
{
    return ticket->generation == ticket->self->generation;
}

static void attach_failed_after_exit(VireoEmbeddedDomain *self);

static void
on_child_exited(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(Ticket) ticket = user_data;
    VireoEmbeddedDomain *self = ticket->self;

    if (!g_subprocess_wait_finish(G_SUBPROCESS(source), result, NULL) || !ticket_valid(ticket))
        return;
    self->child_exited = TRUE;
    if (self->starting) {
        attach_failed_after_exit(self);
        return;
    }
    self->process_gone = TRUE;
    maybe_ended(self);
}

/* Watches the VMM process end: through its pidfd (works for any process of
 * ours, however it was started) unless this process is its parent. */
static void
watch_process(VireoEmbeddedDomain *self)
{
    if (self->child || self->pid <= 0)
        return;
    self->pidfd = (int)syscall(SYS_pidfd_open, self->pid, 0);
    if (self->pidfd < 0)
        return; /* ended already, or no pidfd: the bus closing tells */
    self->pidfd_watch = g_unix_fd_add(self->pidfd, G_IO_IN, on_pidfd, self);
}

/* State from the VMM ------------------------------------------------------ */

static void
apply_vmm_state(VireoEmbeddedDomain *self, const char *state)
{
    VireoDomain *domain = VIREO_DOMAIN(self);
    VireoDomainState old = vireo_domain_get_state(domain);
    guint64 resets = self->proxy ? vireo_vmm_vmm1_get_resets(self->proxy) : 0;

    if (g_strcmp0(state, "starting") == 0) {
        vireo_domain_set_state(domain, VIREO_DOMAIN_STATE_RUNNING, _("starting up"));
    } else if (g_strcmp0(state, "running") == 0) {
        const char *reason = _("booted");
        if (old == VIREO_DOMAIN_STATE_PAUSED)
            reason = _("resumed");
        else if (resets > self->resets_seen)
            reason = _("rebooted");
        self->resets_seen = resets;
        vireo_domain_set_state(domain, VIREO_DOMAIN_STATE_RUNNING, reason);
    } else if (g_strcmp0(state, "paused") == 0) {
        vireo_domain_set_state(domain, VIREO_DOMAIN_STATE_PAUSED, _("paused by the user"));
    } else if (g_strcmp0(state, "stopped") == 0) {
        /* the process ends next; its end sets the final state */
        self->seen_stopped = TRUE;
        vireo_domain_set_state(domain, VIREO_DOMAIN_STATE_SHUTDOWN, NULL);
    }
}

static void
on_state_changed(VireoVmmVmm1 *proxy, const char *state, gpointer user_data)
{
    apply_vmm_state(VIREO_EMBEDDED_DOMAIN(user_data), state);
}

static void
on_bus_closed(GDBusConnection *bus, gboolean remote_vanished, GError *error, gpointer user_data)
{
    VireoEmbeddedDomain *self = user_data;

    self->bus_gone = TRUE;
    /* without a process watch, the closed socket is all there is */
    if (!self->child && !self->pidfd_watch)
        self->process_gone = TRUE;
    maybe_ended(self);
}

/* Attaching ---------------------------------------------------------------- */

typedef struct {
    Ticket *ticket;
    char *address;
    gint64 deadline;
    guint delay_ms;
    GError *last_error;
} Attach;

static void
attach_free(Attach *attach)
{
    ticket_free(attach->ticket);
    g_free(attach->address);
    g_clear_error(&attach->last_error);
    g_free(attach);
}

/* The start (or attach) task in flight, finished by attaching. */
static GTask *
pending_attach(VireoEmbeddedDomain *self)
{
    return g_object_get_data(G_OBJECT(self), "vireo-attach-task");
}

static void
finish_attach(VireoEmbeddedDomain *self, GError *error)
{
    GTask *task = g_object_steal_data(G_OBJECT(self), "vireo-attach-task");

    self->starting = FALSE;
    if (!task) {
        g_clear_error(&error);
        return;
    }
    if (error)
        g_task_return_error(task, error);
    else
        g_task_return_boolean(task, TRUE);
    g_object_unref(task);
}

static void try_connect(Attach *attach);

/* Not attached, and the VMM is gone: what its runtime folder says. */
static void
settle_from_disk(VireoEmbeddedDomain *self)
{
    g_autofree char *reason = NULL;
    VireoEmbeddedRunState state = vireo_embedded_run_probe(self->run_dir, self->log_path,
                                                           &reason);

    vireo_embedded_domain_detach(self);
    g_clear_pointer(&self->live_config, vireo_embedded_config_free);
    apply_config(self);
    if (state == VIREO_EMBEDDED_RUN_CRASHED) {
        vireo_domain_set_state(VIREO_DOMAIN(self), VIREO_DOMAIN_STATE_CRASHED, reason);
    } else {
        vireo_embedded_run_remove(self->run_dir);
        /* a run that was watched to its end keeps the reason it ended with
         * (a late look at the folder, from an older event, knows less) */
        if (vireo_domain_is_active(VIREO_DOMAIN(self)) ||
            vireo_domain_get_state(VIREO_DOMAIN(self)) == VIREO_DOMAIN_STATE_NOSTATE)
            vireo_domain_set_state(VIREO_DOMAIN(self), VIREO_DOMAIN_STATE_SHUTOFF, NULL);
    }
    VireoEmbeddedConnection *connection = get_connection(self);
    if (connection)
        vireo_embedded_connection_domain_stopped(connection, self);
}

static void
on_proxy(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Attach *attach = user_data;
    VireoEmbeddedDomain *self = attach->ticket->self;
    g_autoptr(GError) error = NULL;
    VireoVmmVmm1 *proxy = vireo_vmm_vmm1_proxy_new_finish(result, &error);

    if (!ticket_valid(attach->ticket)) {
        g_clear_object(&proxy);
        attach_free(attach);
        return;
    }
    if (!proxy) {
        /* the VMM went away between accept and answer */
        g_clear_object(&self->bus);
        g_clear_error(&attach->last_error);
        attach->last_error = g_steal_pointer(&error);
        try_connect(attach);
        return;
    }
    attach_free(attach);

    self->proxy = proxy;
    g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(proxy), 30000);
    g_signal_connect(proxy, "state-changed", G_CALLBACK(on_state_changed), self);
    g_signal_connect(self->bus, "closed", G_CALLBACK(on_bus_closed), self);
    /* the VMM's pid, from the socket (SO_PEERCRED) */
    GIOStream *stream = g_dbus_connection_get_stream(self->bus);
    if (G_IS_SOCKET_CONNECTION(stream)) {
        GSocket *socket = g_socket_connection_get_socket(G_SOCKET_CONNECTION(stream));
        g_autoptr(GCredentials) credentials = g_socket_get_credentials(socket, NULL);
        if (credentials)
            self->pid = g_credentials_get_unix_pid(credentials, NULL);
    }
    watch_process(self);

    self->resets_seen = vireo_vmm_vmm1_get_resets(proxy);
    apply_config(self);
    /* no State: the VMM went away while answering; it is ending, and
     * its end tells how */
    const char *state = vireo_vmm_vmm1_get_state(proxy);
    apply_vmm_state(self, state ? state : "starting");
    finish_attach(self, NULL);
}

static void
on_connected(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Attach *attach = user_data;
    VireoEmbeddedDomain *self = attach->ticket->self;
    g_autoptr(GError) error = NULL;
    GDBusConnection *bus = g_dbus_connection_new_for_address_finish(result, &error);

    if (!ticket_valid(attach->ticket)) {
        g_clear_object(&bus);
        attach_free(attach);
        return;
    }
    if (!bus) {
        g_clear_error(&attach->last_error);
        attach->last_error = g_steal_pointer(&error);
        try_connect(attach);
        return;
    }
    self->bus = bus;
    vireo_vmm_vmm1_proxy_new(bus, G_DBUS_PROXY_FLAGS_NONE, NULL, OBJECT_PATH,
                             self->run_cancellable, on_proxy, attach);
}

static gboolean
retry_connect(gpointer user_data)
{
    Attach *attach = user_data;

    if (!ticket_valid(attach->ticket)) {
        attach_free(attach);
        return G_SOURCE_REMOVE;
    }
    g_dbus_connection_new_for_address(attach->address,
                                      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL,
                                      attach->ticket->self->run_cancellable, on_connected,
                                      attach);
    return G_SOURCE_REMOVE;
}

/* First try at once; then while the VMM is still coming up (its child is
 * alive, or its lock is held), again with a growing delay. */
static void
try_connect(Attach *attach)
{
    VireoEmbeddedDomain *self = attach->ticket->self;

    if (!attach->last_error) {
        retry_connect(attach);
        return;
    }
    if (g_error_matches(attach->last_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        attach_free(attach);
        return;
    }
    gboolean alive = self->child ? !self->child_exited
                                 : vireo_embedded_run_probe(self->run_dir, self->log_path,
                                                            NULL) == VIREO_EMBEDDED_RUN_LIVE;
    if (self->child && self->child_exited) {
        /* on_child_exited() reports it */
        attach_free(attach);
        return;
    }
    if (!alive || g_get_monotonic_time() > attach->deadline) {
        g_autofree char *detail = NULL;
        if (alive)
            detail = g_strdup_printf(_("vireo-vmm did not answer on %s within %d seconds."),
                                     attach->address + strlen("unix:path="), ATTACH_TIMEOUT_S);
        else
            detail = g_strdup_printf(_("its vireo-vmm is gone (%s)."),
                                     attach->last_error->message);
        GError *error = g_error_new(VIREO_ERROR, VIREO_ERROR_UNREACHABLE,
                                    _("“%s” cannot be reached: %s"), get_name(self), detail);
        attach_free(attach);
        finish_attach(self, error);
        if (!alive)
            settle_from_disk(self); /* it ended while being found */
        return;
    }
    g_timeout_add(attach->delay_ms, retry_connect, attach);
    attach->delay_ms = MIN(attach->delay_ms * 2, 200);
}

static void
attach_begin(VireoEmbeddedDomain *self, GTask *task)
{
    Attach *attach = g_new0(Attach, 1);
    g_autofree char *socket = g_build_filename(self->run_dir, "control.sock", NULL);
    g_autofree char *escaped = g_dbus_address_escape_value(socket);

    if (!self->run_cancellable)
        self->run_cancellable = g_cancellable_new();
    g_object_set_data_full(G_OBJECT(self), "vireo-attach-task", task, g_object_unref);
    attach->ticket = ticket_new(self);
    attach->address = g_strconcat("unix:path=", escaped, NULL);
    attach->deadline = g_get_monotonic_time() + ATTACH_TIMEOUT_S * G_USEC_PER_SEC;
    attach->delay_ms = 5;
    try_connect(attach);
}

/* The VMM ended before it answered on its control socket. */
static void
attach_failed_after_exit(VireoEmbeddedDomain *self)
{
    if (!g_subprocess_get_if_signaled(self->child) &&
        g_subprocess_get_exit_status(self->child) != 2) {
        /* it ran (the guest ended quickly): a start that worked, and
         * whoever asked sees how it ended */
        GTask *task = g_object_steal_data(G_OBJECT(self), "vireo-attach-task");
        self->starting = FALSE;
        run_ended(self);
        if (task) {
            g_task_return_boolean(task, TRUE);
            g_object_unref(task);
        }
        return;
    }
    g_autofree char *tail = vireo_embedded_log_tail(self->log_path, self->log_offset, 4);
    g_autofree char *detail = g_strdup_printf(_("vireo-vmm ended at once. %s (log: %s)"),
                                              tail ? tail : "", self->log_path);
    g_autofree char *message =
        vireo_domain_action_error_message(VIREO_DOMAIN_ACTION_START, get_name(self), detail);
    finish_attach(self, g_error_new_literal(VIREO_ERROR, VIREO_ERROR_OPERATION_FAILED,
                                            message));
    /* a start that failed leaves nothing behind but the log */
    vireo_embedded_run_remove(self->run_dir);
    vireo_embedded_domain_detach(self);
    g_clear_pointer(&self->live_config, vireo_embedded_config_free);
    apply_config(self);
    vireo_domain_set_state(VIREO_DOMAIN(self), VIREO_DOMAIN_STATE_SHUTOFF,
                           _("failed to start"));
}

void
vireo_embedded_domain_apply_run_state_async(VireoEmbeddedDomain *self,
                                            VireoEmbeddedRunState state, const char *reason,
                                            GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(self, NULL, callback, user_data);

    if (vireo_embedded_domain_is_attached(self)) {
        g_task_return_boolean(task, TRUE);
        return;
    }
    switch (state) {
    case VIREO_EMBEDDED_RUN_LIVE: {
        /* the definition it runs with */
        g_autofree char *path = g_build_filename(self->run_dir, "domain.xml", NULL);
        VireoEmbeddedConfig *live = vireo_embedded_load_definition(path, NULL);
        if (live) {
            g_clear_pointer(&self->live_config, vireo_embedded_config_free);
            self->live_config = live;
        }
        self->requested = -1;
        attach_begin(self, g_steal_pointer(&task));
        return;
    }
    case VIREO_EMBEDDED_RUN_CRASHED:
        vireo_domain_set_state(VIREO_DOMAIN(self), VIREO_DOMAIN_STATE_CRASHED, reason);
        break;
    case VIREO_EMBEDDED_RUN_ENDED:
        vireo_embedded_run_remove(self->run_dir);
        G_GNUC_FALLTHROUGH;
    case VIREO_EMBEDDED_RUN_NONE:
    default:
        if (vireo_domain_get_state(VIREO_DOMAIN(self)) == VIREO_DOMAIN_STATE_NOSTATE ||
            vireo_domain_is_active(VIREO_DOMAIN(self)))
            vireo_domain_set_state(VIREO_DOMAIN(self), VIREO_DOMAIN_STATE_SHUTOFF, NULL);
        break;
    }
    g_task_return_boolean(task, TRUE);
}

void
vireo_embedded_domain_apply_run_state_finish(VireoEmbeddedDomain *self, GAsyncResult *result)
{
    g_autoptr(GError) error = NULL;

    if (!g_task_propagate_boolean(G_TASK(result), &error))
        g_debug("%s: %s", get_name(self), error->message);
}

gboolean
vireo_embedded_domain_is_attached(VireoEmbeddedDomain *self)
{
    return self->proxy != NULL || self->starting || pending_attach(self) != NULL;
}

/* Start ---------------------------------------------------------------------- */

typedef struct {
    char *xml;
    VireoEmbeddedDirs *dirs;
    char *vmm;
    VireoEmbeddedVmmFeatures features;
    char *run_dir;
    char *log_path;
    /* results */
    VireoEmbeddedConfig *config;
    GSubprocess *child;
    goffset log_offset;
    char *notice;
} StartJob;

static void
start_job_free(StartJob *job)
{
    g_free(job->xml);
    vireo_embedded_dirs_free(job->dirs);
    g_free(job->vmm);
    g_free(job->run_dir);
    g_free(job->log_path);
    g_clear_pointer(&job->config, vireo_embedded_config_free);
    g_clear_object(&job->child);
    g_free(job->notice);
    g_free(job);
}

static void
child_setup(gpointer user_data)
{
    /* its own session: no terminal, no signals from ours */
    setsid();
}

static int
open_log(StartJob *job, GError **error)
{
    GStatBuf st;
    g_autoptr(GError) local_error = NULL;

    if (g_mkdir_with_parents(job->dirs->state_dir, 0700) < 0) {
        int saved = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved),
                    _("The log folder %s cannot be created: %s."), job->dirs->state_dir,
                    g_strerror(saved));
        return -1;
    }
    if (g_stat(job->log_path, &st) == 0 && st.st_size > LOG_ROTATE_BYTES) {
        g_autofree char *old = g_strconcat(job->log_path, ".old", NULL);
        g_rename(job->log_path, old);
    }
    int fd = open(job->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        int saved = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved),
                    _("The log %s cannot be written: %s."), job->log_path, g_strerror(saved));
        return -1;
    }
    job->log_offset = lseek(fd, 0, SEEK_END);
    return fd;
}

/* libvireo's callers get VIREO_ERRORs: file errors become FAILED. */
static void
return_start_error(GTask *task, GError *error)
{
    if (error->domain != VIREO_ERROR) {
        GError *wrapped = g_error_new_literal(VIREO_ERROR, VIREO_ERROR_FAILED, error->message);
        g_error_free(error);
        error = wrapped;
    }
    g_task_return_error(task, error);
}

static void
start_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    StartJob *job = task_data;
    GError *error = NULL;

    job->config = vireo_embedded_config_new(job->xml, &error);
    if (!job->config || !vireo_embedded_config_check_startable(job->config, &error)) {
        return_start_error(task, error);
        return;
    }
    const char *name = vireo_embedded_config_get_name(job->config);

    g_autofree char *control = g_build_filename(job->run_dir, "control.sock", NULL);
    g_autofree char *serial = g_build_filename(job->run_dir, "serial.sock", NULL);
    g_autofree char *vnc = g_build_filename(job->run_dir, "vnc.sock", NULL);
    /* sun_path holds 107 bytes */
    if (strlen(control) > 107 || strlen(serial) > 107) {
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_FAILED,
                                _("The runtime folder %s is too long a path for the sockets "
                                  "of “%s”. Use a shorter $XDG_RUNTIME_DIR or a shorter "
                                  "name."),
                                job->run_dir, name);
        return;
    }

    int lock = vireo_embedded_run_lock(job->run_dir, name, &error);
    if (lock < 0) {
        return_start_error(task, error);
        return;
    }
    /* from here on, a failure removes the runtime folder again */
    g_autofree char *live = g_build_filename(job->run_dir, "domain.xml", NULL);
    g_autofree char *xml = vireo_embedded_config_to_xml(job->config);
    if (!g_file_set_contents_full(live, xml, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                  &error)) {
        close(lock);
        vireo_embedded_run_remove(job->run_dir);
        return_start_error(task, error);
        return;
    }
    int log = open_log(job, &error);
    if (log < 0) {
        close(lock);
        vireo_embedded_run_remove(job->run_dir);
        return_start_error(task, error);
        return;
    }

    VireoEmbeddedRunPaths paths = {control, serial, vnc};
    g_auto(GStrv) argv =
        vireo_embedded_config_build_argv(job->config, job->vmm, &paths, &job->features);
    job->notice = vireo_embedded_config_dup_notice(job->config, &job->features);

    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *stamp = g_date_time_format(now, "%F %T");
    g_autofree char *command = g_strjoinv(" ", argv);
    g_autofree char *header = g_strdup_printf("vireo: %s: starting “%s”: %s\n%s%s%s", stamp,
                                              name, command, job->notice ? "vireo: " : "",
                                              job->notice ? job->notice : "",
                                              job->notice ? "\n" : "");
    ssize_t n = write(log, header, strlen(header));
    (void)n;

    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
    g_subprocess_launcher_take_stdout_fd(launcher, dup(log));
    g_subprocess_launcher_take_stderr_fd(launcher, log);
    /* the VMM holds the lock for as long as it lives */
    g_subprocess_launcher_take_fd(launcher, lock, 3);
    g_subprocess_launcher_set_child_setup(launcher, child_setup, NULL, NULL);
    g_subprocess_launcher_unsetenv(launcher, "DISPLAY");
    job->child = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv, &error);
    /* our copies of the log and the lock go with the launcher */
    g_clear_object(&launcher);
    if (!job->child) {
        vireo_embedded_run_remove(job->run_dir);
        g_autofree char *message = vireo_domain_action_error_message(VIREO_DOMAIN_ACTION_START, name,
                                                 error->message);
        g_clear_error(&error);
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_OPERATION_FAILED, "%s",
                                message);
        return;
    }
    g_task_return_boolean(task, TRUE);
}

static void
start_spawned(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    VireoEmbeddedDomain *self = VIREO_EMBEDDED_DOMAIN(source);
    StartJob *job = g_task_get_task_data(G_TASK(result));
    GError *error = NULL;

    if (!g_task_propagate_boolean(G_TASK(result), &error)) {
        self->starting = FALSE;
        g_task_return_error(task, error);
        return;
    }
    /* a new run */
    vireo_embedded_domain_detach(self);
    self->starting = TRUE;
    self->child = g_steal_pointer(&job->child);
    self->log_offset = job->log_offset;
    self->requested = VIREO_DOMAIN_ACTION_START;
    self->seen_stopped = FALSE;
    g_clear_pointer(&self->live_config, vireo_embedded_config_free);
    self->live_config = g_steal_pointer(&job->config);
    vireo_domain_set_notice(VIREO_DOMAIN(self), job->notice);
    self->run_cancellable = g_cancellable_new();
    g_subprocess_wait_async(self->child, self->run_cancellable, on_child_exited,
                            ticket_new(self));
    attach_begin(self, g_steal_pointer(&task));
}

static void
start(VireoEmbeddedDomain *self, GTask *task)
{
    VireoEmbeddedConnection *connection = get_connection(self);
    StartJob *job = g_new0(StartJob, 1);

    if (vireo_embedded_domain_is_attached(self) || vireo_domain_is_active(VIREO_DOMAIN(self))) {
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_INVALID_STATE,
                                _("“%s” is already running."), get_name(self));
        g_object_unref(task);
        g_free(job);
        return;
    }
    job->xml = vireo_embedded_config_to_xml(self->config);
    job->dirs = vireo_embedded_dirs_copy(vireo_embedded_connection_get_dirs(connection));
    job->vmm = g_strdup(vireo_embedded_connection_get_vmm(connection));
    job->features = *vireo_embedded_connection_get_features(connection);
    job->run_dir = g_strdup(self->run_dir);
    job->log_path = g_strdup(self->log_path);
    self->starting = TRUE;

    GTask *thread_task = g_task_new(self, NULL, start_spawned, task);
    g_task_set_task_data(thread_task, job, (GDestroyNotify)start_job_free);
    g_task_run_in_thread(thread_task, start_thread);
    g_object_unref(thread_task);
}

/* Actions --------------------------------------------------------------------- */

typedef struct {
    VireoDomainAction action;
    Ticket *ticket;
} CallData;

static void
call_data_free(CallData *data)
{
    ticket_free(data->ticket);
    g_free(data);
}

static void
on_call_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    CallData *data = g_task_get_task_data(task);
    VireoEmbeddedDomain *self = g_task_get_source_object(task);
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GError) error = NULL;

    reply = g_dbus_proxy_call_finish(G_DBUS_PROXY(source), result, &error);
    if (data->action == VIREO_DOMAIN_ACTION_FORCE_OFF) {
        if (!ticket_valid(data->ticket)) {
            /* the run has ended already */
            g_task_return_boolean(task, TRUE);
            return;
        }
        if (!reply && self->pid <= 0) {
            return_dbus_error(task, self, data->action, error);
            return;
        }
        if (!reply) {
            /* a VMM that does not answer Quit is ended the hard way */
            log_line(self, _("vireo-vmm did not answer Quit; killing it."));
            kill(self->pid, SIGKILL);
        }
        /* done once the process has ended */
        g_ptr_array_add(self->ending_tasks, g_steal_pointer(&task));
        return;
    }
    if (!reply) {
        return_dbus_error(task, self, data->action, error);
        return;
    }
    g_task_return_boolean(task, TRUE);
}

static void
vireo_embedded_domain_action_async(VireoDomain *domain, VireoDomainAction action,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data)
{
    VireoEmbeddedDomain *self = VIREO_EMBEDDED_DOMAIN(domain);
    GTask *task = g_task_new(self, cancellable, callback, user_data);
    const char *method = NULL;
    int timeout = -1;

    g_task_set_source_tag(task, vireo_embedded_domain_action_async);

    if (action == VIREO_DOMAIN_ACTION_START) {
        start(self, task);
        return;
    }
    if (action == VIREO_DOMAIN_ACTION_SAVE) {
        g_autofree char *message = vireo_domain_action_error_message(
            action, get_name(self),
            _("saving a running virtual machine's state is not available on Vireo's "
              "built-in hypervisor yet. Shut it down instead."));
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_NOT_SUPPORTED, "%s", message);
        g_object_unref(task);
        return;
    }
    if (action == VIREO_DOMAIN_ACTION_FORCE_OFF &&
        vireo_domain_get_state(domain) == VIREO_DOMAIN_STATE_CRASHED && !self->proxy) {
        /* nothing runs: forgetting the crash is all there is to do */
        vireo_embedded_run_remove(self->run_dir);
        vireo_domain_set_state(domain, VIREO_DOMAIN_STATE_SHUTOFF, _("forced off"));
        g_task_return_boolean(task, TRUE);
        g_object_unref(task);
        return;
    }
    if (!self->proxy) {
        g_autofree char *message = vireo_domain_action_error_message(action, get_name(self),
                                                 _("it is not running."));
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_INVALID_STATE, "%s", message);
        g_object_unref(task);
        return;
    }

    switch (action) {
    case VIREO_DOMAIN_ACTION_SHUTDOWN:
        method = "PowerButton";
        break;
    case VIREO_DOMAIN_ACTION_REBOOT:
        method = "Reboot";
        break;
    case VIREO_DOMAIN_ACTION_FORCE_OFF:
        method = "Quit";
        timeout = QUIT_TIMEOUT_MS;
        break;
    case VIREO_DOMAIN_ACTION_PAUSE:
        method = "Pause";
        break;
    case VIREO_DOMAIN_ACTION_RESUME:
        method = "Resume";
        break;
    default:
        g_assert_not_reached();
    }
    self->requested = action;

    CallData *data = g_new0(CallData, 1);
    data->action = action;
    data->ticket = ticket_new(self);
    g_task_set_task_data(task, data, (GDestroyNotify)call_data_free);
    /* the generated proxy's call functions, by name, so that one callback
     * serves them all */
    g_dbus_proxy_call(G_DBUS_PROXY(self->proxy), method, NULL, G_DBUS_CALL_FLAGS_NONE, timeout,
                      cancellable, on_call_done, task);
}

static gboolean
vireo_embedded_domain_action_finish(VireoDomain *domain, GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}

/* Delete, XML, storage ------------------------------------------------------- */

static void
delete_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    VireoEmbeddedDomain *self = source;
    VireoEmbeddedConnection *connection = task_data;
    GError *error = NULL;

    if (!vireo_embedded_remove_definition(vireo_embedded_connection_get_dirs(connection),
                                          vireo_embedded_config_get_name(self->config),
                                          &error)) {
        g_task_return_error(task, error);
        return;
    }
    g_task_return_boolean(task, TRUE);
}

static void
delete_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    VireoEmbeddedDomain *self = VIREO_EMBEDDED_DOMAIN(source);
    VireoConnection *connection = vireo_domain_get_connection(VIREO_DOMAIN(self));
    GError *error = NULL;

    if (!g_task_propagate_boolean(G_TASK(result), &error)) {
        g_task_return_error(task, error);
        return;
    }
    vireo_domain_set_persistent(VIREO_DOMAIN(self), FALSE);
    if (!vireo_embedded_domain_is_attached(self)) {
        /* a crash record goes with the VM */
        vireo_embedded_run_remove(self->run_dir);
        if (connection)
            vireo_connection_remove_domain(connection, VIREO_DOMAIN(self));
    }
    /* else: it runs on, transient, and goes when it stops */
    g_task_return_boolean(task, TRUE);
}

static void
vireo_embedded_domain_delete_async(VireoDomain *domain, VireoDomainDeleteFlags flags,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data)
{
    VireoEmbeddedDomain *self = VIREO_EMBEDDED_DOMAIN(domain);
    GTask *outer = g_task_new(self, cancellable, callback, user_data);

    if (self->starting) {
        g_task_return_new_error(outer, VIREO_ERROR, VIREO_ERROR_INVALID_STATE,
                                _("“%s” is starting; delete it once it has started or "
                                  "failed."),
                                get_name(self));
        g_object_unref(outer);
        return;
    }
    if (!vireo_domain_get_persistent(domain)) {
        g_task_return_new_error(outer, VIREO_ERROR, VIREO_ERROR_INVALID_STATE,
                                _("“%s” has no saved definition to delete; it goes away "
                                  "when it stops."),
                                get_name(self));
        g_object_unref(outer);
        return;
    }
    GTask *task = g_task_new(self, cancellable, delete_done, outer);
    g_task_set_task_data(task, g_object_ref(get_connection(self)), g_object_unref);
    g_task_run_in_thread(task, delete_thread);
    g_object_unref(task);
}

static gboolean
vireo_embedded_domain_delete_finish(VireoDomain *domain, GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}

static void
vireo_embedded_domain_get_xml_async(VireoDomain *domain, gboolean inactive,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data)
{
    VireoEmbeddedDomain *self = VIREO_EMBEDDED_DOMAIN(domain);
    g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
    VireoEmbeddedConfig *config = self->config;

    if (self->live_config && (!inactive || !vireo_domain_get_persistent(domain)))
        config = self->live_config;
    g_task_return_pointer(task, vireo_embedded_config_to_xml(config), g_free);
}

static char *
vireo_embedded_domain_get_xml_finish(VireoDomain *domain, GAsyncResult *result, GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}

static void
vireo_embedded_domain_list_storage_async(VireoDomain *domain, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(domain, cancellable, callback, user_data);

    /* the kernel and initrd are not the VM's to delete; disks do not exist yet */
    g_task_return_pointer(task, g_new0(char *, 1), (GDestroyNotify)g_strfreev);
}

static GStrv
vireo_embedded_domain_list_storage_finish(VireoDomain *domain, GAsyncResult *result,
                                          GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}

/* Consoles ------------------------------------------------------------------ */

static void
on_console_connected(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocketConnection) connection =
        g_socket_client_connect_finish(G_SOCKET_CLIENT(source), result, &error);
    VireoEmbeddedDomain *self = g_task_get_source_object(task);

    if (!connection) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            g_task_return_error(task, g_steal_pointer(&error));
            return;
        }
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_UNREACHABLE,
                                _("The console of “%s” cannot be reached: %s"), get_name(self),
                                error->message);
        return;
    }
    int fd = dup(g_socket_get_fd(g_socket_connection_get_socket(connection)));
    if (fd < 0) {
        int saved = errno;
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_UNREACHABLE,
                                _("The console of “%s” cannot be reached: %s"), get_name(self),
                                g_strerror(saved));
        return;
    }
    g_task_return_int(task, fd);
}

static void
open_socket(VireoEmbeddedDomain *self, const char *file, GCancellable *cancellable,
            GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = g_task_new(self, cancellable, callback, user_data);
    g_autofree char *path = g_build_filename(self->run_dir, file, NULL);
    g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);
    g_autoptr(GSocketClient) client = g_socket_client_new();

    g_socket_client_connect_async(client, G_SOCKET_CONNECTABLE(address), cancellable,
                                  on_console_connected, task);
}

static void
on_vnc_socket(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    GError *error = NULL;
    gssize fd = g_task_propagate_int(G_TASK(result), &error);

    if (fd < 0)
        g_task_return_error(task, error);
    else
        g_task_return_int(task, fd);
}

static void
on_open_vnc(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    VireoEmbeddedDomain *self = g_task_get_source_object(task);
    g_autoptr(GVariant) handle = NULL;
    g_autoptr(GUnixFDList) fds = NULL;
    g_autoptr(GError) error = NULL;

    if (!vireo_vmm_vmm1_call_open_vnc_finish(VIREO_VMM_VMM1(source), &handle, &fds, result,
                                             &error)) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            g_task_return_error(task, g_steal_pointer(&error));
            return;
        }
        if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD)) {
            open_socket(self, "vnc.sock", g_task_get_cancellable(task), on_vnc_socket,
                        g_steal_pointer(&task));
            return;
        }
        g_dbus_error_strip_remote_error(error);
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_UNREACHABLE,
                                _("The screen of “%s” cannot be reached: %s"), get_name(self),
                                error->message);
        return;
    }
    int fd = fds ? g_unix_fd_list_get(fds, g_variant_get_handle(handle), &error) : -1;
    if (fd < 0) {
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_UNREACHABLE,
                                _("The screen of “%s” cannot be reached: vireo-vmm sent no "
                                  "socket."),
                                get_name(self));
        return;
    }
    g_task_return_int(task, fd);
}

static void
vireo_embedded_domain_open_graphics_async(VireoDomain *domain, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data)
{
    VireoEmbeddedDomain *self = VIREO_EMBEDDED_DOMAIN(domain);
    VireoEmbeddedConfig *config = self->live_config ? self->live_config : self->config;
    VireoEmbeddedConnection *connection = get_connection(self);

    if (!vireo_embedded_config_has_vnc(config) ||
        !vireo_embedded_connection_get_features(connection)->display) {
        g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
        if (!vireo_embedded_config_has_vnc(config))
            g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_NOT_SUPPORTED,
                                    _("“%s” has no screen: its definition has no <graphics "
                                      "type='vnc'/>."),
                                    get_name(self));
        else
            g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_NOT_SUPPORTED,
                                    _("“%s” has no screen: this vireo-vmm cannot show one "
                                      "yet."),
                                    get_name(self));
        return;
    }
    if (!self->proxy) {
        open_socket(self, "vnc.sock", cancellable, callback, user_data);
        return;
    }
    /* the VMM hands out a connected client socket; a VMM without OpenVnc
     * is reached on its socket instead */
    GTask *task = g_task_new(self, cancellable, callback, user_data);
    vireo_vmm_vmm1_call_open_vnc(self->proxy, NULL, cancellable, on_open_vnc, task);
}

static int
vireo_embedded_domain_open_console_finish(VireoDomain *domain, GAsyncResult *result,
                                          GError **error)
{
    gssize fd = g_task_propagate_int(G_TASK(result), error);
    return fd < 0 ? -1 : (int)fd;
}

static void
vireo_embedded_domain_open_serial_async(VireoDomain *domain, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data)
{
    VireoEmbeddedDomain *self = VIREO_EMBEDDED_DOMAIN(domain);
    VireoEmbeddedConfig *config = self->live_config ? self->live_config : self->config;

    if (vireo_embedded_config_get_serial(config) != VIREO_EMBEDDED_SERIAL_SOCKET) {
        g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_NOT_SUPPORTED,
                                _("“%s” has no serial console: its definition has no "
                                  "<serial type='pty'/> (or it writes to a file)."),
                                get_name(self));
        return;
    }
    open_socket(self, "serial.sock", cancellable, callback, user_data);
}

/* Statistics --------------------------------------------------------------------- */

static guint64
rss_kib(GPid pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/statm", (int)pid);
    g_autofree char *text = NULL;
    guint64 size = 0, resident = 0;

    if (pid <= 0 || !g_file_get_contents(path, &text, NULL, NULL))
        return 0;
    if (sscanf(text, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, &size, &resident) != 2)
        return 0;
    return resident * (guint64)sysconf(_SC_PAGESIZE) / 1024;
}

static void
on_stats(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(Ticket) ticket = user_data;
    VireoEmbeddedDomain *self = ticket->self;
    guint64 uptime = 0;
    g_autoptr(GVariant) times = NULL, exits = NULL, per_vcpu = NULL;
    g_autoptr(GError) error = NULL;

    gboolean ok = vireo_vmm_vmm1_call_get_stats_finish(VIREO_VMM_VMM1(source), &uptime, &times,
                                                       &exits, &per_vcpu, result, &error);
    if (!ticket_valid(ticket))
        return;
    self->stats_pending = FALSE;
    if (!ok || !vireo_domain_is_active(VIREO_DOMAIN(self)))
        return;

    VireoStatsCounters counters = {
        .timestamp_us = g_get_monotonic_time(),
        .memory_kib = rss_kib(self->pid),
    };
    GVariantIter iter;
    guint64 ns;
    g_variant_iter_init(&iter, times);
    while (g_variant_iter_next(&iter, "t", &ns)) {
        counters.cpu_time_ns += ns;
        counters.vcpus++;
    }
    if (counters.vcpus == 0)
        return; /* between two boots */
    vireo_domain_push_stats(VIREO_DOMAIN(self), &counters);
}

void
vireo_embedded_domain_poll_stats(VireoEmbeddedDomain *self)
{
    if (!self->proxy || self->stats_pending || !vireo_domain_is_active(VIREO_DOMAIN(self)))
        return;
    self->stats_pending = TRUE;
    vireo_vmm_vmm1_call_get_stats(self->proxy, self->run_cancellable, on_stats,
                                  ticket_new(self));
}

/* Construction ----------------------------------------------------------------- */

/* vireo-vmm cannot save a VM's state yet: Save stays off rather than
 * offering what it must refuse. */
static gboolean
vireo_embedded_domain_supports_action(VireoDomain *domain, VireoDomainAction action)
{
    return action != VIREO_DOMAIN_ACTION_SAVE;
}

static void
vireo_embedded_domain_class_init(VireoEmbeddedDomainClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    VireoDomainClass *domain_class = VIREO_DOMAIN_CLASS(klass);

    object_class->dispose = vireo_embedded_domain_dispose;
    object_class->finalize = vireo_embedded_domain_finalize;
    domain_class->action_async = vireo_embedded_domain_action_async;
    domain_class->action_finish = vireo_embedded_domain_action_finish;
    domain_class->supports_action = vireo_embedded_domain_supports_action;
    domain_class->delete_async = vireo_embedded_domain_delete_async;
    domain_class->delete_finish = vireo_embedded_domain_delete_finish;
    domain_class->get_xml_async = vireo_embedded_domain_get_xml_async;
    domain_class->get_xml_finish = vireo_embedded_domain_get_xml_finish;
    domain_class->list_storage_async = vireo_embedded_domain_list_storage_async;
    domain_class->list_storage_finish = vireo_embedded_domain_list_storage_finish;
    domain_class->open_graphics_async = vireo_embedded_domain_open_graphics_async;
    domain_class->open_graphics_finish = vireo_embedded_domain_open_console_finish;
    domain_class->open_serial_async = vireo_embedded_domain_open_serial_async;
    domain_class->open_serial_finish = vireo_embedded_domain_open_console_finish;
}

static void
vireo_embedded_domain_init(VireoEmbeddedDomain *self)
{
    self->requested = -1;
    self->pidfd = -1;
    self->ending_tasks = g_ptr_array_new_with_free_func(g_object_unref);
}

VireoEmbeddedDomain *
vireo_embedded_domain_new(VireoEmbeddedConnection *connection, VireoEmbeddedConfig *config,
                          gboolean persistent)
{
    const VireoEmbeddedDirs *dirs = vireo_embedded_connection_get_dirs(connection);
    VireoEmbeddedDomain *self =
        g_object_new(VIREO_TYPE_EMBEDDED_DOMAIN, "connection", connection, "uuid",
                     vireo_embedded_config_get_uuid(config), NULL);
    const char *name = vireo_embedded_config_get_name(config);

    self->config = config;
    self->log_path = vireo_embedded_dirs_log(dirs, name);
    self->run_dir = vireo_embedded_dirs_run(dirs, name);
    vireo_domain_set_persistent(VIREO_DOMAIN(self), persistent);
    apply_config(self);
    return self;
}

VireoEmbeddedConfig *
vireo_embedded_domain_get_config(VireoEmbeddedDomain *self)
{
    return self->config;
}

void
vireo_embedded_domain_set_config(VireoEmbeddedDomain *self, VireoEmbeddedConfig *config)
{
    g_return_if_fail(VIREO_IS_EMBEDDED_DOMAIN(self));

    g_clear_pointer(&self->config, vireo_embedded_config_free);
    self->config = config;
    vireo_domain_set_persistent(VIREO_DOMAIN(self), TRUE);
    apply_config(self);
}

const char *
vireo_embedded_domain_get_log_path(VireoEmbeddedDomain *self)
{
    g_return_val_if_fail(VIREO_IS_EMBEDDED_DOMAIN(self), NULL);
    return self->log_path;
}

GPid
vireo_embedded_domain_get_pid(VireoEmbeddedDomain *self)
{
    g_return_val_if_fail(VIREO_IS_EMBEDDED_DOMAIN(self), 0);
    if (self->pid <= 0 && self->child && !self->child_exited) {
        const char *id = g_subprocess_get_identifier(self->child);
        return id ? (GPid)g_ascii_strtoll(id, NULL, 10) : 0;
    }
    return self->pid;
}
