/* vireo-embedded-connection.c: vireo:///session, VMs on the bundled vireo-vmm
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Opening reads the definitions and the runtime folders in a thread, checks
 * KVM (vireo-vmm --check-kvm) and what the VMM can do (its --help), then
 * attaches to every VMM that still runs.  From then on the model follows
 * the files: file monitors on the definitions folder and the runtime
 * folders tell when another process (vireoctl, a second window) defined,
 * removed or started a VM, and each domain follows its VMM's signals.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "vireo-embedded-private.h"

struct _VireoEmbeddedConnection {
    VireoConnection parent_instance;

    VireoEmbeddedDirs *dirs;
    char *vmm;
    VireoEmbeddedVmmFeatures features;
    VireoKvmStatus kvm_status;
    double kvm_speed;
    char *kvm_message;
    char *definition_problems;

    guint session; /* numbers opens; results of an older one are dropped */
    GFileMonitor *config_monitor;
    GFileMonitor *run_monitor;
    GHashTable *vm_monitors; /* name → GFileMonitor on its runtime folder */
    GHashTable *refresh;     /* names to look at again, in an idle */
    guint refresh_id;
    guint64 host_busy_ns, host_total_ns;
};

G_DEFINE_FINAL_TYPE(VireoEmbeddedConnection, vireo_embedded_connection, VIREO_TYPE_CONNECTION)

static VireoEmbeddedDomain *
lookup_name(VireoEmbeddedConnection *self, const char *name)
{
    VireoDomain *domain = vireo_connection_lookup_domain_by_name(VIREO_CONNECTION(self), name);
    return domain ? VIREO_EMBEDDED_DOMAIN(domain) : NULL;
}

/* The VMM ------------------------------------------------------------------- */

char *
vireo_embedded_find_vmm(void)
{
    const char *env = g_getenv("VIREO_VMM");
    g_autofree char *self_exe = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *installed = g_build_filename(BINDIR, "vireo-vmm", NULL);

    if (env && *env)
        return g_strdup(env);
    /* a program run from the build tree uses the VMM built with it */
    if (self_exe && g_str_has_prefix(self_exe, VIREO_BUILD_ROOT "/") &&
        g_file_test(VIREO_BUILD_VMM, G_FILE_TEST_IS_EXECUTABLE))
        return g_strdup(VIREO_BUILD_VMM);
    if (g_file_test(installed, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer(&installed);
    return g_find_program_in_path("vireo-vmm");
}

static VireoKvmStatus
kvm_status_from_string(const char *status)
{
    if (g_strcmp0(status, "ok") == 0)
        return VIREO_KVM_OK;
    if (g_strcmp0(status, "slow") == 0)
        return VIREO_KVM_SLOW;
    if (g_strcmp0(status, "missing") == 0)
        return VIREO_KVM_MISSING;
    if (g_strcmp0(status, "denied") == 0)
        return VIREO_KVM_DENIED;
    if (g_strcmp0(status, "unusable") == 0)
        return VIREO_KVM_UNUSABLE;
    return VIREO_KVM_UNKNOWN;
}

/* Open -------------------------------------------------------------------------- */

typedef struct {
    VireoEmbeddedConfig *config; /* NULL: a transient VM known by its runtime folder */
    VireoEmbeddedRunState run;
    char *reason;
    gboolean persistent;
} Found;

static void
found_free(Found *found)
{
    g_clear_pointer(&found->config, vireo_embedded_config_free);
    g_free(found->reason);
    g_free(found);
}

typedef struct {
    VireoEmbeddedDirs *dirs;
    guint session;
    /* results */
    char *vmm;
    VireoEmbeddedVmmFeatures features;
    VireoKvmStatus kvm_status;
    double kvm_speed;
    char *kvm_message;
    GPtrArray *found; /* Found */
    char *problems;
    guint pending; /* attachments still running */
} OpenJob;

static void
open_job_free(OpenJob *job)
{
    vireo_embedded_dirs_free(job->dirs);
    g_free(job->vmm);
    g_free(job->kvm_message);
    g_clear_pointer(&job->found, g_ptr_array_unref);
    g_free(job->problems);
    g_free(job);
}

static void
parse_kvm_report(OpenJob *job, const char *report)
{
    g_auto(GStrv) lines = g_strsplit(report, "\n", -1);

    for (guint i = 0; lines[i]; i++) {
        if (g_str_has_prefix(lines[i], "status: "))
            job->kvm_status = kvm_status_from_string(lines[i] + 8);
        else if (g_str_has_prefix(lines[i], "guest-ips: "))
            job->kvm_speed = g_ascii_strtod(lines[i] + 11, NULL);
        else if (g_str_has_prefix(lines[i], "message: "))
            job->kvm_message = g_strdup(lines[i] + 9);
        else if (g_str_has_prefix(lines[i], "display: "))
            job->features.display = g_str_equal(lines[i] + 9, "yes");
    }
}

/* What the VMM can do and how KVM serves this host, for this VMM binary:
 * asked once per login session (the runtime folder is the session's), so
 * that a vireoctl command does not pay for the KVM measurement each time.
 * Only a usable KVM is remembered: a missing or forbidden one may be fixed
 * by the next try. */
static char *
probe_key(const char *vmm)
{
    GStatBuf st;

    if (g_stat(vmm, &st) != 0)
        return NULL;
    return g_strdup_printf("vmm: %s %" G_GINT64_FORMAT ".%09ld %" G_GINT64_FORMAT "\n", vmm,
                           (gint64)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec,
                           (gint64)st.st_size);
}

static void
probe_vmm(OpenJob *job)
{
    const char *help_argv[] = {job->vmm, "--help", NULL};
    const char *kvm_argv[] = {job->vmm, "--check-kvm", NULL};
    g_autofree char *help = NULL, *report = NULL, *cached = NULL;
    g_autofree char *cache = g_build_filename(job->dirs->runtime_dir, "vmm-probe", NULL);
    g_autofree char *key = probe_key(job->vmm);

    if (key && g_file_get_contents(cache, &cached, NULL, NULL) &&
        g_str_has_prefix(cached, key)) {
        parse_kvm_report(job, cached + strlen(key));
        if (job->kvm_status == VIREO_KVM_OK || job->kvm_status == VIREO_KVM_SLOW)
            return;
        job->kvm_status = VIREO_KVM_UNKNOWN;
        g_clear_pointer(&job->kvm_message, g_free);
    }

    if (g_spawn_sync(NULL, (char **)help_argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                     &help, NULL, NULL, NULL))
        job->features.display = strstr(help, "--display") != NULL;
    if (!g_spawn_sync(NULL, (char **)kvm_argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                      &report, NULL, NULL, NULL))
        return;
    parse_kvm_report(job, report);
    if (key && (job->kvm_status == VIREO_KVM_OK || job->kvm_status == VIREO_KVM_SLOW)) {
        g_autofree char *contents = g_strdup_printf("%sdisplay: %s\n%s", key,
                                                    job->features.display ? "yes" : "no",
                                                    report);
        g_mkdir_with_parents(job->dirs->runtime_dir, 0700);
        g_file_set_contents_full(cache, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                 NULL);
    }
}

static void
open_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    OpenJob *job = task_data;
    g_autoptr(GPtrArray) definitions = NULL;
    g_autoptr(GString) problems = g_string_new(NULL);
    g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);

    job->vmm = vireo_embedded_find_vmm();
    if (!job->vmm) {
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_UNREACHABLE,
                                _("Vireo's hypervisor, vireo-vmm, cannot be found. Install "
                                  "it with Vireo, or set VIREO_VMM to its path."));
        return;
    }
    /* the folders the monitors watch (made now so that they can) */
    g_mkdir_with_parents(job->dirs->config_dir, 0700);
    g_mkdir_with_parents(job->dirs->runtime_dir, 0700);
    probe_vmm(job);

    definitions = vireo_embedded_load_definitions(job->dirs);
    job->found = g_ptr_array_new_with_free_func((GDestroyNotify)found_free);
    for (guint i = 0; i < definitions->len; i++) {
        VireoEmbeddedFound *one = g_ptr_array_index(definitions, i);
        if (!one->config) {
            if (problems->len)
                g_string_append_c(problems, ' ');
            g_string_append(problems, one->problem);
            continue;
        }
        Found *found = g_new0(Found, 1);
        const char *name = vireo_embedded_config_get_name(one->config);
        g_autofree char *run = vireo_embedded_dirs_run(job->dirs, name);
        g_autofree char *log = vireo_embedded_dirs_log(job->dirs, name);
        found->config = g_steal_pointer(&one->config);
        found->run = vireo_embedded_run_probe(run, log, &found->reason);
        found->persistent = TRUE;
        g_hash_table_add(names, (gpointer)vireo_embedded_config_get_name(found->config));
        g_ptr_array_add(job->found, found);
    }

    /* running VMs whose definition was removed (transient), and leftovers */
    g_auto(GStrv) runs = vireo_embedded_run_list(job->dirs);
    for (guint i = 0; runs[i]; i++) {
        if (g_hash_table_contains(names, runs[i]))
            continue;
        g_autofree char *run = vireo_embedded_dirs_run(job->dirs, runs[i]);
        g_autofree char *log = vireo_embedded_dirs_log(job->dirs, runs[i]);
        g_autofree char *live = g_build_filename(run, "domain.xml", NULL);
        g_autofree char *reason = NULL;
        VireoEmbeddedRunState state = vireo_embedded_run_probe(run, log, &reason);
        VireoEmbeddedConfig *config = NULL;

        if (state == VIREO_EMBEDDED_RUN_LIVE)
            config = vireo_embedded_load_definition(live, NULL);
        if (!config) {
            /* nothing to show: stale, or a crash of a VM no longer defined */
            vireo_embedded_run_remove(run);
            continue;
        }
        Found *found = g_new0(Found, 1);
        found->config = config;
        found->run = state;
        g_ptr_array_add(job->found, found);
    }
    job->problems = problems->len ? g_strdup(problems->str) : NULL;
    g_task_return_boolean(task, TRUE);
}

static void update_warning(VireoEmbeddedConnection *self);
static void start_monitors(VireoEmbeddedConnection *self);
static void stop_monitors(VireoEmbeddedConnection *self);

static void
attach_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    OpenJob *job = g_task_get_task_data(task);

    vireo_embedded_domain_apply_run_state_finish(VIREO_EMBEDDED_DOMAIN(source), result);
    if (--job->pending == 0) {
        g_task_return_boolean(task, TRUE);
        g_object_unref(task);
    }
}

static void
open_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    VireoEmbeddedConnection *self = VIREO_EMBEDDED_CONNECTION(source);
    OpenJob *job = g_task_get_task_data(G_TASK(result));
    OpenJob *outer = g_task_get_task_data(task);
    GError *error = NULL;

    if (!g_task_propagate_boolean(G_TASK(result), &error)) {
        g_task_return_error(task, error);
        g_object_unref(task);
        return;
    }
    if (g_task_return_error_if_cancelled(task) || job->session != self->session) {
        g_object_unref(task);
        return;
    }

    g_free(self->vmm);
    self->vmm = g_steal_pointer(&job->vmm);
    self->features = job->features;
    self->kvm_status = job->kvm_status;
    self->kvm_speed = job->kvm_speed;
    g_free(self->kvm_message);
    self->kvm_message = g_steal_pointer(&job->kvm_message);
    g_free(self->definition_problems);
    self->definition_problems = g_steal_pointer(&job->problems);
    update_warning(self);

    /* one count for this function, released at the end */
    outer->pending = 1;
    for (guint i = 0; i < job->found->len; i++) {
        Found *found = g_ptr_array_index(job->found, i);
        VireoEmbeddedDomain *domain = vireo_embedded_domain_new(
            self, g_steal_pointer(&found->config), found->persistent);
        vireo_connection_add_domain(VIREO_CONNECTION(self), VIREO_DOMAIN(domain));
        outer->pending++;
        vireo_embedded_domain_apply_run_state_async(domain, found->run, found->reason,
                                                    attach_done, task);
        g_object_unref(domain);
    }
    start_monitors(self);
    if (--outer->pending == 0) {
        g_task_return_boolean(task, TRUE);
        g_object_unref(task);
    }
}

static void
vireo_embedded_connection_open_async(VireoConnection *connection, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data)
{
    VireoEmbeddedConnection *self = VIREO_EMBEDDED_CONNECTION(connection);
    GTask *task = g_task_new(self, cancellable, callback, user_data);
    OpenJob *job = g_new0(OpenJob, 1);
    OpenJob *outer = g_new0(OpenJob, 1);

    vireo_embedded_dirs_free(self->dirs);
    self->dirs = vireo_embedded_dirs_new();
    job->dirs = vireo_embedded_dirs_copy(self->dirs);
    job->session = ++self->session;
    g_task_set_task_data(task, outer, (GDestroyNotify)open_job_free);

    GTask *thread_task = g_task_new(self, cancellable, open_done, task);
    g_task_set_task_data(thread_task, job, (GDestroyNotify)open_job_free);
    g_task_run_in_thread(thread_task, open_thread);
    g_object_unref(thread_task);
}

static gboolean
vireo_embedded_connection_open_finish(VireoConnection *connection, GAsyncResult *result,
                                      GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}

static void
vireo_embedded_connection_close(VireoConnection *connection)
{
    VireoEmbeddedConnection *self = VIREO_EMBEDDED_CONNECTION(connection);
    GListModel *domains = vireo_connection_get_domains(connection);

    self->session++;
    stop_monitors(self);
    /* the VMs run on */
    for (guint i = 0; i < g_list_model_get_n_items(domains); i++) {
        g_autoptr(VireoDomain) domain = g_list_model_get_item(domains, i);
        vireo_embedded_domain_detach(VIREO_EMBEDDED_DOMAIN(domain));
    }
}

/* Warning ------------------------------------------------------------------------ */

static void
update_warning(VireoEmbeddedConnection *self)
{
    g_autoptr(GString) warning = g_string_new(NULL);

    if (self->kvm_status != VIREO_KVM_OK && self->kvm_message)
        g_string_append(warning, self->kvm_message);
    if (self->definition_problems) {
        if (warning->len)
            g_string_append_c(warning, ' ');
        g_string_append(warning, self->definition_problems);
    }
    vireo_connection_set_warning(VIREO_CONNECTION(self), warning->len ? warning->str : NULL);
}

/* Following the files ---------------------------------------------------------- */

typedef struct {
    char *name;
    guint session;
    VireoEmbeddedDirs *dirs;
    /* results */
    VireoEmbeddedConfig *config; /* the definition file, if any */
    char *problem;
    VireoEmbeddedConfig *live;   /* the runtime folder's, if it runs */
    VireoEmbeddedRunState run;
    char *reason;
} Refresh;

static void
refresh_free(Refresh *refresh)
{
    g_free(refresh->name);
    vireo_embedded_dirs_free(refresh->dirs);
    g_clear_pointer(&refresh->config, vireo_embedded_config_free);
    g_clear_pointer(&refresh->live, vireo_embedded_config_free);
    g_free(refresh->problem);
    g_free(refresh->reason);
    g_free(refresh);
}

static void
refresh_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    Refresh *refresh = task_data;
    g_autofree char *path = vireo_embedded_dirs_definition(refresh->dirs, refresh->name);
    g_autofree char *run = vireo_embedded_dirs_run(refresh->dirs, refresh->name);
    g_autofree char *log = vireo_embedded_dirs_log(refresh->dirs, refresh->name);
    g_autoptr(GError) error = NULL;

    if (g_file_test(path, G_FILE_TEST_EXISTS)) {
        refresh->config = vireo_embedded_load_definition(path, &error);
        if (!refresh->config)
            refresh->problem = g_strdup(error->message);
        else if (g_strcmp0(vireo_embedded_config_get_name(refresh->config), refresh->name))
            g_clear_pointer(&refresh->config, vireo_embedded_config_free);
    }
    refresh->run = vireo_embedded_run_probe(run, log, &refresh->reason);
    if (refresh->run == VIREO_EMBEDDED_RUN_LIVE) {
        g_autofree char *live = g_build_filename(run, "domain.xml", NULL);
        refresh->live = vireo_embedded_load_definition(live, NULL);
    }
    g_task_return_boolean(task, TRUE);
}

static void
refresh_attach_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    vireo_embedded_domain_apply_run_state_finish(VIREO_EMBEDDED_DOMAIN(source), result);
}

static void
refresh_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    VireoEmbeddedConnection *self = VIREO_EMBEDDED_CONNECTION(source);
    Refresh *refresh = g_task_get_task_data(G_TASK(result));
    VireoEmbeddedDomain *domain = lookup_name(self, refresh->name);
    gboolean created = FALSE;

    if (refresh->session != self->session ||
        vireo_connection_get_state(VIREO_CONNECTION(self)) != VIREO_CONNECTION_STATE_CONNECTED)
        return;

    if (refresh->config) {
        g_autofree char *new_xml = vireo_embedded_config_to_xml(refresh->config);
        g_autofree char *old_xml =
            domain ? vireo_embedded_config_to_xml(vireo_embedded_domain_get_config(domain))
                   : NULL;
        if (domain && g_strcmp0(vireo_domain_get_uuid(VIREO_DOMAIN(domain)),
                                vireo_embedded_config_get_uuid(refresh->config)) != 0 &&
            !vireo_embedded_domain_is_attached(domain)) {
            /* another VM by this name now */
            vireo_connection_remove_domain(VIREO_CONNECTION(self), VIREO_DOMAIN(domain));
            domain = NULL;
        }
        if (!domain) {
            domain = vireo_embedded_domain_new(self, g_steal_pointer(&refresh->config), TRUE);
            vireo_connection_add_domain(VIREO_CONNECTION(self), VIREO_DOMAIN(domain));
            g_object_unref(domain);
            created = TRUE;
        } else if (g_strcmp0(new_xml, old_xml) != 0 ||
                   !vireo_domain_get_persistent(VIREO_DOMAIN(domain))) {
            vireo_embedded_domain_set_config(domain, g_steal_pointer(&refresh->config));
        }
    } else if (domain && vireo_domain_get_persistent(VIREO_DOMAIN(domain)) && !refresh->problem) {
        /* the definition is gone */
        vireo_domain_set_persistent(VIREO_DOMAIN(domain), FALSE);
        if (!vireo_embedded_domain_is_attached(domain)) {
            vireo_connection_remove_domain(VIREO_CONNECTION(self), VIREO_DOMAIN(domain));
            domain = NULL;
        }
    } else if (!domain && refresh->live) {
        /* started elsewhere without a saved definition */
        domain = vireo_embedded_domain_new(self, g_steal_pointer(&refresh->live), FALSE);
        vireo_connection_add_domain(VIREO_CONNECTION(self), VIREO_DOMAIN(domain));
        g_object_unref(domain);
        created = TRUE;
    }

    if (domain && (created || (refresh->run == VIREO_EMBEDDED_RUN_LIVE &&
                               !vireo_embedded_domain_is_attached(domain))))
        vireo_embedded_domain_apply_run_state_async(domain, refresh->run, refresh->reason,
                                                    refresh_attach_done, NULL);
}

static gboolean
refresh_idle(gpointer user_data)
{
    VireoEmbeddedConnection *self = user_data;
    GHashTableIter iter;
    const char *name;

    self->refresh_id = 0;
    g_hash_table_iter_init(&iter, self->refresh);
    while (g_hash_table_iter_next(&iter, (gpointer *)&name, NULL)) {
        Refresh *refresh = g_new0(Refresh, 1);
        refresh->name = g_strdup(name);
        refresh->session = self->session;
        refresh->dirs = vireo_embedded_dirs_copy(self->dirs);
        GTask *task = g_task_new(self, NULL, refresh_done, NULL);
        g_task_set_task_data(task, refresh, (GDestroyNotify)refresh_free);
        g_task_run_in_thread(task, refresh_thread);
        g_object_unref(task);
    }
    g_hash_table_remove_all(self->refresh);
    return G_SOURCE_REMOVE;
}

static void
schedule_refresh(VireoEmbeddedConnection *self, const char *name)
{
    if (!vireo_embedded_name_is_valid(name, NULL))
        return;
    g_hash_table_add(self->refresh, g_strdup(name));
    /* a short pause gathers the events of one save or one start */
    if (!self->refresh_id)
        self->refresh_id = g_timeout_add(20, refresh_idle, self);
}

static void
on_config_changed(GFileMonitor *monitor, GFile *file, GFile *other, GFileMonitorEvent event,
                  gpointer user_data)
{
    VireoEmbeddedConnection *self = user_data;

    for (GFile *f = file; f; f = (f == file ? other : NULL)) {
        g_autofree char *base = g_file_get_basename(f);
        if (g_str_has_suffix(base, ".xml") && base[0] != '.') {
            base[strlen(base) - 4] = '\0';
            schedule_refresh(self, base);
        }
    }
}

static void
on_vm_dir_changed(GFileMonitor *monitor, GFile *file, GFile *other, GFileMonitorEvent event,
                  gpointer user_data)
{
    VireoEmbeddedConnection *self = user_data;
    g_autofree char *base = g_file_get_basename(file);
    g_autoptr(GFile) dir = g_file_get_parent(file);
    g_autofree char *name = g_file_get_basename(dir);

    /* a VMM that comes up makes its control socket; one that ends (or is
     * killed) leaves its lock free, which only the domain sees */
    if (g_str_equal(base, "control.sock") && event == G_FILE_MONITOR_EVENT_CREATED)
        schedule_refresh(self, name);
}

static void
watch_vm_dir(VireoEmbeddedConnection *self, const char *name)
{
    if (g_hash_table_contains(self->vm_monitors, name))
        return;
    g_autofree char *path = vireo_embedded_dirs_run(self->dirs, name);
    g_autoptr(GFile) dir = g_file_new_for_path(path);
    GFileMonitor *monitor = g_file_monitor_directory(dir, G_FILE_MONITOR_NONE, NULL, NULL);
    if (!monitor)
        return;
    g_signal_connect(monitor, "changed", G_CALLBACK(on_vm_dir_changed), self);
    g_hash_table_insert(self->vm_monitors, g_strdup(name), monitor);
}

static void
on_run_changed(GFileMonitor *monitor, GFile *file, GFile *other, GFileMonitorEvent event,
               gpointer user_data)
{
    VireoEmbeddedConnection *self = user_data;
    g_autofree char *name = g_file_get_basename(file);

    if (event == G_FILE_MONITOR_EVENT_CREATED) {
        watch_vm_dir(self, name);
        schedule_refresh(self, name);
    } else if (event == G_FILE_MONITOR_EVENT_DELETED) {
        g_hash_table_remove(self->vm_monitors, name);
    }
}

static void
free_monitor(gpointer data)
{
    GFileMonitor *monitor = data;

    g_signal_handlers_disconnect_matched(monitor, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                                         on_vm_dir_changed, NULL);
    g_file_monitor_cancel(monitor);
    g_object_unref(monitor);
}

static void
start_monitors(VireoEmbeddedConnection *self)
{
    g_autoptr(GFile) config = g_file_new_for_path(self->dirs->config_dir);
    g_autoptr(GFile) run = g_file_new_for_path(self->dirs->runtime_dir);

    stop_monitors(self);
    self->config_monitor = g_file_monitor_directory(config, G_FILE_MONITOR_WATCH_MOVES, NULL,
                                                    NULL);
    if (self->config_monitor)
        g_signal_connect(self->config_monitor, "changed", G_CALLBACK(on_config_changed), self);
    self->run_monitor = g_file_monitor_directory(run, G_FILE_MONITOR_NONE, NULL, NULL);
    if (self->run_monitor)
        g_signal_connect(self->run_monitor, "changed", G_CALLBACK(on_run_changed), self);
    g_auto(GStrv) names = vireo_embedded_run_list(self->dirs);
    for (guint i = 0; names[i]; i++)
        watch_vm_dir(self, names[i]);
}

static void
stop_monitors(VireoEmbeddedConnection *self)
{
    if (self->config_monitor) {
        g_signal_handlers_disconnect_by_data(self->config_monitor, self);
        g_file_monitor_cancel(self->config_monitor);
    }
    g_clear_object(&self->config_monitor);
    if (self->run_monitor) {
        g_signal_handlers_disconnect_by_data(self->run_monitor, self);
        g_file_monitor_cancel(self->run_monitor);
    }
    g_clear_object(&self->run_monitor);
    g_hash_table_remove_all(self->vm_monitors);
    g_clear_handle_id(&self->refresh_id, g_source_remove);
    g_hash_table_remove_all(self->refresh);
}

/* Define --------------------------------------------------------------------------- */

typedef struct {
    char *xml;
    VireoEmbeddedDirs *dirs;
    GHashTable *known; /* name → uuid of the VMs in the model */
    VireoEmbeddedConfig *config;
} DefineJob;

static void
define_job_free(DefineJob *job)
{
    g_free(job->xml);
    vireo_embedded_dirs_free(job->dirs);
    g_hash_table_unref(job->known);
    g_clear_pointer(&job->config, vireo_embedded_config_free);
    g_free(job);
}

static void
define_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    DefineJob *job = task_data;
    GError *error = NULL;

    job->config = vireo_embedded_config_new(job->xml, &error);
    if (!job->config) {
        g_task_return_error(task, error);
        return;
    }
    const char *name = vireo_embedded_config_get_name(job->config);
    const char *uuid = vireo_embedded_config_get_uuid(job->config);

    /* what is on disk now (another process may have defined since) */
    g_autoptr(GPtrArray) definitions = vireo_embedded_load_definitions(job->dirs);
    g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < definitions->len; i++) {
        VireoEmbeddedFound *one = g_ptr_array_index(definitions, i);
        if (one->config)
            g_hash_table_insert(names, (gpointer)vireo_embedded_config_get_name(one->config),
                                (gpointer)vireo_embedded_config_get_uuid(one->config));
    }
    GHashTableIter iter;
    const char *other_name, *other_uuid;
    g_hash_table_iter_init(&iter, job->known);
    while (g_hash_table_iter_next(&iter, (gpointer *)&other_name, (gpointer *)&other_uuid)) {
        if (!g_hash_table_contains(names, other_name))
            g_hash_table_insert(names, (gpointer)other_name, (gpointer)other_uuid);
    }

    const char *owner = g_hash_table_lookup(names, name);
    if (owner && g_strcmp0(owner, uuid) != 0) {
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_INVALID_XML,
                                _("A virtual machine named “%s” already exists (UUID %s). "
                                  "Choose another name, or give the definition that UUID to "
                                  "change that machine."),
                                name, owner);
        return;
    }
    g_hash_table_iter_init(&iter, names);
    while (g_hash_table_iter_next(&iter, (gpointer *)&other_name, (gpointer *)&other_uuid)) {
        if (g_strcmp0(other_uuid, uuid) == 0 && g_strcmp0(other_name, name) != 0) {
            g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_INVALID_XML,
                                    _("The UUID %s already belongs to “%s”. Leave <uuid> out "
                                      "to define a new machine; renaming is not supported."),
                                    uuid, other_name);
            return;
        }
    }

    g_autofree char *xml = vireo_embedded_config_to_xml(job->config);
    if (!vireo_embedded_save_definition(job->dirs, name, xml, &error)) {
        g_task_return_error(task, error);
        return;
    }
    g_task_return_boolean(task, TRUE);
}

static void
define_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    VireoEmbeddedConnection *self = VIREO_EMBEDDED_CONNECTION(source);
    DefineJob *job = g_task_get_task_data(G_TASK(result));
    GError *error = NULL;

    if (!g_task_propagate_boolean(G_TASK(result), &error)) {
        g_task_return_error(task, error);
        return;
    }
    const char *uuid = vireo_embedded_config_get_uuid(job->config);
    VireoDomain *existing = vireo_connection_lookup_domain_by_uuid(VIREO_CONNECTION(self), uuid);
    VireoEmbeddedDomain *domain;

    if (existing) {
        domain = VIREO_EMBEDDED_DOMAIN(g_object_ref(existing));
        vireo_embedded_domain_set_config(domain, g_steal_pointer(&job->config));
    } else {
        domain = vireo_embedded_domain_new(self, g_steal_pointer(&job->config), TRUE);
        vireo_domain_set_state(VIREO_DOMAIN(domain), VIREO_DOMAIN_STATE_SHUTOFF, NULL);
        vireo_connection_add_domain(VIREO_CONNECTION(self), VIREO_DOMAIN(domain));
    }
    g_task_return_pointer(task, domain, g_object_unref);
}

static void
vireo_embedded_connection_define_xml_async(VireoConnection *connection, const char *xml,
                                           GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data)
{
    VireoEmbeddedConnection *self = VIREO_EMBEDDED_CONNECTION(connection);
    GTask *outer = g_task_new(self, cancellable, callback, user_data);
    DefineJob *job = g_new0(DefineJob, 1);
    GListModel *domains = vireo_connection_get_domains(connection);

    job->xml = g_strdup(xml);
    job->dirs = vireo_embedded_dirs_copy(self->dirs);
    job->known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (guint i = 0; i < g_list_model_get_n_items(domains); i++) {
        g_autoptr(VireoDomain) domain = g_list_model_get_item(domains, i);
        g_hash_table_insert(job->known, g_strdup(vireo_domain_get_name(domain)),
                            g_strdup(vireo_domain_get_uuid(domain)));
    }
    GTask *task = g_task_new(self, cancellable, define_done, outer);
    g_task_set_task_data(task, job, (GDestroyNotify)define_job_free);
    g_task_run_in_thread(task, define_thread);
    g_object_unref(task);
}

static VireoDomain *
vireo_embedded_connection_define_xml_finish(VireoConnection *connection, GAsyncResult *result,
                                            GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}

/* Statistics ------------------------------------------------------------------------- */

/* Host CPU from /proc/stat (busy and total jiffies) and memory from
 * /proc/meminfo: procfs reads do not block. */
static void
poll_host(VireoEmbeddedConnection *self)
{
    g_autofree char *stat = NULL, *meminfo = NULL;
    VireoStatsCounters counters = {.timestamp_us = g_get_monotonic_time()};
    guint64 v[8] = {0};
    long hz = sysconf(_SC_CLK_TCK);

    if (!g_file_get_contents("/proc/stat", &stat, NULL, NULL) ||
        sscanf(stat,
               "cpu %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
               " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
               " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
               &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 4)
        return;
    /* user, nice, system, irq, softirq, steal are busy; idle, iowait are not */
    guint64 busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    counters.cpu_time_ns = busy * (G_GUINT64_CONSTANT(1000000000) / (guint64)(hz > 0 ? hz : 100));
    counters.vcpus = (guint)g_get_num_processors();

    if (g_file_get_contents("/proc/meminfo", &meminfo, NULL, NULL)) {
        guint64 total = 0, available = 0;
        g_auto(GStrv) lines = g_strsplit(meminfo, "\n", -1);
        for (guint i = 0; lines[i]; i++) {
            if (g_str_has_prefix(lines[i], "MemTotal:"))
                total = g_ascii_strtoull(lines[i] + 9, NULL, 10);
            else if (g_str_has_prefix(lines[i], "MemAvailable:"))
                available = g_ascii_strtoull(lines[i] + 13, NULL, 10);
        }
        counters.memory_kib = total > available ? total - available : 0;
    }
    vireo_stats_push_counters(vireo_connection_get_host_stats(VIREO_CONNECTION(self)), &counters);
}

static void
vireo_embedded_connection_poll_stats(VireoConnection *connection)
{
    VireoEmbeddedConnection *self = VIREO_EMBEDDED_CONNECTION(connection);
    GListModel *domains = vireo_connection_get_domains(connection);

    for (guint i = 0; i < g_list_model_get_n_items(domains); i++) {
        g_autoptr(VireoDomain) domain = g_list_model_get_item(domains, i);
        vireo_embedded_domain_poll_stats(VIREO_EMBEDDED_DOMAIN(domain));
    }
    poll_host(self);
}

/* Construction -------------------------------------------------------------------------- */

static void
vireo_embedded_connection_dispose(GObject *object)
{
    VireoEmbeddedConnection *self = VIREO_EMBEDDED_CONNECTION(object);

    stop_monitors(self);
    G_OBJECT_CLASS(vireo_embedded_connection_parent_class)->dispose(object);
}

static void
vireo_embedded_connection_finalize(GObject *object)
{
    VireoEmbeddedConnection *self = VIREO_EMBEDDED_CONNECTION(object);

    vireo_embedded_dirs_free(self->dirs);
    g_free(self->vmm);
    g_free(self->kvm_message);
    g_free(self->definition_problems);
    g_hash_table_unref(self->vm_monitors);
    g_hash_table_unref(self->refresh);
    G_OBJECT_CLASS(vireo_embedded_connection_parent_class)->finalize(object);
}

static void
vireo_embedded_connection_class_init(VireoEmbeddedConnectionClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    VireoConnectionClass *connection_class = VIREO_CONNECTION_CLASS(klass);

    object_class->dispose = vireo_embedded_connection_dispose;
    object_class->finalize = vireo_embedded_connection_finalize;
    connection_class->open_async = vireo_embedded_connection_open_async;
    connection_class->open_finish = vireo_embedded_connection_open_finish;
    connection_class->close = vireo_embedded_connection_close;
    connection_class->define_xml_async = vireo_embedded_connection_define_xml_async;
    connection_class->define_xml_finish = vireo_embedded_connection_define_xml_finish;
    connection_class->poll_stats = vireo_embedded_connection_poll_stats;
}

static void
vireo_embedded_connection_init(VireoEmbeddedConnection *self)
{
    self->dirs = vireo_embedded_dirs_new();
    self->vm_monitors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free_monitor);
    self->refresh = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

/* For the backend's files ------------------------------------------------------------------ */

const VireoEmbeddedDirs *
vireo_embedded_connection_get_dirs(VireoEmbeddedConnection *self)
{
    return self->dirs;
}

const char *
vireo_embedded_connection_get_vmm(VireoEmbeddedConnection *self)
{
    return self->vmm;
}

const VireoEmbeddedVmmFeatures *
vireo_embedded_connection_get_features(VireoEmbeddedConnection *self)
{
    return &self->features;
}

void
vireo_embedded_connection_domain_stopped(VireoEmbeddedConnection *self,
                                         VireoEmbeddedDomain *domain)
{
    if (!vireo_domain_get_persistent(VIREO_DOMAIN(domain)))
        vireo_connection_remove_domain(VIREO_CONNECTION(self), VIREO_DOMAIN(domain));
}

VireoKvmStatus
vireo_embedded_connection_get_kvm_status(VireoEmbeddedConnection *self)
{
    g_return_val_if_fail(VIREO_IS_EMBEDDED_CONNECTION(self), VIREO_KVM_UNKNOWN);
    return self->kvm_status;
}

double
vireo_embedded_connection_get_kvm_speed(VireoEmbeddedConnection *self)
{
    g_return_val_if_fail(VIREO_IS_EMBEDDED_CONNECTION(self), 0);
    return self->kvm_speed;
}

const char *
vireo_embedded_connection_get_kvm_message(VireoEmbeddedConnection *self)
{
    g_return_val_if_fail(VIREO_IS_EMBEDDED_CONNECTION(self), NULL);
    return self->kvm_message;
}
