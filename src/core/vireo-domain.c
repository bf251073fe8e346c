/* vireo-domain.c: one virtual machine on a connection (abstract)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "vireo-connection.h"
#include "vireo-domain.h"

typedef struct {
    VireoConnection *connection; /* weak */
    char *name;
    char *uuid;
    char *title;
    VireoDomainState state;
    char *state_reason;
    guint vcpus;
    guint64 memory;
    guint64 max_memory;
    gboolean persistent;
    gboolean has_managed_save;
    char *notice;
    VireoStats *stats;
} VireoDomainPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE(VireoDomain, vireo_domain, G_TYPE_OBJECT)

enum {
    PROP_0,
    PROP_CONNECTION,
    PROP_NAME,
    PROP_UUID,
    PROP_TITLE,
    PROP_STATE,
    PROP_STATE_REASON,
    PROP_ACTIVE,
    PROP_VCPUS,
    PROP_MEMORY,
    PROP_MAX_MEMORY,
    PROP_PERSISTENT,
    PROP_HAS_MANAGED_SAVE,
    PROP_NOTICE,
    PROP_STATS,
    N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
    SIGNAL_STATS_UPDATED,
    N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Samples kept per VM: five minutes at the default one-second interval. */
#define STATS_CAPACITY 300

/* Replaces *@field by a copy of @value; TRUE when it changed. */
static gboolean
set_str(char **field, const char *value)
{
    if (g_strcmp0(*field, value) == 0)
        return FALSE;
    g_free(*field);
    *field = g_strdup(value);
    return TRUE;
}

static void
vireo_domain_dispose(GObject *object)
{
    VireoDomainPrivate *priv = vireo_domain_get_instance_private(VIREO_DOMAIN(object));

    if (priv->connection) {
        g_object_remove_weak_pointer(G_OBJECT(priv->connection), (gpointer *)&priv->connection);
        priv->connection = NULL;
    }

    G_OBJECT_CLASS(vireo_domain_parent_class)->dispose(object);
}

static void
vireo_domain_finalize(GObject *object)
{
    VireoDomainPrivate *priv = vireo_domain_get_instance_private(VIREO_DOMAIN(object));

    g_free(priv->name);
    g_free(priv->uuid);
    g_free(priv->title);
    g_free(priv->state_reason);
    g_free(priv->notice);
    g_clear_object(&priv->stats);

    G_OBJECT_CLASS(vireo_domain_parent_class)->finalize(object);
}

static void
vireo_domain_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
    VireoDomain *self = VIREO_DOMAIN(object);
    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);

    switch (prop_id) {
    case PROP_CONNECTION:
        g_value_set_object(value, priv->connection);
        break;
    case PROP_NAME:
        g_value_set_string(value, priv->name);
        break;
    case PROP_UUID:
        g_value_set_string(value, priv->uuid);
        break;
    case PROP_TITLE:
        g_value_set_string(value, priv->title);
        break;
    case PROP_STATE:
        g_value_set_enum(value, priv->state);
        break;
    case PROP_STATE_REASON:
        g_value_set_string(value, priv->state_reason);
        break;
    case PROP_ACTIVE:
        g_value_set_boolean(value, vireo_domain_is_active(self));
        break;
    case PROP_VCPUS:
        g_value_set_uint(value, priv->vcpus);
        break;
    case PROP_MEMORY:
        g_value_set_uint64(value, priv->memory);
        break;
    case PROP_MAX_MEMORY:
        g_value_set_uint64(value, priv->max_memory);
        break;
    case PROP_PERSISTENT:
        g_value_set_boolean(value, priv->persistent);
        break;
    case PROP_HAS_MANAGED_SAVE:
        g_value_set_boolean(value, priv->has_managed_save);
        break;
    case PROP_NOTICE:
        g_value_set_string(value, priv->notice);
        break;
    case PROP_STATS:
        g_value_set_object(value, priv->stats);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void
vireo_domain_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
    VireoDomain *self = VIREO_DOMAIN(object);
    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);

    switch (prop_id) {
    case PROP_CONNECTION:
        priv->connection = g_value_get_object(value);
        if (priv->connection)
            g_object_add_weak_pointer(G_OBJECT(priv->connection),
                                      (gpointer *)&priv->connection);
        break;
    case PROP_NAME:
        vireo_domain_set_name(self, g_value_get_string(value));
        break;
    case PROP_UUID:
        priv->uuid = g_value_dup_string(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void
vireo_domain_class_init(VireoDomainClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->dispose = vireo_domain_dispose;
    object_class->finalize = vireo_domain_finalize;
    object_class->get_property = vireo_domain_get_property;
    object_class->set_property = vireo_domain_set_property;

    properties[PROP_CONNECTION] =
        g_param_spec_object("connection", NULL, NULL, VIREO_TYPE_CONNECTION,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
    properties[PROP_NAME] =
        g_param_spec_string("name", NULL, NULL, NULL,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    properties[PROP_UUID] =
        g_param_spec_string("uuid", NULL, NULL, NULL,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
    properties[PROP_TITLE] = g_param_spec_string("title", NULL, NULL, NULL,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_STATE] =
        g_param_spec_enum("state", NULL, NULL, VIREO_TYPE_DOMAIN_STATE,
                          VIREO_DOMAIN_STATE_NOSTATE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_STATE_REASON] = g_param_spec_string(
        "state-reason", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_ACTIVE] = g_param_spec_boolean("active", NULL, NULL, FALSE,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_VCPUS] = g_param_spec_uint("vcpus", NULL, NULL, 0, G_MAXUINT, 0,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_MEMORY] = g_param_spec_uint64("memory", NULL, NULL, 0, G_MAXUINT64, 0,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_MAX_MEMORY] = g_param_spec_uint64(
        "max-memory", NULL, NULL, 0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_PERSISTENT] = g_param_spec_boolean(
        "persistent", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_HAS_MANAGED_SAVE] = g_param_spec_boolean(
        "has-managed-save", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_NOTICE] = g_param_spec_string("notice", NULL, NULL, NULL,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_STATS] = g_param_spec_object("stats", NULL, NULL, VIREO_TYPE_STATS,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    /* Emitted on the main context after each statistics sample. */
    signals[SIGNAL_STATS_UPDATED] =
        g_signal_new("stats-updated", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                     NULL, NULL, G_TYPE_NONE, 0);
}

static void
vireo_domain_init(VireoDomain *self)
{
    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);

    priv->stats = vireo_stats_new(STATS_CAPACITY);
}

VireoConnection *
vireo_domain_get_connection(VireoDomain *self)
{
    g_return_val_if_fail(VIREO_IS_DOMAIN(self), NULL);

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    return priv->connection;
}

const char *
vireo_domain_get_name(VireoDomain *self)
{
    g_return_val_if_fail(VIREO_IS_DOMAIN(self), NULL);

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    return priv->name;
}

const char *
vireo_domain_get_uuid(VireoDomain *self)
{
    g_return_val_if_fail(VIREO_IS_DOMAIN(self), NULL);

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    return priv->uuid;
}

const char *
vireo_domain_get_title(VireoDomain *self)
{
    g_return_val_if_fail(VIREO_IS_DOMAIN(self), NULL);

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    return priv->title;
}

VireoDomainState
vireo_domain_get_state(VireoDomain *self)
{
    g_return_val_if_fail(VIREO_IS_DOMAIN(self), VIREO_DOMAIN_STATE_NOSTATE);

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    return priv->state;
}

const char *
vireo_domain_get_state_reason(VireoDomain *self)
{
    g_return_val_if_fail(VIREO_IS_DOMAIN(self), NULL);

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    return priv->state_reason;
}

guint
vireo_domain_get_vcpus(VireoDomain *self)
{
    g_return_val_if_fail(VIREO_IS_DOMAIN(self), 0);

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    return priv->vcpus;
}

guint64
vireo_domain_get_memory(VireoDomain *self)
{
    g_return_val_if_fail(VIREO_IS_DOMAIN(self), 0);

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    return priv->memory;
}

guint64
vireo_domain_get_max_memory(VireoDomain *self)
{
    g_return_val_if_fail(VIREO_IS_DOMAIN(self), 0);

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    return priv->max_memory;
}

gboolean
vireo_domain_get_persistent(VireoDomain *self)
{
    g_return_val_if_fail(VIREO_IS_DOMAIN(self), FALSE);

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    return priv->persistent;
}

gboolean
vireo_domain_get_has_managed_save(VireoDomain *self)
{
    g_return_val_if_fail(VIREO_IS_DOMAIN(self), FALSE);

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    return priv->has_managed_save;
}

const char *
vireo_domain_get_notice(VireoDomain *self)
{
    g_return_val_if_fail(VIREO_IS_DOMAIN(self), NULL);

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    return priv->notice;
}

static gboolean
state_is_active(VireoDomainState state)
{
    switch (state) {
    case VIREO_DOMAIN_STATE_RUNNING:
    case VIREO_DOMAIN_STATE_BLOCKED:
    case VIREO_DOMAIN_STATE_PAUSED:
    case VIREO_DOMAIN_STATE_SHUTDOWN:
    case VIREO_DOMAIN_STATE_PMSUSPENDED:
        return TRUE;
    case VIREO_DOMAIN_STATE_NOSTATE:
    case VIREO_DOMAIN_STATE_SHUTOFF:
    case VIREO_DOMAIN_STATE_CRASHED:
    default:
        return FALSE;
    }
}

gboolean
vireo_domain_is_active(VireoDomain *self)
{
    g_return_val_if_fail(VIREO_IS_DOMAIN(self), FALSE);

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    return state_is_active(priv->state);
}

gboolean
vireo_domain_can_do(VireoDomain *self, VireoDomainAction action)
{
    g_return_val_if_fail(VIREO_IS_DOMAIN(self), FALSE);

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    VireoDomainClass *klass = VIREO_DOMAIN_GET_CLASS(self);
    gboolean running =
        priv->state == VIREO_DOMAIN_STATE_RUNNING || priv->state == VIREO_DOMAIN_STATE_BLOCKED;

    if (klass->supports_action && !klass->supports_action(self, action))
        return FALSE;

    switch (action) {
    case VIREO_DOMAIN_ACTION_START:
        return !state_is_active(priv->state);
    case VIREO_DOMAIN_ACTION_SHUTDOWN:
    case VIREO_DOMAIN_ACTION_REBOOT:
    case VIREO_DOMAIN_ACTION_PAUSE:
        return running;
    case VIREO_DOMAIN_ACTION_FORCE_OFF:
        /* A crashed VM kept for inspection (on_crash=preserve) still holds
         * its resources until it is forced off. */
        return state_is_active(priv->state) || priv->state == VIREO_DOMAIN_STATE_CRASHED;
    case VIREO_DOMAIN_ACTION_RESUME:
        return priv->state == VIREO_DOMAIN_STATE_PAUSED;
    case VIREO_DOMAIN_ACTION_SAVE:
        return priv->persistent && (running || priv->state == VIREO_DOMAIN_STATE_PAUSED);
    default:
        g_return_val_if_reached(FALSE);
    }
}

VireoStats *
vireo_domain_get_stats(VireoDomain *self)
{
    g_return_val_if_fail(VIREO_IS_DOMAIN(self), NULL);

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    return priv->stats;
}

const char *
vireo_domain_state_to_string(VireoDomainState state)
{
    switch (state) {
    case VIREO_DOMAIN_STATE_NOSTATE:
        return C_("vm state", "Unknown");
    case VIREO_DOMAIN_STATE_RUNNING:
        return C_("vm state", "Running");
    case VIREO_DOMAIN_STATE_BLOCKED:
        return C_("vm state", "Blocked");
    case VIREO_DOMAIN_STATE_PAUSED:
        return C_("vm state", "Paused");
    case VIREO_DOMAIN_STATE_SHUTDOWN:
        return C_("vm state", "Shutting down");
    case VIREO_DOMAIN_STATE_SHUTOFF:
        return C_("vm state", "Shut off");
    case VIREO_DOMAIN_STATE_CRASHED:
        return C_("vm state", "Crashed");
    case VIREO_DOMAIN_STATE_PMSUSPENDED:
        return C_("vm state", "Suspended");
    default:
        return C_("vm state", "Unknown");
    }
}

const char *
vireo_domain_state_to_icon_name(VireoDomainState state)
{
    switch (state) {
    case VIREO_DOMAIN_STATE_RUNNING:
    case VIREO_DOMAIN_STATE_BLOCKED:
        return "media-playback-start-symbolic";
    case VIREO_DOMAIN_STATE_PAUSED:
    case VIREO_DOMAIN_STATE_PMSUSPENDED:
        return "media-playback-pause-symbolic";
    case VIREO_DOMAIN_STATE_SHUTDOWN:
        return "system-shutdown-symbolic";
    case VIREO_DOMAIN_STATE_SHUTOFF:
        return "media-playback-stop-symbolic";
    case VIREO_DOMAIN_STATE_CRASHED:
        return "dialog-error-symbolic";
    case VIREO_DOMAIN_STATE_NOSTATE:
    default:
        return "dialog-question-symbolic";
    }
}

/* Fails @task when the domain's connection is gone or not open; the backend
 * is only asked while there is one. */
static gboolean
check_connected(VireoDomain *self, GTask *task)
{
    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);

    if (priv->connection &&
        vireo_connection_get_state(priv->connection) == VIREO_CONNECTION_STATE_CONNECTED)
        return TRUE;

    g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_NOT_CONNECTED,
                            _("The connection that holds “%s” is closed. Connect again and "
                              "retry."),
                            priv->name);
    return FALSE;
}

static void
forward_boolean(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    VireoDomain *self = VIREO_DOMAIN(source);
    gboolean (*finish)(VireoDomain *, GAsyncResult *, GError **) = g_task_get_task_data(task);
    GError *error = NULL;

    if (finish(self, result, &error))
        g_task_return_boolean(task, TRUE);
    else
        g_task_return_error(task, error);
}

void
vireo_domain_action_async(VireoDomain *self, VireoDomainAction action, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(VIREO_IS_DOMAIN(self));
    g_return_if_fail(action <= VIREO_DOMAIN_ACTION_SAVE);
    g_return_if_fail(!cancellable || G_IS_CANCELLABLE(cancellable));

    VireoDomainClass *klass = VIREO_DOMAIN_GET_CLASS(self);
    g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
    g_task_set_source_tag(task, vireo_domain_action_async);
    g_task_set_task_data(task, klass->action_finish, NULL);

    if (!check_connected(self, task))
        return;
    klass->action_async(self, action, cancellable, forward_boolean, g_steal_pointer(&task));
}

gboolean
vireo_domain_action_finish(VireoDomain *self, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(VIREO_IS_DOMAIN(self), FALSE);
    g_return_val_if_fail(g_task_is_valid(result, self), FALSE);

    return g_task_propagate_boolean(G_TASK(result), error);
}

void
vireo_domain_delete_async(VireoDomain *self, VireoDomainDeleteFlags flags,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data)
{
    g_return_if_fail(VIREO_IS_DOMAIN(self));
    g_return_if_fail(!cancellable || G_IS_CANCELLABLE(cancellable));

    VireoDomainClass *klass = VIREO_DOMAIN_GET_CLASS(self);
    g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
    g_task_set_source_tag(task, vireo_domain_delete_async);
    g_task_set_task_data(task, klass->delete_finish, NULL);

    if (!check_connected(self, task))
        return;
    klass->delete_async(self, flags, cancellable, forward_boolean, g_steal_pointer(&task));
}

gboolean
vireo_domain_delete_finish(VireoDomain *self, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(VIREO_IS_DOMAIN(self), FALSE);
    g_return_val_if_fail(g_task_is_valid(result, self), FALSE);

    return g_task_propagate_boolean(G_TASK(result), error);
}

static void
forward_xml(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    VireoDomain *self = VIREO_DOMAIN(source);
    GError *error = NULL;

    char *xml = VIREO_DOMAIN_GET_CLASS(self)->get_xml_finish(self, result, &error);
    if (xml)
        g_task_return_pointer(task, xml, g_free);
    else
        g_task_return_error(task, error);
}

void
vireo_domain_get_xml_async(VireoDomain *self, gboolean inactive, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(VIREO_IS_DOMAIN(self));
    g_return_if_fail(!cancellable || G_IS_CANCELLABLE(cancellable));

    g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
    g_task_set_source_tag(task, vireo_domain_get_xml_async);

    if (!check_connected(self, task))
        return;
    VIREO_DOMAIN_GET_CLASS(self)->get_xml_async(self, inactive, cancellable, forward_xml,
                                                g_steal_pointer(&task));
}

char *
vireo_domain_get_xml_finish(VireoDomain *self, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(VIREO_IS_DOMAIN(self), NULL);
    g_return_val_if_fail(g_task_is_valid(result, self), NULL);

    return g_task_propagate_pointer(G_TASK(result), error);
}

static void
forward_storage(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    VireoDomain *self = VIREO_DOMAIN(source);
    GError *error = NULL;

    GStrv paths = VIREO_DOMAIN_GET_CLASS(self)->list_storage_finish(self, result, &error);
    if (paths)
        g_task_return_pointer(task, paths, (GDestroyNotify)g_strfreev);
    else
        g_task_return_error(task, error);
}

void
vireo_domain_list_storage_async(VireoDomain *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(VIREO_IS_DOMAIN(self));
    g_return_if_fail(!cancellable || G_IS_CANCELLABLE(cancellable));

    g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
    g_task_set_source_tag(task, vireo_domain_list_storage_async);

    if (!check_connected(self, task))
        return;
    VIREO_DOMAIN_GET_CLASS(self)->list_storage_async(self, cancellable, forward_storage,
                                                     g_steal_pointer(&task));
}

GStrv
vireo_domain_list_storage_finish(VireoDomain *self, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(VIREO_IS_DOMAIN(self), NULL);
    g_return_val_if_fail(g_task_is_valid(result, self), NULL);

    return g_task_propagate_pointer(G_TASK(result), error);
}

char *
vireo_domain_action_error_message(VireoDomainAction action, const char *name,
                                  const char *detail)
{
    switch (action) {
    case VIREO_DOMAIN_ACTION_START:
        return g_strdup_printf(_("Could not start “%s”: %s"), name, detail);
    case VIREO_DOMAIN_ACTION_SHUTDOWN:
        return g_strdup_printf(_("Could not shut down “%s”: %s"), name, detail);
    case VIREO_DOMAIN_ACTION_REBOOT:
        return g_strdup_printf(_("Could not reboot “%s”: %s"), name, detail);
    case VIREO_DOMAIN_ACTION_FORCE_OFF:
        return g_strdup_printf(_("Could not force “%s” off: %s"), name, detail);
    case VIREO_DOMAIN_ACTION_PAUSE:
        return g_strdup_printf(_("Could not pause “%s”: %s"), name, detail);
    case VIREO_DOMAIN_ACTION_RESUME:
        return g_strdup_printf(_("Could not resume “%s”: %s"), name, detail);
    case VIREO_DOMAIN_ACTION_SAVE:
        return g_strdup_printf(_("Could not save the state of “%s”: %s"), name, detail);
    default:
        g_return_val_if_reached(NULL);
    }
}

void
vireo_domain_set_name(VireoDomain *self, const char *name)
{
    g_return_if_fail(VIREO_IS_DOMAIN(self));

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    if (set_str(&priv->name, name))
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_NAME]);
}

void
vireo_domain_set_title(VireoDomain *self, const char *title)
{
    g_return_if_fail(VIREO_IS_DOMAIN(self));

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    if (title && !*title)
        title = NULL;
    if (set_str(&priv->title, title))
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_TITLE]);
}

void
vireo_domain_set_state(VireoDomain *self, VireoDomainState state, const char *reason)
{
    g_return_if_fail(VIREO_IS_DOMAIN(self));
    g_return_if_fail(state <= VIREO_DOMAIN_STATE_PMSUSPENDED);

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    gboolean was_active = state_is_active(priv->state);

    g_object_freeze_notify(G_OBJECT(self));
    if (priv->state != state) {
        priv->state = state;
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_STATE]);
    }
    if (set_str(&priv->state_reason, reason))
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_STATE_REASON]);
    if (was_active != state_is_active(state)) {
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_ACTIVE]);
        /* A new run starts a new history. */
        vireo_stats_reset(priv->stats);
    }
    g_object_thaw_notify(G_OBJECT(self));
}

void
vireo_domain_set_vcpus(VireoDomain *self, guint vcpus)
{
    g_return_if_fail(VIREO_IS_DOMAIN(self));

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    if (priv->vcpus != vcpus) {
        priv->vcpus = vcpus;
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_VCPUS]);
    }
}

void
vireo_domain_set_memory(VireoDomain *self, guint64 memory_kib, guint64 max_memory_kib)
{
    g_return_if_fail(VIREO_IS_DOMAIN(self));

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    g_object_freeze_notify(G_OBJECT(self));
    if (priv->memory != memory_kib) {
        priv->memory = memory_kib;
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_MEMORY]);
    }
    if (priv->max_memory != max_memory_kib) {
        priv->max_memory = max_memory_kib;
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_MAX_MEMORY]);
    }
    g_object_thaw_notify(G_OBJECT(self));
}

void
vireo_domain_set_persistent(VireoDomain *self, gboolean persistent)
{
    g_return_if_fail(VIREO_IS_DOMAIN(self));

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    persistent = !!persistent;
    if (priv->persistent != persistent) {
        priv->persistent = persistent;
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_PERSISTENT]);
    }
}

void
vireo_domain_set_has_managed_save(VireoDomain *self, gboolean has_managed_save)
{
    g_return_if_fail(VIREO_IS_DOMAIN(self));

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    has_managed_save = !!has_managed_save;
    if (priv->has_managed_save != has_managed_save) {
        priv->has_managed_save = has_managed_save;
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_HAS_MANAGED_SAVE]);
    }
}

void
vireo_domain_set_notice(VireoDomain *self, const char *notice)
{
    g_return_if_fail(VIREO_IS_DOMAIN(self));

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    if (notice && !*notice)
        notice = NULL;
    if (set_str(&priv->notice, notice))
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_NOTICE]);
}

void
vireo_domain_push_stats(VireoDomain *self, const VireoStatsCounters *counters)
{
    g_return_if_fail(VIREO_IS_DOMAIN(self));
    g_return_if_fail(counters != NULL);

    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    vireo_stats_push_counters(priv->stats, counters);
    g_signal_emit(self, signals[SIGNAL_STATS_UPDATED], 0);
}

/* Console file descriptors travel in tasks as pointers (fd + 1, so that 0 is
 * a valid descriptor) with a destroy notify that closes them: a result that
 * nobody collects (cancelled, caller gone) does not leak the descriptor. */
static void
close_fd_pointer(gpointer data)
{
    close(GPOINTER_TO_INT(data) - 1);
}

typedef void (*OpenAsyncFunc)(VireoDomain *self, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
typedef int (*OpenFinishFunc)(VireoDomain *self, GAsyncResult *result, GError **error);

static void
forward_fd(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    OpenFinishFunc finish = g_task_get_task_data(task);
    GError *error = NULL;

    int fd = finish(VIREO_DOMAIN(source), result, &error);
    if (fd >= 0)
        g_task_return_pointer(task, GINT_TO_POINTER(fd + 1), close_fd_pointer);
    else
        g_task_return_error(task, error);
}

static void
open_console_async(VireoDomain *self, gboolean graphics, OpenAsyncFunc open_async,
                   OpenFinishFunc open_finish, GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer user_data)
{
    VireoDomainPrivate *priv = vireo_domain_get_instance_private(self);
    g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
    g_task_set_source_tag(task, graphics ? (gpointer)vireo_domain_open_graphics_async
                                         : (gpointer)vireo_domain_open_serial_async);
    g_task_set_task_data(task, open_finish, NULL);

    if (!check_connected(self, task))
        return;
    if (!state_is_active(priv->state)) {
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_INVALID_STATE,
                                _("“%s” is not running. Start it to see its console."),
                                priv->name);
        return;
    }
    if (!open_async || !open_finish) {
        if (graphics)
            g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_NOT_SUPPORTED,
                                    _("This kind of connection cannot show the screen of "
                                      "“%s”."),
                                    priv->name);
        else
            g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_NOT_SUPPORTED,
                                    _("This kind of connection cannot open the serial "
                                      "console of “%s”."),
                                    priv->name);
        return;
    }
    open_async(self, cancellable, forward_fd, g_steal_pointer(&task));
}

static int
open_console_finish(VireoDomain *self, GAsyncResult *result, gpointer source_tag,
                    GError **error)
{
    g_return_val_if_fail(VIREO_IS_DOMAIN(self), -1);
    g_return_val_if_fail(g_task_is_valid(result, self), -1);
    g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) == source_tag, -1);

    gpointer fd = g_task_propagate_pointer(G_TASK(result), error);
    return fd ? GPOINTER_TO_INT(fd) - 1 : -1;
}

void
vireo_domain_open_graphics_async(VireoDomain *self, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(VIREO_IS_DOMAIN(self));
    g_return_if_fail(!cancellable || G_IS_CANCELLABLE(cancellable));

    VireoDomainClass *klass = VIREO_DOMAIN_GET_CLASS(self);
    open_console_async(self, TRUE, klass->open_graphics_async, klass->open_graphics_finish,
                       cancellable, callback, user_data);
}

int
vireo_domain_open_graphics_finish(VireoDomain *self, GAsyncResult *result, GError **error)
{
    return open_console_finish(self, result, vireo_domain_open_graphics_async, error);
}

void
vireo_domain_open_serial_async(VireoDomain *self, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(VIREO_IS_DOMAIN(self));
    g_return_if_fail(!cancellable || G_IS_CANCELLABLE(cancellable));

    VireoDomainClass *klass = VIREO_DOMAIN_GET_CLASS(self);
    open_console_async(self, FALSE, klass->open_serial_async, klass->open_serial_finish,
                       cancellable, callback, user_data);
}

int
vireo_domain_open_serial_finish(VireoDomain *self, GAsyncResult *result, GError **error)
{
    return open_console_finish(self, result, vireo_domain_open_serial_async, error);
}
