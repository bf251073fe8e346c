/* vireo-ssh.c: one SSH connection per remote host, shared by its consoles
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The master is an ssh child process (-M -N) that dies with us
 * (PR_SET_PDEATHSIG); it is ready once its control socket appears in the
 * private directory.  Each target gets one forwarding of a Unix socket in
 * that directory to the target on the host, added with `ssh -O forward`
 * (a short exchange with the master, no login); a console is one connect()
 * to it.  OpenSSH 9.2's `-W` cannot reach Unix sockets, forwardings can
 * reach both kinds.
 */
#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vireo-connection.h"
#include "vireo-ssh.h"
#include "vireo-uri.h"

/* How long a login may take before the console says so. */
#define START_TIMEOUT_SECONDS 60
/* Stderr kept from the master, for error messages. */
#define LOG_MAX 4096

/* Destinations ---------------------------------------------------------- */

gboolean
vireo_ssh_uri_is_ssh(const char *uri)
{
    g_autofree char *transport = vireo_uri_dup_transport(uri);

    return transport && (g_str_equal(transport, "ssh") || g_str_equal(transport, "libssh") ||
                         g_str_equal(transport, "libssh2"));
}

static gboolean
param_true(const char *value)
{
    return value && *value && !g_str_equal(value, "0");
}

VireoSshDestination *
vireo_ssh_destination_new_for_uri(const char *uri, GError **error)
{
    g_autoptr(GUri) parsed = NULL;

    if (!vireo_ssh_uri_is_ssh(uri) ||
        !(parsed = g_uri_parse(uri, G_URI_FLAGS_ENCODED_QUERY | G_URI_FLAGS_NON_DNS, NULL)) ||
        !g_uri_get_host(parsed) || !*g_uri_get_host(parsed)) {
        g_set_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_URI,
                    _("“%s” does not name a host reached over SSH. Write it as "
                      "qemu+ssh://user@host/system."),
                    uri ? uri : "");
        return NULL;
    }

    g_autoptr(VireoSshDestination) dest = g_new0(VireoSshDestination, 1);
    dest->host = g_strdup(g_uri_get_host(parsed));
    dest->user = g_strdup(g_uri_get_user(parsed));
    dest->port = MAX(g_uri_get_port(parsed), 0);

    const char *query = g_uri_get_query(parsed);
    g_autoptr(GHashTable) params = NULL;
    if (query)
        params = g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, NULL);
    if (params) {
        const char *value;
        if ((value = g_hash_table_lookup(params, "command")) && *value)
            dest->command = g_strdup(value);
        if ((value = g_hash_table_lookup(params, "keyfile")) && *value)
            dest->keyfile = g_strdup(value);
        dest->no_verify = param_true(g_hash_table_lookup(params, "no_verify"));
        dest->no_tty = param_true(g_hash_table_lookup(params, "no_tty"));
    }
    if (!dest->command)
        dest->command = g_strdup("ssh");
    return g_steal_pointer(&dest);
}

void
vireo_ssh_destination_free(VireoSshDestination *dest)
{
    if (!dest)
        return;
    g_free(dest->command);
    g_free(dest->user);
    g_free(dest->host);
    g_free(dest->keyfile);
    g_free(dest);
}

GStrv
vireo_ssh_destination_build_argv(const VireoSshDestination *dest, const char *control_path,
                                 const char *const *extra)
{
    g_return_val_if_fail(dest != NULL, NULL);

    g_autoptr(GStrvBuilder) builder = g_strv_builder_new();

    g_strv_builder_add(builder, dest->command);
    if (dest->port > 0) {
        g_autofree char *port = g_strdup_printf("%d", dest->port);
        g_strv_builder_add_many(builder, "-p", port, NULL);
    }
    if (dest->user)
        g_strv_builder_add_many(builder, "-l", dest->user, NULL);
    if (dest->keyfile)
        g_strv_builder_add_many(builder, "-i", dest->keyfile, NULL);
    /* What libvirt's ssh transport passes for the same URI options. */
    if (dest->no_verify)
        g_strv_builder_add_many(builder, "-o", "StrictHostKeyChecking=no", NULL);
    if (dest->no_tty)
        g_strv_builder_add_many(builder, "-o", "BatchMode=yes", NULL);
    if (control_path) {
        g_autofree char *option = g_strdup_printf("ControlPath=%s", control_path);
        g_strv_builder_add_many(builder, "-o", option, NULL);
    }
    if (extra)
        g_strv_builder_addv(builder, (const char **)extra);
    g_strv_builder_add_many(builder, "--", dest->host, NULL);
    return g_strv_builder_end(builder);
}

/* The mux ------------------------------------------------------------- */

typedef enum {
    MUX_IDLE,     /* no master */
    MUX_STARTING, /* master spawned, logging in */
    MUX_READY,    /* control socket up */
} MuxState;

struct _VireoSshMux {
    GObject parent_instance;

    char *key;
    VireoSshDestination *dest;
    char *dir;
    char *control_path;

    MuxState state;
    GSubprocess *master;
    int log_fd;       /* the master's stderr (owned by @master) */
    guint log_source; /* watches it */
    GString *log;
    GFileMonitor *monitor;
    guint timeout_id;
    GQueue waiters; /* Waiter, until READY */

    GHashTable *forwards; /* target -> local socket path */
    guint next_forward;
};

G_DEFINE_FINAL_TYPE(VireoSshMux, vireo_ssh_mux, G_TYPE_OBJECT)

/* Destination key -> VireoSshMux (not referenced: removed at finalize). */
static GHashTable *muxes;

static void
remove_dir_contents(const char *dir)
{
    g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);
    const char *name;

    while (handle && (name = g_dir_read_name(handle))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_unlink(path);
    }
}

/* Ends the current master (if any) and forgets its forwardings. */
static void
stop_master(VireoSshMux *self)
{
    g_clear_handle_id(&self->log_source, g_source_remove);
    if (self->master) {
        g_subprocess_send_signal(self->master, SIGTERM);
        g_clear_object(&self->master);
    }
    g_clear_object(&self->monitor);
    g_clear_handle_id(&self->timeout_id, g_source_remove);
    g_hash_table_remove_all(self->forwards);
    self->state = MUX_IDLE;
}

static void
vireo_ssh_mux_dispose(GObject *object)
{
    VireoSshMux *self = VIREO_SSH_MUX(object);

    g_assert(g_queue_is_empty(&self->waiters)); /* each holds a reference */
    stop_master(self);
    if (self->dir) {
        remove_dir_contents(self->dir);
        g_rmdir(self->dir);
        g_clear_pointer(&self->dir, g_free);
    }

    G_OBJECT_CLASS(vireo_ssh_mux_parent_class)->dispose(object);
}

static void
vireo_ssh_mux_finalize(GObject *object)
{
    VireoSshMux *self = VIREO_SSH_MUX(object);

    if (muxes && g_hash_table_lookup(muxes, self->key) == self)
        g_hash_table_remove(muxes, self->key);
    g_free(self->key);
    vireo_ssh_destination_free(self->dest);
    g_free(self->control_path);
    g_string_free(self->log, TRUE);
    g_hash_table_unref(self->forwards);

    G_OBJECT_CLASS(vireo_ssh_mux_parent_class)->finalize(object);
}

static void
vireo_ssh_mux_class_init(VireoSshMuxClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->dispose = vireo_ssh_mux_dispose;
    object_class->finalize = vireo_ssh_mux_finalize;
}

static void
vireo_ssh_mux_init(VireoSshMux *self)
{
    self->log = g_string_new(NULL);
    self->forwards = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_queue_init(&self->waiters);
}

/* A private directory for sockets.  Unix socket paths are short (108 bytes,
 * and ssh appends 17 characters while it binds), so a long runtime
 * directory falls back on a private one in /tmp. */
static char *
make_private_dir(GError **error)
{
    g_autofree char *base = g_build_filename(g_get_user_runtime_dir(), "vireo", NULL);
    char *dir = NULL;

    if (strlen(base) < 60 && g_mkdir_with_parents(base, 0700) == 0) {
        g_autofree char *template = g_build_filename(base, "ssh-XXXXXX", NULL);
        dir = g_mkdtemp_full(template, 0700) ? g_steal_pointer(&template) : NULL;
    }
    if (!dir)
        dir = g_dir_make_tmp("vireo-ssh-XXXXXX", error);
    return dir;
}

VireoSshMux *
vireo_ssh_mux_get_for_uri(const char *uri, GError **error)
{
    g_autoptr(VireoSshDestination) dest = vireo_ssh_destination_new_for_uri(uri, error);

    if (!dest)
        return NULL;

    g_auto(GStrv) argv = vireo_ssh_destination_build_argv(dest, NULL, NULL);
    g_autofree char *key = g_strjoinv("\x1f", argv);

    if (!muxes)
        muxes = g_hash_table_new(g_str_hash, g_str_equal);
    VireoSshMux *known = g_hash_table_lookup(muxes, key);
    if (known)
        return g_object_ref(known);

    g_autoptr(GError) local_error = NULL;
    g_autofree char *dir = make_private_dir(&local_error);
    if (!dir) {
        g_set_error(error, VIREO_ERROR, VIREO_ERROR_FAILED,
                    _("Could not create a private directory for SSH connections: %s"),
                    local_error->message);
        return NULL;
    }

    VireoSshMux *self = g_object_new(VIREO_TYPE_SSH_MUX, NULL);
    self->key = g_steal_pointer(&key);
    self->dest = g_steal_pointer(&dest);
    self->dir = g_steal_pointer(&dir);
    self->control_path = g_build_filename(self->dir, "c", NULL);
    g_hash_table_insert(muxes, self->key, self);
    return self;
}

const char *
vireo_ssh_mux_get_control_path(VireoSshMux *self)
{
    g_return_val_if_fail(VIREO_IS_SSH_MUX(self), NULL);

    return self->control_path;
}

/* The lines of @log that explain a failure (ssh's warnings about known
 * hosts are noise). */
static char *
reason_from_log(const char *log)
{
    g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
    g_autoptr(GString) reason = g_string_new(NULL);

    for (guint i = 0; lines[i]; i++) {
        const char *line = g_strstrip(lines[i]);
        if (!*line || g_str_has_prefix(line, "Warning: Permanently added"))
            continue;
        if (reason->len)
            g_string_append_c(reason, ' ');
        g_string_append(reason, line);
    }
    return reason->len ? g_string_free(g_steal_pointer(&reason), FALSE) : NULL;
}

static gboolean drain_log(VireoSshMux *self);

char *
vireo_ssh_mux_dup_last_error(VireoSshMux *self)
{
    g_return_val_if_fail(VIREO_IS_SSH_MUX(self), NULL);

    /* ssh says why a channel failed before it closes the stream. */
    if (self->log_source)
        drain_log(self);
    const char *last = self->log->str;
    const char *line = g_strrstr(last, "open failed");
    if (line) {
        /* From the start of that line. */
        while (line > last && line[-1] != '\n')
            line--;
        g_autofree char *copy = g_strndup(line, strcspn(line, "\n"));
        return g_strdup(g_strstrip(copy));
    }
    return reason_from_log(last);
}

/* A start_async() caller waiting for the login; a cancellation answers it
 * at once (the login goes on for the others). */
typedef struct {
    GTask *task;
    GSource *cancel_source;
} Waiter;

static void
waiter_free(Waiter *waiter)
{
    if (waiter->cancel_source) {
        g_source_destroy(waiter->cancel_source);
        g_source_unref(waiter->cancel_source);
    }
    g_object_unref(waiter->task);
    g_free(waiter);
}

static gboolean
waiter_cancelled(GCancellable *cancellable, gpointer user_data)
{
    Waiter *waiter = user_data;
    VireoSshMux *self = g_task_get_source_object(waiter->task);

    g_queue_remove(&self->waiters, waiter);
    g_task_return_error_if_cancelled(waiter->task);
    waiter_free(waiter);
    return G_SOURCE_REMOVE;
}

static void
add_waiter(VireoSshMux *self, GTask *task)
{
    Waiter *waiter = g_new0(Waiter, 1);
    GCancellable *cancellable = g_task_get_cancellable(task);

    waiter->task = task;
    if (cancellable) {
        waiter->cancel_source = g_cancellable_source_new(cancellable);
        g_source_set_callback(waiter->cancel_source, G_SOURCE_FUNC(waiter_cancelled), waiter,
                              NULL);
        g_source_attach(waiter->cancel_source, g_task_get_context(task));
    }
    g_queue_push_tail(&self->waiters, waiter);
}

static void
fail_waiters(VireoSshMux *self, GError *error)
{
    Waiter *waiter;

    while ((waiter = g_queue_pop_head(&self->waiters))) {
        g_task_return_error(waiter->task, g_error_copy(error));
        waiter_free(waiter);
    }
    g_error_free(error);
}

static void
ready(VireoSshMux *self)
{
    Waiter *waiter;

    if (self->state != MUX_STARTING)
        return;
    self->state = MUX_READY;
    g_clear_object(&self->monitor);
    g_clear_handle_id(&self->timeout_id, g_source_remove);
    while ((waiter = g_queue_pop_head(&self->waiters))) {
        g_task_return_boolean(waiter->task, TRUE);
        waiter_free(waiter);
    }
}

static void
control_path_changed(GFileMonitor *monitor, GFile *file, GFile *other, GFileMonitorEvent event,
                     gpointer user_data)
{
    VireoSshMux *self = user_data;

    if (g_file_test(self->control_path, G_FILE_TEST_EXISTS))
        ready(self);
}

static gboolean
start_timed_out(gpointer user_data)
{
    VireoSshMux *self = user_data;

    self->timeout_id = 0;
    stop_master(self);
    fail_waiters(self, g_error_new(VIREO_ERROR, VIREO_ERROR_TIMED_OUT,
                                   _("The SSH login to %s did not finish within %d seconds. "
                                     "Check that the host answers and that no password is "
                                     "asked for."),
                                   self->dest->host, START_TIMEOUT_SECONDS));
    return G_SOURCE_REMOVE;
}

/* Why ssh could not log in, as VIREO_ERROR_AUTH_FAILED or _UNREACHABLE. */
static GError *
login_error(VireoSshMux *self, const char *log)
{
    g_autofree char *reason = reason_from_log(log);
    gboolean auth = reason && (strstr(reason, "Permission denied") ||
                               strstr(reason, "Host key verification failed") ||
                               strstr(reason, "Too many authentication failures"));

    if (!reason)
        reason = g_strdup(_("ssh ended without saying why."));
    if (auth)
        return g_error_new(VIREO_ERROR, VIREO_ERROR_AUTH_FAILED,
                           _("SSH could not log in to %s: %s Check the user name and the key "
                             "(the keyfile= of the connection address)."),
                           self->dest->host, reason);
    /* ssh's line ends with or without a full stop; it goes in brackets. */
    gsize len = strlen(reason);
    if (len > 0 && reason[len - 1] == '.')
        reason[len - 1] = '\0';
    return g_error_new(VIREO_ERROR, VIREO_ERROR_UNREACHABLE,
                       _("Could not open an SSH connection to %s (%s). Check that the host is "
                         "up and that its SSH server answers, then connect again."),
                       self->dest->host, reason);
}

static void
master_ended(VireoSshMux *self)
{
    MuxState was = self->state;
    g_autofree char *log = g_strdup(self->log->str);

    stop_master(self);
    if (was == MUX_STARTING)
        fail_waiters(self, login_error(self, log));
    else
        g_debug("The SSH master connection to %s ended: %s", self->dest->host, log);
}

/* Reads what the master wrote on stderr so far (non-blocking); FALSE at its
 * end, which is the master's end (GSubprocess reaps the process itself). */
static gboolean
drain_log(VireoSshMux *self)
{
    char buffer[1024];

    for (;;) {
        ssize_t n = read(self->log_fd, buffer, sizeof buffer);
        if (n > 0) {
            g_string_append_len(self->log, buffer, n);
            if (self->log->len > LOG_MAX)
                g_string_erase(self->log, 0, self->log->len - LOG_MAX / 2);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 && errno == EAGAIN;
    }
}

static gboolean
on_log_readable(int fd, GIOCondition condition, gpointer user_data)
{
    VireoSshMux *self = user_data;

    if (drain_log(self))
        return G_SOURCE_CONTINUE;
    self->log_source = 0;
    master_ended(self);
    return G_SOURCE_REMOVE;
}

static void
die_with_parent(gpointer user_data)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static GSubprocessLauncher *
launcher_new(GSubprocessFlags flags)
{
    GSubprocessLauncher *launcher = g_subprocess_launcher_new(flags);

    /* No terminal prompts from a GUI's child; keys and agents still work,
     * and SSH_ASKPASS where one is set. */
    g_subprocess_launcher_setenv(launcher, "LC_ALL", "C", TRUE);
    g_subprocess_launcher_set_child_setup(launcher, die_with_parent, NULL, NULL);
    return launcher;
}

static gboolean
spawn_master(VireoSshMux *self, GError **error)
{
    static const char *const master_options[] = {
        "-M", "-N", "-T",
        "-o", "ControlMaster=yes",
        "-o", "ControlPersist=no",
        "-o", "ConnectTimeout=20",
        "-o", "ServerAliveInterval=15",
        NULL,
    };
    g_auto(GStrv) argv =
        vireo_ssh_destination_build_argv(self->dest, self->control_path, master_options);
    g_autoptr(GSubprocessLauncher) launcher =
        launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_autoptr(GError) local_error = NULL;

    g_unlink(self->control_path); /* a master that died leaves it behind */
    g_autoptr(GFile) dir = g_file_new_for_path(self->dir);
    self->monitor = g_file_monitor_directory(dir, G_FILE_MONITOR_NONE, NULL, &local_error);
    if (!self->monitor) {
        g_set_error(error, VIREO_ERROR, VIREO_ERROR_FAILED,
                    _("Could not watch the SSH control directory: %s"), local_error->message);
        return FALSE;
    }
    g_signal_connect(self->monitor, "changed", G_CALLBACK(control_path_changed), self);

    self->master = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv,
                                                &local_error);
    if (!self->master) {
        g_clear_object(&self->monitor);
        g_set_error(error, VIREO_ERROR, VIREO_ERROR_NOT_SUPPORTED,
                    _("Could not run “%s” to reach %s over SSH: %s. Install the OpenSSH "
                      "client."),
                    self->dest->command, self->dest->host, local_error->message);
        return FALSE;
    }
    self->state = MUX_STARTING;
    g_string_truncate(self->log, 0);

    /* Read from the raw pipe, so that an error message can be fetched the
     * moment it is needed (vireo_ssh_mux_dup_last_error()). */
    self->log_fd = g_unix_input_stream_get_fd(
        G_UNIX_INPUT_STREAM(g_subprocess_get_stderr_pipe(self->master)));
    g_unix_set_fd_nonblocking(self->log_fd, TRUE, NULL);
    self->log_source =
        g_unix_fd_add(self->log_fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_log_readable, self);

    self->timeout_id = g_timeout_add_seconds(START_TIMEOUT_SECONDS, start_timed_out, self);
    return TRUE;
}

void
vireo_ssh_mux_start_async(VireoSshMux *self, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(VIREO_IS_SSH_MUX(self));

    g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
    g_autoptr(GError) error = NULL;

    g_task_set_source_tag(task, vireo_ssh_mux_start_async);
    if (self->state == MUX_READY && g_file_test(self->control_path, G_FILE_TEST_EXISTS)) {
        g_task_return_boolean(task, TRUE);
        return;
    }
    if (self->state == MUX_READY)
        stop_master(self); /* its socket is gone */
    if (self->state == MUX_IDLE && !spawn_master(self, &error)) {
        g_task_return_error(task, g_steal_pointer(&error));
        return;
    }
    add_waiter(self, g_steal_pointer(&task));
    /* It may have been quicker than the monitor. */
    if (g_file_test(self->control_path, G_FILE_TEST_EXISTS))
        ready(self);
}

gboolean
vireo_ssh_mux_start_finish(VireoSshMux *self, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), FALSE);

    return g_task_propagate_boolean(G_TASK(result), error);
}

/* Opening a stream ------------------------------------------------------ */

typedef struct {
    char *target;
    char *local_path;
} OpenJob;

static void
open_job_free(OpenJob *job)
{
    g_free(job->target);
    g_free(job->local_path);
    g_free(job);
}

static void
return_connected(GTask *task, const char *path, const char *host)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_strlcpy(addr.sun_path, path, sizeof addr.sun_path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int saved_errno = errno;
        if (fd >= 0)
            close(fd);
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_UNREACHABLE,
                                _("The SSH connection to %s was lost (%s). Open the console "
                                  "again to reconnect."),
                                host, g_strerror(saved_errno));
        return;
    }
    g_task_return_int(task, fd);
}

static void
forward_added(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    VireoSshMux *self = g_task_get_source_object(task);
    OpenJob *job = g_task_get_task_data(task);
    g_autofree char *err = NULL;
    g_autoptr(GError) error = NULL;

    if (!g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), result, NULL, &err,
                                              &error)) {
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_UNREACHABLE,
                                _("Could not forward the console of %s over SSH: %s"),
                                self->dest->host, error->message);
        return;
    }
    if (!g_subprocess_get_successful(G_SUBPROCESS(source))) {
        g_autofree char *reason = reason_from_log(err ? err : "");
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_UNREACHABLE,
                                _("The SSH connection to %s refused to forward %s: %s"),
                                self->dest->host, job->target,
                                reason ? reason : _("ssh ended without saying why."));
        return;
    }
    g_hash_table_replace(self->forwards, g_strdup(job->target), g_strdup(job->local_path));
    return_connected(task, job->local_path, self->dest->host);
}

/* "[::1]:5900" for the -L syntax; addresses without ':' and paths as they are. */
static char *
forward_spec(const char *local_path, const char *target)
{
    const char *colon = strrchr(target, ':');

    if (target[0] != '/' && colon && memchr(target, ':', colon - target) && target[0] != '[')
        return g_strdup_printf("%s:[%.*s]%s", local_path, (int)(colon - target), target, colon);
    return g_strdup_printf("%s:%s", local_path, target);
}

static void
open_started(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    VireoSshMux *self = VIREO_SSH_MUX(source);
    OpenJob *job = g_task_get_task_data(task);
    GError *error = NULL;

    if (!vireo_ssh_mux_start_finish(self, result, &error)) {
        g_task_return_error(task, error);
        return;
    }
    if (g_task_return_error_if_cancelled(task))
        return;

    const char *known = g_hash_table_lookup(self->forwards, job->target);
    if (known) {
        return_connected(task, known, self->dest->host);
        return;
    }

    job->local_path = g_strdup_printf("%s/f%u", self->dir, self->next_forward++);
    g_autofree char *spec = forward_spec(job->local_path, job->target);
    const char *const extra[] = {"-O", "forward", "-L", spec, NULL};
    g_auto(GStrv) argv = vireo_ssh_destination_build_argv(self->dest, self->control_path, extra);
    g_autoptr(GSubprocessLauncher) launcher =
        launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_autoptr(GSubprocess) forward =
        g_subprocess_launcher_spawnv(launcher, (const char *const *)argv, &error);
    if (!forward) {
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_NOT_SUPPORTED,
                                _("Could not run “%s”: %s"), self->dest->command,
                                error->message);
        g_error_free(error);
        return;
    }
    GCancellable *cancellable = g_task_get_cancellable(task);
    g_subprocess_communicate_utf8_async(forward, NULL, cancellable, forward_added,
                                        g_steal_pointer(&task));
}

void
vireo_ssh_mux_open_async(VireoSshMux *self, const char *target, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(VIREO_IS_SSH_MUX(self));
    g_return_if_fail(target != NULL);

    GTask *task = g_task_new(self, cancellable, callback, user_data);
    OpenJob *job = g_new0(OpenJob, 1);

    g_task_set_source_tag(task, vireo_ssh_mux_open_async);
    job->target = g_strdup(target);
    g_task_set_task_data(task, job, (GDestroyNotify)open_job_free);
    vireo_ssh_mux_start_async(self, cancellable, open_started, task);
}

int
vireo_ssh_mux_open_finish(VireoSshMux *self, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), -1);

    return (int)g_task_propagate_int(G_TASK(result), error);
}

/* libvirt through the master -------------------------------------------- */

char *
vireo_ssh_mux_dup_libvirt_uri(VireoSshMux *self, const char *uri, GError **error)
{
    g_return_val_if_fail(VIREO_IS_SSH_MUX(self), NULL);

    g_autofree char *wrapper = g_build_filename(self->dir, "ssh", NULL);
    g_autofree char *command = g_shell_quote(self->dest->command);
    g_autofree char *option = g_strdup_printf("ControlPath=%s", self->control_path);
    g_autofree char *quoted_option = g_shell_quote(option);
    g_autofree char *script = g_strdup_printf(
        "#!/bin/sh\n"
        "# Written by Vireo: libvirt's ssh through the console connection's master.\n"
        "exec %s -o %s -o ControlMaster=no \"$@\"\n",
        command, quoted_option);

    if (!g_file_test(wrapper, G_FILE_TEST_IS_EXECUTABLE) &&
        (!g_file_set_contents_full(wrapper, script, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0700,
                                   error)))
        return NULL;

    g_autoptr(GUri) parsed =
        g_uri_parse(uri, G_URI_FLAGS_ENCODED_QUERY | G_URI_FLAGS_NON_DNS, error);
    if (!parsed)
        return NULL;

    /* Every parameter but command= is kept as it was written. */
    g_autoptr(GString) query = g_string_new(NULL);
    const char *old = g_uri_get_query(parsed);
    g_auto(GStrv) params = old ? g_strsplit(old, "&", -1) : g_new0(char *, 1);
    for (guint i = 0; params[i]; i++) {
        if (!*params[i] || g_str_has_prefix(params[i], "command="))
            continue;
        g_string_append_printf(query, "%s&", params[i]);
    }
    g_autofree char *escaped = g_uri_escape_string(wrapper, "/", FALSE);
    g_string_append_printf(query, "command=%s", escaped);

    g_autoptr(GUri) rewritten = g_uri_build(
        G_URI_FLAGS_ENCODED_QUERY | G_URI_FLAGS_NON_DNS, g_uri_get_scheme(parsed),
        g_uri_get_userinfo(parsed), g_uri_get_host(parsed), g_uri_get_port(parsed),
        g_uri_get_path(parsed), query->str, g_uri_get_fragment(parsed));
    return g_uri_to_string(rewritten);
}
