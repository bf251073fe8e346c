/* vireo-libvirt-domain.c: a VM on a libvirt connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every libvirt call runs in a GTask thread on a reference of the domain
 * handle; results come back on the main context.  Properties change only
 * through vireo_libvirt_domain_apply_info(), fed by the connection's events.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <string.h>

#include "vireo-connection.h"
#include "vireo-libvirt-console.h"
#include "vireo-libvirt-domain.h"

struct _VireoLibvirtDomain {
    VireoDomain parent_instance;

    virDomainPtr handle;
    /* Refreshes are numbered when asked for; only a newer one is applied. */
    guint64 refresh_requested;
    guint64 refresh_applied;
};

G_DEFINE_FINAL_TYPE(VireoLibvirtDomain, vireo_libvirt_domain, VIREO_TYPE_DOMAIN)

static void
vireo_libvirt_domain_finalize(GObject *object)
{
    VireoLibvirtDomain *self = VIREO_LIBVIRT_DOMAIN(object);

    g_clear_pointer(&self->handle, virDomainFree);

    G_OBJECT_CLASS(vireo_libvirt_domain_parent_class)->finalize(object);
}

/* Work done in a thread on one domain. */
typedef struct {
    virDomainPtr handle;
    char *name;
    gboolean remote;
    int action;                   /* VireoDomainAction, or -1 */
    VireoDomainDeleteFlags flags; /* delete */
    gboolean inactive;            /* get_xml */
} Job;

static void
job_free(Job *job)
{
    g_clear_pointer(&job->handle, virDomainFree);
    g_free(job->name);
    g_free(job);
}

static GTask *
job_task_new(VireoLibvirtDomain *self, GCancellable *cancellable, GAsyncReadyCallback callback,
             gpointer user_data, gpointer source_tag)
{
    GTask *task = g_task_new(self, cancellable, callback, user_data);
    Job *job = g_new0(Job, 1);
    VireoConnection *connection = vireo_domain_get_connection(VIREO_DOMAIN(self));

    g_task_set_source_tag(task, source_tag);
    virDomainRef(self->handle);
    job->handle = self->handle;
    job->name = g_strdup(vireo_domain_get_name(VIREO_DOMAIN(self)));
    job->remote = connection ? vireo_connection_is_remote(connection) : TRUE;
    job->action = -1;
    g_task_set_task_data(task, job, (GDestroyNotify)job_free);
    return task;
}

/* libvirt rejects flags it does not know with VIR_ERR_INVALID_ARG (the test
 * driver, older daemons); such calls are retried without them. */
static gboolean
flags_unsupported(void)
{
    virErrorPtr error = virGetLastError();

    return error && (error->code == VIR_ERR_INVALID_ARG || error->code == VIR_ERR_NO_SUPPORT);
}

/* A sentence for the user from the calling thread's last libvirt error.
 * A VM that does not start usually lacks a file (a disk, a kernel, an
 * installer image) or has a setting the host cannot give it: say which
 * kind, and what to do. */
static char *
action_error_message(VireoDomainAction action, const char *name)
{
    const char *detail = vireo_libvirt_last_error_message();

    if (action != VIREO_DOMAIN_ACTION_START)
        return vireo_domain_action_error_message(action, name, detail);
    if (strstr(detail, "No such file or directory") ||
        strstr(detail, "Cannot access storage file") ||
        virGetLastErrorCode() == VIR_ERR_NO_STORAGE_VOL)
        return g_strdup_printf(_("Could not start “%s”: %s. A file it needs is missing: put "
                                 "it back, or choose another one in the VM's settings, then "
                                 "start it again."),
                               name, detail);
    return g_strdup_printf(_("Could not start “%s”: %s. Change what the message names in the "
                             "VM's settings (or free what the host lacks), then start it "
                             "again."),
                           name, detail);
}

static void
action_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    Job *job = task_data;
    int ret = -1;

    if (g_task_return_error_if_cancelled(task))
        return;

    switch ((VireoDomainAction)job->action) {
    case VIREO_DOMAIN_ACTION_START:
        ret = virDomainCreate(job->handle);
        break;
    case VIREO_DOMAIN_ACTION_SHUTDOWN:
        ret = virDomainShutdownFlags(job->handle, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN);
        if (ret < 0 && flags_unsupported())
            ret = virDomainShutdown(job->handle);
        break;
    case VIREO_DOMAIN_ACTION_REBOOT:
        ret = virDomainReboot(job->handle, VIR_DOMAIN_REBOOT_ACPI_POWER_BTN);
        if (ret < 0 && flags_unsupported())
            ret = virDomainReboot(job->handle, 0);
        break;
    case VIREO_DOMAIN_ACTION_FORCE_OFF:
        ret = virDomainDestroy(job->handle);
        break;
    case VIREO_DOMAIN_ACTION_PAUSE:
        ret = virDomainSuspend(job->handle);
        break;
    case VIREO_DOMAIN_ACTION_RESUME:
        ret = virDomainResume(job->handle);
        break;
    case VIREO_DOMAIN_ACTION_SAVE:
        ret = virDomainManagedSave(job->handle, 0);
        break;
    default:
        g_assert_not_reached();
    }

    if (ret < 0) {
        VireoError code =
            vireo_libvirt_classify_error(virGetLastError(), VIREO_ERROR_OPERATION_FAILED);
        g_autofree char *message = action_error_message(job->action, job->name);
        g_task_return_new_error(task, VIREO_ERROR, code, "%s", message);
        return;
    }
    g_task_return_boolean(task, TRUE);
}

static void
vireo_libvirt_domain_action_async(VireoDomain *domain, VireoDomainAction action,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
    VireoLibvirtDomain *self = VIREO_LIBVIRT_DOMAIN(domain);
    g_autoptr(GTask) task = job_task_new(self, cancellable, callback, user_data,
                                         vireo_libvirt_domain_action_async);
    Job *job = g_task_get_task_data(task);

    job->action = action;
    g_task_run_in_thread(task, action_thread);
}

static gboolean
vireo_libvirt_domain_action_finish(VireoDomain *domain, GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}

/* Storage --------------------------------------------------------------- */

/* What deleting a disk means: a libvirt volume, or a plain local file. */
typedef struct {
    char *path;
    virStorageVolPtr volume; /* NULL: a file outside every pool */
} Removable;

static void
removable_free(Removable *removable)
{
    g_free(removable->path);
    if (removable->volume)
        virStorageVolFree(removable->volume);
    g_free(removable);
}

/* Blocking.  The disks DELETE_STORAGE removes: writable, unshared disks
 * (never CD-ROMs: installer images are kept) that exist, as a volume of a
 * pool or, on a local connection, as a plain file. */
static GPtrArray *
find_removables(virDomainPtr handle, const char *name, gboolean remote, GError **error)
{
    virConnectPtr conn = virDomainGetConnect(handle);
    g_autofree char *xml = NULL;
    g_autoptr(GPtrArray) removables = g_ptr_array_new_with_free_func((GDestroyNotify)removable_free);

    xml = virDomainGetXMLDesc(handle, 0);
    if (!xml) {
        g_set_error(error, VIREO_ERROR,
                    vireo_libvirt_classify_error(virGetLastError(), VIREO_ERROR_FAILED),
                    _("Could not read the definition of “%s”: %s"), name,
                    vireo_libvirt_last_error_message());
        return NULL;
    }
    g_autoptr(GPtrArray) disks = vireo_libvirt_parse_disks(xml, error);
    if (!disks)
        return NULL;

    for (guint i = 0; i < disks->len; i++) {
        VireoLibvirtDisk *disk = disks->pdata[i];
        virStorageVolPtr volume = NULL;

        if (g_strcmp0(disk->device, "disk") != 0 || disk->readonly || disk->shareable)
            continue;

        if (g_strcmp0(disk->type, "volume") == 0 && disk->pool && disk->volume) {
            virStoragePoolPtr pool = virStoragePoolLookupByName(conn, disk->pool);
            if (pool) {
                volume = virStorageVolLookupByName(pool, disk->volume);
                virStoragePoolFree(pool);
            }
        } else if (disk->file && (g_strcmp0(disk->type, "file") == 0 ||
                                  g_strcmp0(disk->type, "block") == 0)) {
            volume = virStorageVolLookupByPath(conn, disk->file);
        }
        virResetLastError();

        Removable *removable = g_new0(Removable, 1);
        if (volume) {
            removable->volume = volume;
            removable->path = virStorageVolGetPath(volume);
            if (!removable->path)
                removable->path = g_strdup(virStorageVolGetName(volume));
        } else if (g_strcmp0(disk->type, "file") == 0 && disk->file && !remote &&
                   g_file_test(disk->file, G_FILE_TEST_IS_REGULAR)) {
            /* A block device outside a pool is never removed. */
            removable->path = g_strdup(disk->file);
        } else {
            removable_free(removable);
            continue;
        }
        g_ptr_array_add(removables, removable);
    }
    return g_steal_pointer(&removables);
}

static void
list_storage_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    Job *job = task_data;
    GError *error = NULL;

    g_autoptr(GPtrArray) removables = find_removables(job->handle, job->name, job->remote, &error);
    if (!removables) {
        g_task_return_error(task, error);
        return;
    }

    GStrvBuilder *builder = g_strv_builder_new();
    for (guint i = 0; i < removables->len; i++)
        g_strv_builder_add(builder, ((Removable *)removables->pdata[i])->path);
    g_task_return_pointer(task, g_strv_builder_end(builder), (GDestroyNotify)g_strfreev);
    g_strv_builder_unref(builder);
}

static void
vireo_libvirt_domain_list_storage_async(VireoDomain *domain, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = job_task_new(VIREO_LIBVIRT_DOMAIN(domain), cancellable, callback,
                                         user_data, vireo_libvirt_domain_list_storage_async);
    g_task_run_in_thread(task, list_storage_thread);
}

static GStrv
vireo_libvirt_domain_list_storage_finish(VireoDomain *domain, GAsyncResult *result,
                                         GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}

static int
undefine(virDomainPtr handle)
{
    static const unsigned int attempts[] = {
        VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
            VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA | VIR_DOMAIN_UNDEFINE_NVRAM,
        VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA,
        VIR_DOMAIN_UNDEFINE_MANAGED_SAVE,
    };

    for (guint i = 0; i < G_N_ELEMENTS(attempts); i++) {
        if (virDomainUndefineFlags(handle, attempts[i]) == 0)
            return 0;
        if (!flags_unsupported())
            return -1;
    }
    return virDomainUndefine(handle);
}

static void
delete_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    Job *job = task_data;
    GError *error = NULL;
    g_autoptr(GPtrArray) removables = NULL;

    if (g_task_return_error_if_cancelled(task))
        return;

    /* Read the disks first: once undefined, the definition is gone. */
    if (job->flags & VIREO_DOMAIN_DELETE_STORAGE) {
        removables = find_removables(job->handle, job->name, job->remote, &error);
        if (!removables) {
            g_task_return_error(task, error);
            return;
        }
    }

    /* Deleting a running VM stops it first, as the user asked for it to go. */
    if (virDomainIsActive(job->handle) == 1 && virDomainDestroy(job->handle) < 0) {
        g_task_return_new_error(
            task, VIREO_ERROR,
            vireo_libvirt_classify_error(virGetLastError(), VIREO_ERROR_OPERATION_FAILED),
            _("Could not stop “%s” before deleting it: %s"), job->name,
            vireo_libvirt_last_error_message());
        return;
    }
    /* A transient VM is gone once stopped. */
    if (virDomainIsPersistent(job->handle) == 1 && undefine(job->handle) < 0) {
        g_task_return_new_error(
            task, VIREO_ERROR,
            vireo_libvirt_classify_error(virGetLastError(), VIREO_ERROR_OPERATION_FAILED),
            _("Could not delete “%s”: %s"), job->name, vireo_libvirt_last_error_message());
        return;
    }
    virResetLastError();

    g_autoptr(GString) failures = g_string_new(NULL);
    for (guint i = 0; removables && i < removables->len; i++) {
        Removable *removable = removables->pdata[i];

        if (removable->volume) {
            if (virStorageVolDelete(removable->volume, 0) < 0)
                g_string_append_printf(failures, "\n%s: %s", removable->path,
                                       vireo_libvirt_last_error_message());
        } else if (g_unlink(removable->path) < 0 && errno != ENOENT) {
            int saved_errno = errno;
            g_string_append_printf(failures, "\n%s: %s", removable->path,
                                   g_strerror(saved_errno));
        }
    }
    if (failures->len > 0) {
        g_task_return_new_error(task, VIREO_ERROR, VIREO_ERROR_OPERATION_FAILED,
                                _("“%s” was deleted, but some of its disks could not be "
                                  "removed. Remove them by hand:%s"),
                                job->name, failures->str);
        return;
    }
    g_task_return_boolean(task, TRUE);
}

static void
vireo_libvirt_domain_delete_async(VireoDomain *domain, VireoDomainDeleteFlags flags,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
    g_autoptr(GTask) task = job_task_new(VIREO_LIBVIRT_DOMAIN(domain), cancellable, callback,
                                         user_data, vireo_libvirt_domain_delete_async);
    Job *job = g_task_get_task_data(task);

    job->flags = flags;
    g_task_run_in_thread(task, delete_thread);
}

static gboolean
vireo_libvirt_domain_delete_finish(VireoDomain *domain, GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}

/* XML ------------------------------------------------------------------- */

static void
get_xml_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    Job *job = task_data;

    if (g_task_return_error_if_cancelled(task))
        return;

    char *xml = virDomainGetXMLDesc(job->handle, job->inactive ? VIR_DOMAIN_XML_INACTIVE : 0);
    if (!xml) {
        g_task_return_new_error(
            task, VIREO_ERROR,
            vireo_libvirt_classify_error(virGetLastError(), VIREO_ERROR_FAILED),
            _("Could not read the definition of “%s”: %s"), job->name,
            vireo_libvirt_last_error_message());
        return;
    }
    /* libvirt allocates with malloc; hand out GLib memory. */
    char *copy = g_strdup(xml);
    free(xml);
    g_task_return_pointer(task, copy, g_free);
}

static void
vireo_libvirt_domain_get_xml_async(VireoDomain *domain, gboolean inactive,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data)
{
    g_autoptr(GTask) task = job_task_new(VIREO_LIBVIRT_DOMAIN(domain), cancellable, callback,
                                         user_data, vireo_libvirt_domain_get_xml_async);
    Job *job = g_task_get_task_data(task);

    job->inactive = inactive;
    g_task_run_in_thread(task, get_xml_thread);
}

static char *
vireo_libvirt_domain_get_xml_finish(VireoDomain *domain, GAsyncResult *result, GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}

/* Refresh --------------------------------------------------------------- */

static void
refresh_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    Job *job = task_data;
    GError *error = NULL;

    VireoLibvirtDomainInfo *info = vireo_libvirt_domain_info_read(job->handle, &error);
    if (info)
        g_task_return_pointer(task, info, (GDestroyNotify)vireo_libvirt_domain_info_free);
    else
        g_task_return_error(task, error);
}

static void
refresh_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    VireoLibvirtDomain *self = VIREO_LIBVIRT_DOMAIN(source);
    guint64 seq = GPOINTER_TO_SIZE(user_data);
    g_autoptr(GError) error = NULL;
    g_autoptr(VireoLibvirtDomainInfo) info =
        g_task_propagate_pointer(G_TASK(result), &error);

    if (seq <= self->refresh_applied)
        return; /* a newer reading was applied already */

    if (!info) {
        /* The connection is going away; its close handling updates the
         * model.  Anything else keeps the last known values. */
        if (!g_error_matches(error, VIREO_ERROR, VIREO_ERROR_NOT_CONNECTED))
            g_message("%s", error->message);
        return;
    }

    self->refresh_applied = seq;
    if (info->gone) {
        VireoConnection *connection = vireo_domain_get_connection(VIREO_DOMAIN(self));
        vireo_domain_set_state(VIREO_DOMAIN(self), VIREO_DOMAIN_STATE_SHUTOFF, NULL);
        if (connection)
            vireo_connection_remove_domain(connection, VIREO_DOMAIN(self));
        return;
    }
    vireo_libvirt_domain_apply_info(self, info);
}

void
vireo_libvirt_domain_refresh(VireoLibvirtDomain *self)
{
    g_return_if_fail(VIREO_IS_LIBVIRT_DOMAIN(self));

    guint64 seq = ++self->refresh_requested;
    g_autoptr(GTask) task =
        job_task_new(self, NULL, refresh_done, GSIZE_TO_POINTER(seq), vireo_libvirt_domain_refresh);
    g_task_run_in_thread(task, refresh_thread);
}

void
vireo_libvirt_domain_apply_info(VireoLibvirtDomain *self, const VireoLibvirtDomainInfo *info)
{
    g_return_if_fail(VIREO_IS_LIBVIRT_DOMAIN(self));
    g_return_if_fail(info != NULL);

    VireoDomain *domain = VIREO_DOMAIN(self);

    g_object_freeze_notify(G_OBJECT(self));
    vireo_domain_set_name(domain, info->name);
    vireo_domain_set_title(domain, info->title);
    vireo_domain_set_vcpus(domain, info->vcpus);
    vireo_domain_set_memory(domain, info->memory_kib, info->max_memory_kib);
    vireo_domain_set_persistent(domain, info->persistent);
    vireo_domain_set_has_managed_save(domain, info->has_managed_save);
    vireo_domain_set_state(domain, (VireoDomainState)CLAMP(info->state, 0, VIREO_DOMAIN_STATE_PMSUSPENDED),
                           vireo_libvirt_state_reason_to_string(info->state, info->reason));
    g_object_thaw_notify(G_OBJECT(self));
}

/* Type ------------------------------------------------------------------ */

static void
vireo_libvirt_domain_class_init(VireoLibvirtDomainClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    VireoDomainClass *domain_class = VIREO_DOMAIN_CLASS(klass);

    object_class->finalize = vireo_libvirt_domain_finalize;

    domain_class->action_async = vireo_libvirt_domain_action_async;
    domain_class->action_finish = vireo_libvirt_domain_action_finish;
    domain_class->delete_async = vireo_libvirt_domain_delete_async;
    domain_class->delete_finish = vireo_libvirt_domain_delete_finish;
    domain_class->get_xml_async = vireo_libvirt_domain_get_xml_async;
    domain_class->get_xml_finish = vireo_libvirt_domain_get_xml_finish;
    domain_class->list_storage_async = vireo_libvirt_domain_list_storage_async;
    domain_class->list_storage_finish = vireo_libvirt_domain_list_storage_finish;
    domain_class->open_graphics_async = vireo_libvirt_open_graphics_async;
    domain_class->open_graphics_finish = vireo_libvirt_open_graphics_finish;
    domain_class->open_serial_async = vireo_libvirt_open_serial_async;
    domain_class->open_serial_finish = vireo_libvirt_open_serial_finish;
}

static void
vireo_libvirt_domain_init(VireoLibvirtDomain *self)
{
}

VireoLibvirtDomain *
vireo_libvirt_domain_new(VireoConnection *connection, virDomainPtr handle)
{
    g_return_val_if_fail(VIREO_IS_CONNECTION(connection), NULL);
    g_return_val_if_fail(handle != NULL, NULL);

    char uuid[VIR_UUID_STRING_BUFLEN];
    if (virDomainGetUUIDString(handle, uuid) < 0)
        g_return_val_if_reached(NULL);

    VireoLibvirtDomain *self = g_object_new(VIREO_TYPE_LIBVIRT_DOMAIN, "connection", connection,
                                            "uuid", uuid, "name", virDomainGetName(handle), NULL);
    virDomainRef(handle);
    self->handle = handle;
    return self;
}

virDomainPtr
vireo_libvirt_domain_get_handle(VireoLibvirtDomain *self)
{
    g_return_val_if_fail(VIREO_IS_LIBVIRT_DOMAIN(self), NULL);

    return self->handle;
}
