/* vireo-connection.c: one hypervisor connection and the VMs it holds (abstract)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The base class owns what every backend shares: the state machine
 * (DISCONNECTED → CONNECTING → CONNECTED → DISCONNECTED), the open timeout,
 * the list of domains and the statistics timer.  Backends implement the
 * vfuncs and report through the "for backends" functions, always on the
 * main context.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif

#include "embedded/vireo-embedded-connection.h"
#include "libvirt/vireo-libvirt-connection.h"
#include "vireo.h"

typedef struct {
    char *uri;
    VireoConnectionState state;
    char *error_message;
    char *hostname;
    char *warning;
    guint open_timeout;
    guint stats_interval;

    GListStore *domains;
    GHashTable *domains_by_uuid; /* uuid → VireoDomain (borrowed from the store) */
    VireoStats *host_stats;

    /* The open in flight: cancelled by close(), by the caller's cancellable
     * and by the timeout.  Results of an older open are ignored. */
    GCancellable *open_cancellable;
    guint open_generation;
    gboolean open_timed_out;
    guint open_timeout_id;

    guint stats_timer_id;
} VireoConnectionPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE(VireoConnection, vireo_connection, G_TYPE_OBJECT)

enum {
    PROP_0,
    PROP_URI,
    PROP_DISPLAY_NAME,
    PROP_REMOTE,
    PROP_STATE,
    PROP_ERROR_MESSAGE,
    PROP_HOSTNAME,
    PROP_WARNING,
    PROP_OPEN_TIMEOUT,
    PROP_STATS_INTERVAL,
    PROP_DOMAINS,
    PROP_HOST_STATS,
    N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define DEFAULT_OPEN_TIMEOUT   30
#define DEFAULT_STATS_INTERVAL 1000
#define HOST_STATS_CAPACITY    300

static void update_stats_timer(VireoConnection *self);

static void
vireo_connection_dispose(GObject *object)
{
    VireoConnection *self = VIREO_CONNECTION(object);
    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);

    if (priv->open_cancellable)
        g_cancellable_cancel(priv->open_cancellable);
    g_clear_object(&priv->open_cancellable);
    g_clear_handle_id(&priv->open_timeout_id, g_source_remove);
    g_clear_handle_id(&priv->stats_timer_id, g_source_remove);
    if (priv->domains_by_uuid)
        g_hash_table_remove_all(priv->domains_by_uuid);
    if (priv->domains)
        g_list_store_remove_all(priv->domains);

    G_OBJECT_CLASS(vireo_connection_parent_class)->dispose(object);
}

static void
vireo_connection_finalize(GObject *object)
{
    VireoConnectionPrivate *priv =
        vireo_connection_get_instance_private(VIREO_CONNECTION(object));

    g_free(priv->uri);
    g_free(priv->error_message);
    g_free(priv->hostname);
    g_free(priv->warning);
    g_clear_object(&priv->domains);
    g_clear_pointer(&priv->domains_by_uuid, g_hash_table_unref);
    g_clear_object(&priv->host_stats);

    G_OBJECT_CLASS(vireo_connection_parent_class)->finalize(object);
}

static void
vireo_connection_get_property(GObject *object, guint prop_id, GValue *value,
                              GParamSpec *pspec)
{
    VireoConnection *self = VIREO_CONNECTION(object);
    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);

    switch (prop_id) {
    case PROP_URI:
        g_value_set_string(value, priv->uri);
        break;
    case PROP_DISPLAY_NAME:
        g_value_take_string(value, vireo_connection_dup_display_name(self));
        break;
    case PROP_REMOTE:
        g_value_set_boolean(value, vireo_connection_is_remote(self));
        break;
    case PROP_STATE:
        g_value_set_enum(value, priv->state);
        break;
    case PROP_ERROR_MESSAGE:
        g_value_set_string(value, priv->error_message);
        break;
    case PROP_HOSTNAME:
        g_value_set_string(value, priv->hostname);
        break;
    case PROP_WARNING:
        g_value_set_string(value, priv->warning);
        break;
    case PROP_OPEN_TIMEOUT:
        g_value_set_uint(value, priv->open_timeout);
        break;
    case PROP_STATS_INTERVAL:
        g_value_set_uint(value, priv->stats_interval);
        break;
    case PROP_DOMAINS:
        g_value_set_object(value, priv->domains);
        break;
    case PROP_HOST_STATS:
        g_value_set_object(value, priv->host_stats);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void
vireo_connection_set_property(GObject *object, guint prop_id, const GValue *value,
                              GParamSpec *pspec)
{
    VireoConnection *self = VIREO_CONNECTION(object);
    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);

    switch (prop_id) {
    case PROP_URI:
        priv->uri = g_value_dup_string(value);
        break;
    case PROP_OPEN_TIMEOUT:
        vireo_connection_set_open_timeout(self, g_value_get_uint(value));
        break;
    case PROP_STATS_INTERVAL:
        vireo_connection_set_stats_interval(self, g_value_get_uint(value));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void
vireo_connection_class_init(VireoConnectionClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->dispose = vireo_connection_dispose;
    object_class->finalize = vireo_connection_finalize;
    object_class->get_property = vireo_connection_get_property;
    object_class->set_property = vireo_connection_set_property;

    properties[PROP_URI] =
        g_param_spec_string("uri", NULL, NULL, NULL,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
    properties[PROP_DISPLAY_NAME] = g_param_spec_string(
        "display-name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_REMOTE] = g_param_spec_boolean("remote", NULL, NULL, FALSE,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_STATE] = g_param_spec_enum(
        "state", NULL, NULL, VIREO_TYPE_CONNECTION_STATE, VIREO_CONNECTION_STATE_DISCONNECTED,
        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_ERROR_MESSAGE] = g_param_spec_string(
        "error-message", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_HOSTNAME] = g_param_spec_string("hostname", NULL, NULL, NULL,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_WARNING] = g_param_spec_string("warning", NULL, NULL, NULL,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_OPEN_TIMEOUT] = g_param_spec_uint(
        "open-timeout", NULL, NULL, 1, G_MAXUINT / 1000, DEFAULT_OPEN_TIMEOUT,
        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    properties[PROP_STATS_INTERVAL] = g_param_spec_uint(
        "stats-interval", NULL, NULL, 0, G_MAXUINT, DEFAULT_STATS_INTERVAL,
        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    properties[PROP_DOMAINS] = g_param_spec_object("domains", NULL, NULL, G_TYPE_LIST_MODEL,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_HOST_STATS] = g_param_spec_object(
        "host-stats", NULL, NULL, VIREO_TYPE_STATS, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);
}

static void
vireo_connection_init(VireoConnection *self)
{
    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);

    priv->state = VIREO_CONNECTION_STATE_DISCONNECTED;
    priv->open_timeout = DEFAULT_OPEN_TIMEOUT;
    priv->stats_interval = DEFAULT_STATS_INTERVAL;
    priv->domains = g_list_store_new(VIREO_TYPE_DOMAIN);
    priv->domains_by_uuid = g_hash_table_new(g_str_hash, g_str_equal);
    priv->host_stats = vireo_stats_new(HOST_STATS_CAPACITY);
}

VireoConnection *
vireo_connection_new_for_uri(const char *uri, GError **error)
{
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    vireo_core_init();

    if (!vireo_uri_validate(uri, error))
        return NULL;

    g_autofree char *driver = vireo_uri_dup_driver(uri);
    if (g_str_equal(driver, "vireo")) {
        if (!g_str_equal(uri, "vireo:///session")) {
            g_set_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_URI,
                        _("“%s” is not a Vireo connection. The built-in hypervisor is "
                          "vireo:///session (your own virtual machines)."),
                        uri);
            return NULL;
        }
        return g_object_new(VIREO_TYPE_EMBEDDED_CONNECTION, "uri", uri, NULL);
    }

    return g_object_new(VIREO_TYPE_LIBVIRT_CONNECTION, "uri", uri, NULL);
}

const char *
vireo_connection_get_uri(VireoConnection *self)
{
    g_return_val_if_fail(VIREO_IS_CONNECTION(self), NULL);

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    return priv->uri;
}

char *
vireo_connection_dup_display_name(VireoConnection *self)
{
    g_return_val_if_fail(VIREO_IS_CONNECTION(self), NULL);

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    return vireo_uri_dup_display_name(priv->uri);
}

gboolean
vireo_connection_is_remote(VireoConnection *self)
{
    g_return_val_if_fail(VIREO_IS_CONNECTION(self), FALSE);

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    return vireo_uri_is_remote(priv->uri);
}

VireoConnectionState
vireo_connection_get_state(VireoConnection *self)
{
    g_return_val_if_fail(VIREO_IS_CONNECTION(self), VIREO_CONNECTION_STATE_DISCONNECTED);

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    return priv->state;
}

const char *
vireo_connection_get_error_message(VireoConnection *self)
{
    g_return_val_if_fail(VIREO_IS_CONNECTION(self), NULL);

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    return priv->error_message;
}

const char *
vireo_connection_get_hostname(VireoConnection *self)
{
    g_return_val_if_fail(VIREO_IS_CONNECTION(self), NULL);

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    return priv->hostname;
}

const char *
vireo_connection_get_warning(VireoConnection *self)
{
    g_return_val_if_fail(VIREO_IS_CONNECTION(self), NULL);

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    return priv->warning;
}

void
vireo_connection_set_warning(VireoConnection *self, const char *warning)
{
    g_return_if_fail(VIREO_IS_CONNECTION(self));

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    if (warning && !*warning)
        warning = NULL;
    if (g_strcmp0(priv->warning, warning) == 0)
        return;
    g_free(priv->warning);
    priv->warning = g_strdup(warning);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_WARNING]);
}

guint
vireo_connection_get_open_timeout(VireoConnection *self)
{
    g_return_val_if_fail(VIREO_IS_CONNECTION(self), 0);

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    return priv->open_timeout;
}

void
vireo_connection_set_open_timeout(VireoConnection *self, guint seconds)
{
    g_return_if_fail(VIREO_IS_CONNECTION(self));
    g_return_if_fail(seconds > 0 && seconds <= G_MAXUINT / 1000);

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    if (priv->open_timeout == seconds)
        return;
    priv->open_timeout = seconds;
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_OPEN_TIMEOUT]);
}

guint
vireo_connection_get_stats_interval(VireoConnection *self)
{
    g_return_val_if_fail(VIREO_IS_CONNECTION(self), 0);

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    return priv->stats_interval;
}

void
vireo_connection_set_stats_interval(VireoConnection *self, guint msec)
{
    g_return_if_fail(VIREO_IS_CONNECTION(self));

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    if (priv->stats_interval == msec)
        return;
    priv->stats_interval = msec;
    g_clear_handle_id(&priv->stats_timer_id, g_source_remove);
    update_stats_timer(self);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_STATS_INTERVAL]);
}

static gboolean
stats_tick(gpointer user_data)
{
    VireoConnection *self = user_data;
    VireoConnectionClass *klass = VIREO_CONNECTION_GET_CLASS(self);

    /* The backend skips the tick while the previous poll still runs. */
    if (klass->poll_stats)
        klass->poll_stats(self);
    return G_SOURCE_CONTINUE;
}

static void
update_stats_timer(VireoConnection *self)
{
    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    gboolean want = priv->state == VIREO_CONNECTION_STATE_CONNECTED && priv->stats_interval > 0;

    if (!want) {
        g_clear_handle_id(&priv->stats_timer_id, g_source_remove);
    } else if (priv->stats_timer_id == 0) {
        priv->stats_timer_id = g_timeout_add(priv->stats_interval, stats_tick, self);
        g_source_set_name_by_id(priv->stats_timer_id, "[vireo] stats");
    }
}

/* Open ------------------------------------------------------------------ */

typedef struct {
    guint generation;
    gulong caller_cancel_id;
    GCancellable *caller_cancellable;
} OpenData;

static void
open_data_free(OpenData *data)
{
    if (data->caller_cancellable) {
        g_cancellable_disconnect(data->caller_cancellable, data->caller_cancel_id);
        g_object_unref(data->caller_cancellable);
    }
    g_free(data);
}

static void
caller_cancelled(GCancellable *caller, gpointer user_data)
{
    g_cancellable_cancel(G_CANCELLABLE(user_data));
}

static gboolean
open_timeout_cb(gpointer user_data)
{
    VireoConnection *self = user_data;
    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);

    priv->open_timeout_id = 0;
    priv->open_timed_out = TRUE;
    g_cancellable_cancel(priv->open_cancellable);
    return G_SOURCE_REMOVE;
}

static void
open_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    VireoConnection *self = VIREO_CONNECTION(source);
    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    OpenData *data = g_task_get_task_data(task);
    g_autoptr(GError) error = NULL;

    gboolean ok = VIREO_CONNECTION_GET_CLASS(self)->open_finish(self, result, &error);

    if (data->generation != priv->open_generation) {
        /* close() ran meanwhile; the backend returned CANCELLED. */
        if (ok)
            g_task_return_boolean(task, TRUE);
        else
            g_task_return_error(task, g_steal_pointer(&error));
        return;
    }

    g_clear_handle_id(&priv->open_timeout_id, g_source_remove);
    g_clear_object(&priv->open_cancellable);

    if (ok) {
        vireo_connection_set_state(self, VIREO_CONNECTION_STATE_CONNECTED, NULL);
#ifdef HAVE_MALLOC_TRIM
        /* Listing a host's VMs on a worker thread frees far more than it
         * keeps (their XML, parsed; with the test driver, its whole
         * definition file), in that thread's own malloc arena, which glibc
         * would otherwise keep: give it back (2.4 MiB with 500 VMs). */
        malloc_trim(0);
#endif
        g_task_return_boolean(task, TRUE);
        return;
    }

    vireo_connection_remove_all_domains(self);
    if (priv->open_timed_out && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        g_autofree char *name = vireo_connection_dup_display_name(self);
        g_clear_error(&error);
        g_set_error(&error, VIREO_ERROR, VIREO_ERROR_TIMED_OUT,
                    g_dngettext(GETTEXT_PACKAGE,
                                "%s did not answer within %u second. Check that the host is "
                                "up and its hypervisor is running, then connect again.",
                                "%s did not answer within %u seconds. Check that the host is "
                                "up and its hypervisor is running, then connect again.",
                                priv->open_timeout),
                    name, priv->open_timeout);
    }

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        vireo_connection_set_state(self, VIREO_CONNECTION_STATE_DISCONNECTED, NULL);
    else
        vireo_connection_set_state(self, VIREO_CONNECTION_STATE_DISCONNECTED, error->message);
    g_task_return_error(task, g_steal_pointer(&error));
}

void
vireo_connection_open_async(VireoConnection *self, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(VIREO_IS_CONNECTION(self));
    g_return_if_fail(!cancellable || G_IS_CANCELLABLE(cancellable));

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
    g_task_set_source_tag(task, vireo_connection_open_async);

    if (priv->state == VIREO_CONNECTION_STATE_CONNECTED) {
        g_task_return_boolean(task, TRUE);
        return;
    }
    if (priv->state == VIREO_CONNECTION_STATE_CONNECTING) {
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_PENDING,
                                _("The connection is already being opened. Wait for it to "
                                  "finish or close it first."));
        return;
    }

    OpenData *data = g_new0(OpenData, 1);
    data->generation = ++priv->open_generation;
    g_task_set_task_data(task, data, (GDestroyNotify)open_data_free);

    priv->open_cancellable = g_cancellable_new();
    priv->open_timed_out = FALSE;
    if (cancellable) {
        data->caller_cancellable = g_object_ref(cancellable);
        data->caller_cancel_id =
            g_cancellable_connect(cancellable, G_CALLBACK(caller_cancelled),
                                  g_object_ref(priv->open_cancellable), g_object_unref);
    }
    priv->open_timeout_id = g_timeout_add(priv->open_timeout * 1000, open_timeout_cb, self);
    g_source_set_name_by_id(priv->open_timeout_id, "[vireo] open timeout");

    vireo_connection_set_state(self, VIREO_CONNECTION_STATE_CONNECTING, NULL);
    VIREO_CONNECTION_GET_CLASS(self)->open_async(self, priv->open_cancellable, open_done,
                                                 g_steal_pointer(&task));
}

gboolean
vireo_connection_open_finish(VireoConnection *self, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(VIREO_IS_CONNECTION(self), FALSE);
    g_return_val_if_fail(g_task_is_valid(result, self), FALSE);

    return g_task_propagate_boolean(G_TASK(result), error);
}

void
vireo_connection_close(VireoConnection *self)
{
    g_return_if_fail(VIREO_IS_CONNECTION(self));

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);

    switch (priv->state) {
    case VIREO_CONNECTION_STATE_CONNECTING:
        /* The pending open returns CANCELLED to its caller. */
        priv->open_generation++;
        g_clear_handle_id(&priv->open_timeout_id, g_source_remove);
        g_cancellable_cancel(priv->open_cancellable);
        g_clear_object(&priv->open_cancellable);
        break;
    case VIREO_CONNECTION_STATE_CONNECTED:
        VIREO_CONNECTION_GET_CLASS(self)->close(self);
        break;
    case VIREO_CONNECTION_STATE_DISCONNECTED:
    default:
        break;
    }

    vireo_connection_remove_all_domains(self);
    vireo_connection_set_state(self, VIREO_CONNECTION_STATE_DISCONNECTED, NULL);
}

/* Domains --------------------------------------------------------------- */

GListModel *
vireo_connection_get_domains(VireoConnection *self)
{
    g_return_val_if_fail(VIREO_IS_CONNECTION(self), NULL);

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    return G_LIST_MODEL(priv->domains);
}

VireoDomain *
vireo_connection_lookup_domain_by_uuid(VireoConnection *self, const char *uuid)
{
    g_return_val_if_fail(VIREO_IS_CONNECTION(self), NULL);
    g_return_val_if_fail(uuid != NULL, NULL);

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    return g_hash_table_lookup(priv->domains_by_uuid, uuid);
}

VireoDomain *
vireo_connection_lookup_domain_by_name(VireoConnection *self, const char *name)
{
    g_return_val_if_fail(VIREO_IS_CONNECTION(self), NULL);
    g_return_val_if_fail(name != NULL, NULL);

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    guint n = g_list_model_get_n_items(G_LIST_MODEL(priv->domains));
    for (guint i = 0; i < n; i++) {
        g_autoptr(VireoDomain) domain = g_list_model_get_item(G_LIST_MODEL(priv->domains), i);
        if (g_strcmp0(vireo_domain_get_name(domain), name) == 0)
            return domain; /* the store keeps its reference */
    }
    return NULL;
}

static void
define_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    VireoConnection *self = VIREO_CONNECTION(source);
    GError *error = NULL;

    VireoDomain *domain =
        VIREO_CONNECTION_GET_CLASS(self)->define_xml_finish(self, result, &error);
    if (domain)
        g_task_return_pointer(task, domain, g_object_unref);
    else
        g_task_return_error(task, error);
}

void
vireo_connection_define_xml_async(VireoConnection *self, const char *xml,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
    g_return_if_fail(VIREO_IS_CONNECTION(self));
    g_return_if_fail(xml != NULL);
    g_return_if_fail(!cancellable || G_IS_CANCELLABLE(cancellable));

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
    g_task_set_source_tag(task, vireo_connection_define_xml_async);

    if (priv->state != VIREO_CONNECTION_STATE_CONNECTED) {
        g_autofree char *name = vireo_connection_dup_display_name(self);
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_NOT_CONNECTED,
                                _("Not connected to %s. Connect first, then define the "
                                  "virtual machine again."),
                                name);
        return;
    }
    if (*xml == '\0') {
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_INVALID_XML,
                                _("The virtual machine definition is empty. Provide libvirt "
                                  "domain XML."));
        return;
    }

    VIREO_CONNECTION_GET_CLASS(self)->define_xml_async(self, xml, cancellable, define_done,
                                                       g_steal_pointer(&task));
}

VireoDomain *
vireo_connection_define_xml_finish(VireoConnection *self, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(VIREO_IS_CONNECTION(self), NULL);
    g_return_val_if_fail(g_task_is_valid(result, self), NULL);

    return g_task_propagate_pointer(G_TASK(result), error);
}

VireoStats *
vireo_connection_get_host_stats(VireoConnection *self)
{
    g_return_val_if_fail(VIREO_IS_CONNECTION(self), NULL);

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    return priv->host_stats;
}

/* For backends ---------------------------------------------------------- */

void
vireo_connection_set_state(VireoConnection *self, VireoConnectionState state,
                           const char *error_message)
{
    g_return_if_fail(VIREO_IS_CONNECTION(self));

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);

    g_object_freeze_notify(G_OBJECT(self));
    if (g_strcmp0(priv->error_message, error_message) != 0) {
        g_free(priv->error_message);
        priv->error_message = g_strdup(error_message);
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_ERROR_MESSAGE]);
    }
    if (priv->state != state) {
        priv->state = state;
        if (state == VIREO_CONNECTION_STATE_DISCONNECTED) {
            vireo_connection_set_hostname(self, NULL);
            vireo_stats_reset(priv->host_stats);
        }
        update_stats_timer(self);
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_STATE]);
    }
    g_object_thaw_notify(G_OBJECT(self));
}

void
vireo_connection_set_hostname(VireoConnection *self, const char *hostname)
{
    g_return_if_fail(VIREO_IS_CONNECTION(self));

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    if (g_strcmp0(priv->hostname, hostname) == 0)
        return;
    g_free(priv->hostname);
    priv->hostname = g_strdup(hostname);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_HOSTNAME]);
}

static int
compare_by_name(gconstpointer a, gconstpointer b, gpointer user_data)
{
    const char *name_a = vireo_domain_get_name((VireoDomain *)a);
    const char *name_b = vireo_domain_get_name((VireoDomain *)b);

    return g_utf8_collate(name_a ? name_a : "", name_b ? name_b : "");
}

void
vireo_connection_add_domain(VireoConnection *self, VireoDomain *domain)
{
    g_return_if_fail(VIREO_IS_CONNECTION(self));
    g_return_if_fail(VIREO_IS_DOMAIN(domain));
    g_return_if_fail(vireo_domain_get_uuid(domain) != NULL);

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    const char *uuid = vireo_domain_get_uuid(domain);
    VireoDomain *old = g_hash_table_lookup(priv->domains_by_uuid, uuid);

    if (old == domain)
        return;
    if (old)
        vireo_connection_remove_domain(self, old);

    g_hash_table_insert(priv->domains_by_uuid, (gpointer)uuid, domain);
    g_list_store_insert_sorted(priv->domains, domain, compare_by_name, NULL);
}

void
vireo_connection_remove_domain(VireoConnection *self, VireoDomain *domain)
{
    g_return_if_fail(VIREO_IS_CONNECTION(self));
    g_return_if_fail(VIREO_IS_DOMAIN(domain));

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    guint position;

    if (g_hash_table_lookup(priv->domains_by_uuid, vireo_domain_get_uuid(domain)) == domain)
        g_hash_table_remove(priv->domains_by_uuid, vireo_domain_get_uuid(domain));
    if (g_list_store_find(priv->domains, domain, &position))
        g_list_store_remove(priv->domains, position);
}

void
vireo_connection_remove_all_domains(VireoConnection *self)
{
    g_return_if_fail(VIREO_IS_CONNECTION(self));

    VireoConnectionPrivate *priv = vireo_connection_get_instance_private(self);
    g_hash_table_remove_all(priv->domains_by_uuid);
    g_list_store_remove_all(priv->domains);
}
