/* vireo-libvirt-connection.c: a connection through libvirt (any libvirt URI)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One open virConnectPtr is a Session.  libvirt calls back (domain lifecycle,
 * connection closed) with the session as opaque data; callbacks may come from
 * any thread, so they are handed to the main context, where the session is
 * matched against the connection's current one: events of a closed or
 * abandoned session are dropped.  Events that arrive while the first domain
 * list is read are kept and replayed once it is shown.
 *
 * Every blocking libvirt call (open, list, stats, teardown) runs in a GTask
 * thread.
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "vireo-libvirt-connection.h"
#include "vireo-libvirt-domain.h"
#include "vireo-libvirt-util.h"
#include "vireo-ssh.h"

/* Keepalive: a probe every 5 s, the connection is dead after 3 missed. */
#define KEEPALIVE_INTERVAL 5
#define KEEPALIVE_COUNT    3

typedef struct {
    gatomicrefcount ref;
    GWeakRef owner; /* VireoLibvirtConnection */
    virConnectPtr conn;
    int lifecycle_id;
    gboolean close_registered;

    /* Main context only. */
    gboolean live;     /* its domains are shown */
    gboolean dead;     /* closed: ignore its events */
    GPtrArray *pending; /* PendingEvent, before it is live */
} Session;

typedef struct {
    virDomainPtr domain;
    int event;
} PendingEvent;

struct _VireoLibvirtConnection {
    VireoConnection parent_instance;

    Session *session; /* the live one, or NULL */
    gboolean stats_running;
    /* qemu+ssh://: the one SSH login to the host, carrying libvirt's own
     * connection and every console. */
    VireoSshMux *mux;
};

G_DEFINE_FINAL_TYPE(VireoLibvirtConnection, vireo_libvirt_connection, VIREO_TYPE_CONNECTION)

/* Sessions -------------------------------------------------------------- */

static void
pending_event_free(PendingEvent *pending)
{
    virDomainFree(pending->domain);
    g_free(pending);
}

static Session *
session_new(VireoLibvirtConnection *owner, virConnectPtr conn)
{
    Session *session = g_new0(Session, 1);

    g_atomic_ref_count_init(&session->ref);
    g_weak_ref_init(&session->owner, owner);
    session->conn = conn;
    session->lifecycle_id = -1;
    session->pending = g_ptr_array_new_with_free_func((GDestroyNotify)pending_event_free);
    return session;
}

static Session *
session_ref(Session *session)
{
    g_atomic_ref_count_inc(&session->ref);
    return session;
}

static void
session_unref(Session *session)
{
    if (!g_atomic_ref_count_dec(&session->ref))
        return;
    /* The teardown closed the connection before the last reference went. */
    g_assert(session->conn == NULL);
    g_weak_ref_clear(&session->owner);
    g_ptr_array_unref(session->pending);
    g_free(session);
}

static void
session_unref_cb(void *opaque)
{
    session_unref(opaque);
}

static void close_cb(virConnectPtr conn, int reason, void *opaque);

static void
teardown_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    Session *session = task_data;

    if (session->lifecycle_id >= 0)
        virConnectDomainEventDeregisterAny(session->conn, session->lifecycle_id);
    if (session->close_registered)
        virConnectUnregisterCloseCallback(session->conn, close_cb);
    virConnectClose(session->conn);
    session->conn = NULL;
    virResetLastError();
}

static void
teardown_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    /* The SSH master that carried the connection may go now. */
    g_clear_object(&user_data);
}

/* Closes the session's connection in a thread and drops @session's
 * reference there; @mux (may be NULL) is kept until then.  Any thread. */
static void
session_shutdown(Session *session, VireoSshMux *mux)
{
    g_autoptr(GTask) task =
        g_task_new(NULL, NULL, teardown_done, mux ? g_object_ref(mux) : NULL);

    g_task_set_source_tag(task, session_shutdown);
    g_task_set_task_data(task, session, (GDestroyNotify)session_unref);
    g_task_run_in_thread(task, teardown_thread);
}

/* Main context: forget the live session (its events are ignored from now on). */
static void
drop_session(VireoLibvirtConnection *self)
{
    Session *session = g_steal_pointer(&self->session);

    if (!session)
        return;
    session->dead = TRUE;
    g_ptr_array_set_size(session->pending, 0);
    session_shutdown(session, self->mux);
}

/* Events ---------------------------------------------------------------- */

static void
handle_domain_event(VireoLibvirtConnection *self, virDomainPtr handle, int event)
{
    char uuid[VIR_UUID_STRING_BUFLEN];

    if (virDomainGetUUIDString(handle, uuid) < 0)
        return;

    VireoDomain *domain = vireo_connection_lookup_domain_by_uuid(VIREO_CONNECTION(self), uuid);
    if (!domain) {
        /* Nothing to show for a VM that is already gone. */
        if (event == VIR_DOMAIN_EVENT_UNDEFINED || event == VIR_DOMAIN_EVENT_STOPPED)
            return;
        g_autoptr(VireoLibvirtDomain) created =
            vireo_libvirt_domain_new(VIREO_CONNECTION(self), handle);
        vireo_connection_add_domain(VIREO_CONNECTION(self), VIREO_DOMAIN(created));
        domain = VIREO_DOMAIN(created);
    }
    /* The event says what changed; the refresh reads the whole truth
     * (state, reason, memory, managed save…) or finds the VM gone. */
    vireo_libvirt_domain_refresh(VIREO_LIBVIRT_DOMAIN(domain));
}

typedef struct {
    Session *session;
    virDomainPtr domain;
    int event;
} LifecycleEvent;

static void
lifecycle_event_free(gpointer data)
{
    LifecycleEvent *ev = data;

    session_unref(ev->session);
    virDomainFree(ev->domain);
    g_free(ev);
}

static gboolean
dispatch_lifecycle(gpointer data)
{
    LifecycleEvent *ev = data;
    Session *session = ev->session;
    g_autoptr(VireoLibvirtConnection) self = g_weak_ref_get(&session->owner);

    if (!self || session->dead)
        return G_SOURCE_REMOVE;

    if (!session->live) {
        PendingEvent *pending = g_new0(PendingEvent, 1);
        virDomainRef(ev->domain);
        pending->domain = ev->domain;
        pending->event = ev->event;
        g_ptr_array_add(session->pending, pending);
        return G_SOURCE_REMOVE;
    }
    handle_domain_event(self, ev->domain, ev->event);
    return G_SOURCE_REMOVE;
}

static int
lifecycle_cb(virConnectPtr conn, virDomainPtr domain, int event, int detail, void *opaque)
{
    LifecycleEvent *ev = g_new0(LifecycleEvent, 1);

    ev->session = session_ref(opaque);
    virDomainRef(domain);
    ev->domain = domain;
    ev->event = event;
    g_main_context_invoke_full(NULL, G_PRIORITY_DEFAULT, dispatch_lifecycle, ev,
                               lifecycle_event_free);
    return 0;
}

typedef struct {
    Session *session;
    int reason;
} CloseEvent;

static void
close_event_free(gpointer data)
{
    CloseEvent *ev = data;

    session_unref(ev->session);
    g_free(ev);
}

static char *
close_reason_message(VireoLibvirtConnection *self, int reason)
{
    g_autofree char *name = vireo_connection_dup_display_name(VIREO_CONNECTION(self));

    switch (reason) {
    case VIR_CONNECT_CLOSE_REASON_EOF:
        return g_strdup_printf(_("The hypervisor of %s closed the connection: its daemon "
                                 "stopped or the link to the host broke. Connect again once "
                                 "it runs."),
                               name);
    case VIR_CONNECT_CLOSE_REASON_KEEPALIVE:
        return g_strdup_printf(_("%s stopped answering (no reply to keepalive probes). Check "
                                 "the network and the host, then connect again."),
                               name);
    case VIR_CONNECT_CLOSE_REASON_ERROR:
    default:
        return g_strdup_printf(_("The connection to %s failed. Connect again to retry."),
                               name);
    }
}

static gboolean
dispatch_close(gpointer data)
{
    CloseEvent *ev = data;
    g_autoptr(VireoLibvirtConnection) self = g_weak_ref_get(&ev->session->owner);

    if (!self || ev->session != self->session || ev->reason == VIR_CONNECT_CLOSE_REASON_CLIENT)
        return G_SOURCE_REMOVE;

    g_autofree char *message = close_reason_message(self, ev->reason);
    drop_session(self);
    vireo_connection_remove_all_domains(VIREO_CONNECTION(self));
    vireo_connection_set_state(VIREO_CONNECTION(self), VIREO_CONNECTION_STATE_DISCONNECTED,
                               message);
    return G_SOURCE_REMOVE;
}

static void
close_cb(virConnectPtr conn, int reason, void *opaque)
{
    CloseEvent *ev = g_new0(CloseEvent, 1);

    ev->session = session_ref(opaque);
    ev->reason = reason;
    g_main_context_invoke_full(NULL, G_PRIORITY_DEFAULT, dispatch_close, ev, close_event_free);
}

/* Open ------------------------------------------------------------------ */

typedef struct {
    Session *session;
    char *hostname;
    GPtrArray *infos; /* VireoLibvirtDomainInfo */
} OpenResult;

static void
open_result_free(OpenResult *result)
{
    if (result->session)
        session_shutdown(result->session, NULL);
    g_free(result->hostname);
    if (result->infos)
        g_ptr_array_unref(result->infos);
    g_free(result);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(OpenResult, open_result_free)

/* What open_thread() opens: @open_uri, which may differ from the
 * connection's URI (SSH through the shared master), shown in errors. */
typedef struct {
    char *uri;
    char *open_uri;
} OpenJob;

static void
open_job_free(OpenJob *job)
{
    g_free(job->uri);
    g_free(job->open_uri);
    g_free(job);
}

static void
open_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    VireoLibvirtConnection *self = source;
    OpenJob *job = task_data;
    GError *error = NULL;
    g_autoptr(OpenResult) result = g_new0(OpenResult, 1);

    virConnectPtr conn = virConnectOpenAuth(job->open_uri, NULL, 0);
    if (!conn) {
        vireo_libvirt_set_open_error(&error, job->uri);
        /* FALSE: the caller stopped waiting (cancel or timeout) already. */
        if (g_task_set_return_on_cancel(task, FALSE))
            g_task_return_error(task, error);
        else
            g_error_free(error);
        return;
    }
    result->session = session_new(self, conn);

    /* Fails harmlessly on drivers without keepalive (test://, local). */
    virConnectSetKeepAlive(conn, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT);

    if (virConnectRegisterCloseCallback(conn, close_cb, session_ref(result->session),
                                        session_unref_cb) == 0)
        result->session->close_registered = TRUE;
    else
        session_unref(result->session);

    result->session->lifecycle_id = virConnectDomainEventRegisterAny(
        conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(lifecycle_cb),
        session_ref(result->session), session_unref_cb);
    if (result->session->lifecycle_id < 0) {
        session_unref(result->session);
        g_set_error(&error, VIREO_ERROR, VIREO_ERROR_NOT_SUPPORTED,
                    _("The hypervisor does not report changes of its virtual machines (%s), "
                      "which Vireo needs to show them."),
                    vireo_libvirt_last_error_message());
        goto fail;
    }

    char *hostname = virConnectGetHostname(conn);
    result->hostname = g_strdup(hostname);
    free(hostname);

    virDomainPtr *domains = NULL;
    int n = virConnectListAllDomains(conn, &domains, 0);
    if (n < 0) {
        g_set_error(&error, VIREO_ERROR,
                    vireo_libvirt_classify_error(virGetLastError(), VIREO_ERROR_FAILED),
                    _("Connected, but could not list the virtual machines: %s"),
                    vireo_libvirt_last_error_message());
        goto fail;
    }
    result->infos =
        g_ptr_array_new_with_free_func((GDestroyNotify)vireo_libvirt_domain_info_free);
    for (int i = 0; i < n; i++) {
        g_autoptr(GError) info_error = NULL;
        VireoLibvirtDomainInfo *info = vireo_libvirt_domain_info_read(domains[i], &info_error);
        /* A VM that vanished meanwhile is simply not listed. */
        if (info && !info->gone)
            g_ptr_array_add(result->infos, info);
        else
            vireo_libvirt_domain_info_free(info);
        virDomainFree(domains[i]);
    }
    free(domains);

    if (g_task_set_return_on_cancel(task, FALSE))
        g_task_return_pointer(task, g_steal_pointer(&result), (GDestroyNotify)open_result_free);
    return;

fail:
    if (g_task_set_return_on_cancel(task, FALSE))
        g_task_return_error(task, error);
    else
        g_error_free(error);
}

static void
open_libvirt(GTask *task, const char *open_uri)
{
    OpenJob *job = g_new0(OpenJob, 1);

    job->uri = g_strdup(vireo_connection_get_uri(g_task_get_source_object(task)));
    job->open_uri = g_strdup(open_uri);
    g_task_set_task_data(task, job, (GDestroyNotify)open_job_free);
    /* virConnectOpen cannot be interrupted: on cancel (or the base class's
     * timeout) the caller gets CANCELLED at once and the thread cleans up
     * whatever it opened when it returns. */
    g_task_set_return_on_cancel(task, TRUE);
    g_task_run_in_thread(task, open_thread);
}

static void
mux_started(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    VireoSshMux *mux = VIREO_SSH_MUX(source);
    VireoConnection *connection = g_task_get_source_object(task);
    const char *uri = vireo_connection_get_uri(connection);
    g_autoptr(GError) error = NULL;

    if (!vireo_ssh_mux_start_finish(mux, result, &error)) {
        /* ssh's own reason for a host that cannot be reached or refuses
         * the login; anything else is this machine's trouble with the
         * master, and libvirt may still connect by itself. */
        if (g_error_matches(error, VIREO_ERROR, VIREO_ERROR_UNREACHABLE) ||
            g_error_matches(error, VIREO_ERROR, VIREO_ERROR_AUTH_FAILED) ||
            g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            g_task_return_error(task, g_steal_pointer(&error));
            return;
        }
        g_message("Connecting to %s without a shared SSH connection: %s", uri, error->message);
        open_libvirt(task, uri);
        return;
    }

    g_autofree char *through_mux = vireo_ssh_mux_dup_libvirt_uri(mux, uri, &error);
    if (!through_mux)
        g_message("Connecting to %s without a shared SSH connection: %s", uri, error->message);
    open_libvirt(task, through_mux ? through_mux : uri);
}

static void
vireo_libvirt_connection_open_async(VireoConnection *connection, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
    VireoLibvirtConnection *self = VIREO_LIBVIRT_CONNECTION(connection);
    const char *uri = vireo_connection_get_uri(connection);
    g_autoptr(GTask) task = g_task_new(connection, cancellable, callback, user_data);
    g_autoptr(GError) error = NULL;

    g_task_set_source_tag(task, vireo_libvirt_connection_open_async);

    /* SSH: log in once with a master connection that libvirt's ssh then
     * rides, and the consoles' forwardings after it. */
    if (vireo_ssh_uri_is_ssh(uri) && !self->mux)
        self->mux = vireo_ssh_mux_get_for_uri(uri, &error);
    if (self->mux) {
        vireo_ssh_mux_start_async(self->mux, cancellable, mux_started, g_steal_pointer(&task));
        return;
    }
    if (error)
        g_message("Connecting to %s without a shared SSH connection: %s", uri, error->message);
    open_libvirt(task, uri);
}

static gboolean
vireo_libvirt_connection_open_finish(VireoConnection *connection, GAsyncResult *result,
                                     GError **error)
{
    VireoLibvirtConnection *self = VIREO_LIBVIRT_CONNECTION(connection);
    /* Cancelled before this point: propagate frees (and closes) the result. */
    g_autoptr(OpenResult) opened = g_task_propagate_pointer(G_TASK(result), error);

    if (!opened)
        return FALSE;

    drop_session(self);
    self->session = g_steal_pointer(&opened->session);

    vireo_connection_set_hostname(connection, opened->hostname);
    for (guint i = 0; i < opened->infos->len; i++) {
        VireoLibvirtDomainInfo *info = opened->infos->pdata[i];
        g_autoptr(VireoLibvirtDomain) domain = vireo_libvirt_domain_new(connection, info->domain);
        vireo_libvirt_domain_apply_info(domain, info);
        vireo_connection_add_domain(connection, VIREO_DOMAIN(domain));
    }

    /* Replay what happened while the list was read. */
    Session *session = self->session;
    session->live = TRUE;
    g_autoptr(GPtrArray) pending = g_steal_pointer(&session->pending);
    session->pending = g_ptr_array_new_with_free_func((GDestroyNotify)pending_event_free);
    for (guint i = 0; i < pending->len; i++) {
        PendingEvent *ev = pending->pdata[i];
        handle_domain_event(self, ev->domain, ev->event);
    }
    return TRUE;
}

static void
vireo_libvirt_connection_close(VireoConnection *connection)
{
    VireoLibvirtConnection *self = VIREO_LIBVIRT_CONNECTION(connection);

    drop_session(self);
    /* Its teardown keeps the master until libvirt is done with it. */
    g_clear_object(&self->mux);
}

VireoSshMux *
vireo_libvirt_connection_get_ssh_mux(VireoLibvirtConnection *self, GError **error)
{
    g_return_val_if_fail(VIREO_IS_LIBVIRT_CONNECTION(self), NULL);

    if (!self->mux)
        self->mux = vireo_ssh_mux_get_for_uri(vireo_connection_get_uri(VIREO_CONNECTION(self)),
                                              error);
    return self->mux;
}

/* Define ---------------------------------------------------------------- */

typedef struct {
    virConnectPtr conn;
    char *xml;
} DefineJob;

static void
define_job_free(DefineJob *job)
{
    virConnectClose(job->conn);
    g_free(job->xml);
    g_free(job);
}

static void
define_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    DefineJob *job = task_data;
    GError *error = NULL;

    if (g_task_return_error_if_cancelled(task))
        return;

    virDomainPtr domain = virDomainDefineXMLFlags(job->conn, job->xml, VIR_DOMAIN_DEFINE_VALIDATE);
    if (!domain) {
        virErrorPtr e = virGetLastError();
        if (e && (e->code == VIR_ERR_INVALID_ARG || e->code == VIR_ERR_NO_SUPPORT) &&
            g_strrstr(e->message ? e->message : "", "flags"))
            domain = virDomainDefineXML(job->conn, job->xml);
    }
    if (!domain) {
        VireoError code = vireo_libvirt_classify_error(virGetLastError(), VIREO_ERROR_INVALID_XML);
        if (code != VIREO_ERROR_NOT_CONNECTED)
            code = VIREO_ERROR_INVALID_XML;
        g_task_return_new_error(task, VIREO_ERROR, code,
                                _("The virtual machine definition was rejected: %s"),
                                vireo_libvirt_last_error_message());
        return;
    }

    VireoLibvirtDomainInfo *info = vireo_libvirt_domain_info_read(domain, &error);
    virDomainFree(domain);
    if (!info) {
        g_task_return_error(task, error);
        return;
    }
    g_task_return_pointer(task, info, (GDestroyNotify)vireo_libvirt_domain_info_free);
}

static void
vireo_libvirt_connection_define_xml_async(VireoConnection *connection, const char *xml,
                                          GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data)
{
    VireoLibvirtConnection *self = VIREO_LIBVIRT_CONNECTION(connection);
    g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
    DefineJob *job = g_new0(DefineJob, 1);

    g_task_set_source_tag(task, vireo_libvirt_connection_define_xml_async);
    g_assert(self->session != NULL);
    virConnectRef(self->session->conn);
    job->conn = self->session->conn;
    job->xml = g_strdup(xml);
    g_task_set_task_data(task, job, (GDestroyNotify)define_job_free);
    g_task_run_in_thread(task, define_thread);
}

static VireoDomain *
vireo_libvirt_connection_define_xml_finish(VireoConnection *connection, GAsyncResult *result,
                                           GError **error)
{
    g_autoptr(VireoLibvirtDomainInfo) info = g_task_propagate_pointer(G_TASK(result), error);

    if (!info)
        return NULL;

    VireoDomain *known = vireo_connection_lookup_domain_by_uuid(connection, info->uuid);
    if (known) {
        /* The DEFINED event may have added it first.  Show the definition
         * now, and read it again in case a newer reading was overwritten. */
        vireo_libvirt_domain_apply_info(VIREO_LIBVIRT_DOMAIN(known), info);
        vireo_libvirt_domain_refresh(VIREO_LIBVIRT_DOMAIN(known));
        return g_object_ref(known);
    }

    VireoLibvirtDomain *domain = vireo_libvirt_domain_new(connection, info->domain);
    vireo_libvirt_domain_apply_info(domain, info);
    if (VIREO_LIBVIRT_CONNECTION(connection)->session)
        vireo_connection_add_domain(connection, VIREO_DOMAIN(domain));
    return VIREO_DOMAIN(domain);
}

/* Statistics ------------------------------------------------------------ */

typedef struct {
    char *uuid;
    VireoStatsCounters counters;
} DomainSample;

typedef struct {
    virConnectPtr conn;
    Session *session;
    GArray *samples; /* DomainSample */
    gboolean have_host;
    VireoStatsCounters host;
} StatsJob;

static void
domain_sample_clear(DomainSample *sample)
{
    g_free(sample->uuid);
}

static void
stats_job_free(StatsJob *job)
{
    virConnectClose(job->conn);
    session_unref(job->session);
    g_array_unref(job->samples);
    g_free(job);
}

static guint64
param_u64(virTypedParameterPtr params, int n, const char *name)
{
    unsigned long long value = 0;

    if (virTypedParamsGetULLong(params, n, name, &value) == 1)
        return value;
    return 0;
}

static guint64
sum_indexed(virTypedParameterPtr params, int n, const char *prefix, const char *field)
{
    guint count = 0;
    guint64 sum = 0;
    g_autofree char *count_name = g_strdup_printf("%s.count", prefix);

    virTypedParamsGetUInt(params, n, count_name, &count);
    for (guint i = 0; i < count; i++) {
        g_autofree char *name = g_strdup_printf("%s.%u.%s", prefix, i, field);
        sum += param_u64(params, n, name);
    }
    return sum;
}

static void
read_domain_samples(StatsJob *job)
{
    virDomainStatsRecordPtr *records = NULL;
    unsigned int groups = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |
                          VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_VCPU |
                          VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_BLOCK;

    /* One bulk call for every running VM. */
    int n = virConnectGetAllDomainStats(job->conn, groups, &records,
                                        VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE);
    gint64 now = g_get_monotonic_time();
    if (n < 0)
        return;

    for (int i = 0; i < n; i++) {
        virDomainStatsRecordPtr record = records[i];
        char uuid[VIR_UUID_STRING_BUFLEN];
        DomainSample sample = {0};

        if (virDomainGetUUIDString(record->dom, uuid) < 0)
            continue;
        sample.uuid = g_strdup(uuid);
        sample.counters.timestamp_us = now;
        sample.counters.cpu_time_ns = param_u64(record->params, record->nparams, "cpu.time");
        unsigned int vcpus = 0;
        virTypedParamsGetUInt(record->params, record->nparams, "vcpu.current", &vcpus);
        sample.counters.vcpus = vcpus;

        /* Memory the guest uses when its balloon driver says so, else what
         * it was given. */
        guint64 available = param_u64(record->params, record->nparams, "balloon.available");
        guint64 unused = param_u64(record->params, record->nparams, "balloon.unused");
        if (available > 0 && unused <= available)
            sample.counters.memory_kib = available - unused;
        else
            sample.counters.memory_kib =
                param_u64(record->params, record->nparams, "balloon.current");

        sample.counters.disk_read_bytes =
            sum_indexed(record->params, record->nparams, "block", "rd.bytes");
        sample.counters.disk_write_bytes =
            sum_indexed(record->params, record->nparams, "block", "wr.bytes");
        sample.counters.net_rx_bytes =
            sum_indexed(record->params, record->nparams, "net", "rx.bytes");
        sample.counters.net_tx_bytes =
            sum_indexed(record->params, record->nparams, "net", "tx.bytes");
        g_array_append_val(job->samples, sample);
    }
    virDomainStatsRecordListFree(records);
}

static void
read_host_sample(StatsJob *job)
{
    virNodeInfo node;
    int n = 0;

    if (virNodeGetInfo(job->conn, &node) < 0)
        return;
    job->host.vcpus = node.cpus;

    if (virNodeGetCPUStats(job->conn, VIR_NODE_CPU_STATS_ALL_CPUS, NULL, &n, 0) == 0 && n > 0) {
        g_autofree virNodeCPUStatsPtr cpu = g_new0(virNodeCPUStats, n);
        if (virNodeGetCPUStats(job->conn, VIR_NODE_CPU_STATS_ALL_CPUS, cpu, &n, 0) == 0) {
            for (int i = 0; i < n; i++)
                if (g_str_equal(cpu[i].field, VIR_NODE_CPU_STATS_KERNEL) ||
                    g_str_equal(cpu[i].field, VIR_NODE_CPU_STATS_USER))
                    job->host.cpu_time_ns += cpu[i].value;
            job->have_host = TRUE;
        }
    }

    n = 0;
    if (virNodeGetMemoryStats(job->conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, NULL, &n, 0) == 0 &&
        n > 0) {
        g_autofree virNodeMemoryStatsPtr mem = g_new0(virNodeMemoryStats, n);
        if (virNodeGetMemoryStats(job->conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, mem, &n, 0) == 0) {
            guint64 total = 0, unused = 0;
            for (int i = 0; i < n; i++) {
                if (g_str_equal(mem[i].field, VIR_NODE_MEMORY_STATS_TOTAL))
                    total = mem[i].value;
                else if (g_str_equal(mem[i].field, VIR_NODE_MEMORY_STATS_FREE) ||
                         g_str_equal(mem[i].field, VIR_NODE_MEMORY_STATS_BUFFERS) ||
                         g_str_equal(mem[i].field, VIR_NODE_MEMORY_STATS_CACHED))
                    unused += mem[i].value;
            }
            job->host.memory_kib = total > unused ? total - unused : 0;
            job->have_host = TRUE;
        }
    }
    job->host.timestamp_us = g_get_monotonic_time();
    virResetLastError();
}

static void
stats_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    StatsJob *job = task_data;

    read_domain_samples(job);
    read_host_sample(job);
    g_task_return_boolean(task, TRUE);
}

static void
stats_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    VireoLibvirtConnection *self = VIREO_LIBVIRT_CONNECTION(source);
    VireoConnection *connection = VIREO_CONNECTION(self);
    StatsJob *job = g_task_get_task_data(G_TASK(result));

    self->stats_running = FALSE;
    if (job->session != self->session)
        return; /* closed meanwhile */

    for (guint i = 0; i < job->samples->len; i++) {
        DomainSample *sample = &g_array_index(job->samples, DomainSample, i);
        VireoDomain *domain = vireo_connection_lookup_domain_by_uuid(connection, sample->uuid);
        if (!domain || !vireo_domain_is_active(domain))
            continue;
        /* Drivers that leave fields out: fall back on what the model knows. */
        if (sample->counters.vcpus == 0)
            sample->counters.vcpus = vireo_domain_get_vcpus(domain);
        if (sample->counters.memory_kib == 0)
            sample->counters.memory_kib = vireo_domain_get_memory(domain);
        vireo_domain_push_stats(domain, &sample->counters);
    }
    if (job->have_host)
        vireo_stats_push_counters(vireo_connection_get_host_stats(connection), &job->host);
}

static void
vireo_libvirt_connection_poll_stats(VireoConnection *connection)
{
    VireoLibvirtConnection *self = VIREO_LIBVIRT_CONNECTION(connection);

    /* A slow host: skip this tick rather than queue another call. */
    if (!self->session || self->stats_running)
        return;

    g_autoptr(GTask) task = g_task_new(self, NULL, stats_done, NULL);
    StatsJob *job = g_new0(StatsJob, 1);

    g_task_set_source_tag(task, vireo_libvirt_connection_poll_stats);
    virConnectRef(self->session->conn);
    job->conn = self->session->conn;
    job->session = session_ref(self->session);
    job->samples = g_array_new(FALSE, TRUE, sizeof(DomainSample));
    g_array_set_clear_func(job->samples, (GDestroyNotify)domain_sample_clear);
    g_task_set_task_data(task, job, (GDestroyNotify)stats_job_free);

    self->stats_running = TRUE;
    g_task_run_in_thread(task, stats_thread);
}

/* Type ------------------------------------------------------------------ */

static void
vireo_libvirt_connection_dispose(GObject *object)
{
    VireoLibvirtConnection *self = VIREO_LIBVIRT_CONNECTION(object);

    drop_session(self);
    g_clear_object(&self->mux);

    G_OBJECT_CLASS(vireo_libvirt_connection_parent_class)->dispose(object);
}

static void
vireo_libvirt_connection_class_init(VireoLibvirtConnectionClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    VireoConnectionClass *connection_class = VIREO_CONNECTION_CLASS(klass);

    object_class->dispose = vireo_libvirt_connection_dispose;

    connection_class->open_async = vireo_libvirt_connection_open_async;
    connection_class->open_finish = vireo_libvirt_connection_open_finish;
    connection_class->close = vireo_libvirt_connection_close;
    connection_class->define_xml_async = vireo_libvirt_connection_define_xml_async;
    connection_class->define_xml_finish = vireo_libvirt_connection_define_xml_finish;
    connection_class->poll_stats = vireo_libvirt_connection_poll_stats;
}

static void
vireo_libvirt_connection_init(VireoLibvirtConnection *self)
{
}
