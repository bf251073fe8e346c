/* vireo-libvirt-util.c: helpers shared by the libvirt backend's types
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "vireo-libvirt-util.h"
#include "vireo-uri.h"

static gboolean
message_has(const virError *error, const char *needle)
{
    return error && error->message && strstr(error->message, needle) != NULL;
}

static gboolean
is_closed_connection(const virError *error)
{
    return error->code == VIR_ERR_INVALID_CONN || message_has(error, "client socket is closed") ||
           message_has(error, "End of file while reading data") ||
           message_has(error, "Broken pipe") || message_has(error, "Connection reset by peer");
}

VireoError
vireo_libvirt_classify_error(const virError *error, VireoError fallback)
{
    if (!error)
        return fallback;

    switch (error->code) {
    case VIR_ERR_NO_DOMAIN:
    case VIR_ERR_NO_STORAGE_POOL:
    case VIR_ERR_NO_STORAGE_VOL:
        return VIREO_ERROR_NOT_FOUND;
    case VIR_ERR_OPERATION_INVALID:
        return VIREO_ERROR_INVALID_STATE;
    case VIR_ERR_XML_ERROR:
    case VIR_ERR_XML_DETAIL:
    case VIR_ERR_XML_INVALID_SCHEMA:
        return VIREO_ERROR_INVALID_XML;
    case VIR_ERR_NO_SUPPORT:
    case VIR_ERR_ARGUMENT_UNSUPPORTED:
        return VIREO_ERROR_NOT_SUPPORTED;
    case VIR_ERR_AUTH_FAILED:
    case VIR_ERR_AUTH_CANCELLED:
    case VIR_ERR_AUTH_UNAVAILABLE:
        return VIREO_ERROR_AUTH_FAILED;
    case VIR_ERR_OPERATION_TIMEOUT:
        return VIREO_ERROR_TIMED_OUT;
    default:
        break;
    }
    if (is_closed_connection(error))
        return VIREO_ERROR_NOT_CONNECTED;
    /* Some drivers (the test driver among them) report a wrong state as an
     * internal error. */
    if (message_has(error, "already running") || message_has(error, "not running") ||
        message_has(error, "not paused") || message_has(error, "already active") ||
        message_has(error, "not active"))
        return VIREO_ERROR_INVALID_STATE;
    return fallback;
}

VireoError
vireo_libvirt_classify_open_error(const virError *error)
{
    if (!error)
        return VIREO_ERROR_FAILED;

    /* ssh reports what went wrong on its stderr, which libvirt quotes. */
    if (message_has(error, "Permission denied") ||
        message_has(error, "Host key verification failed") ||
        message_has(error, "Too many authentication failures"))
        return VIREO_ERROR_AUTH_FAILED;
    /* A driver that knows the scheme but not the path ("unexpected qemu
     * URI path '/x', try qemu:///system"), locally or on the remote host. */
    if (error->code == VIR_ERR_NO_CONNECT || message_has(error, "Unable to parse URI") ||
        message_has(error, "no connection driver available") || message_has(error, "URI path"))
        return VIREO_ERROR_INVALID_URI;
    if (message_has(error, "Connection refused") || message_has(error, "Could not resolve") ||
        message_has(error, "No route to host") || message_has(error, "Network is unreachable") ||
        message_has(error, "Failed to connect socket") || message_has(error, "Name or service") ||
        message_has(error, "Connection timed out") || message_has(error, "unable to connect"))
        return VIREO_ERROR_UNREACHABLE;
    /* Closed while opening: the daemon went away (or is going). */
    if (is_closed_connection(error))
        return VIREO_ERROR_UNREACHABLE;
    return vireo_libvirt_classify_error(error, VIREO_ERROR_FAILED);
}

const char *
vireo_libvirt_last_error_message(void)
{
    virErrorPtr error = virGetLastError();

    if (error && error->message)
        return error->message;
    return _("libvirt gave no reason");
}

void
vireo_libvirt_set_open_error(GError **error, const char *uri)
{
    VireoError code = vireo_libvirt_classify_open_error(virGetLastError());
    const char *detail = vireo_libvirt_last_error_message();
    g_autofree char *name = vireo_uri_dup_display_name(uri);

    switch (code) {
    case VIREO_ERROR_INVALID_URI:
        g_set_error(error, VIREO_ERROR, code,
                    _("libvirt cannot use the address “%s” (%s). Check it; addresses look "
                      "like qemu:///system or qemu+ssh://user@host/system."),
                    uri, detail);
        break;
    case VIREO_ERROR_UNREACHABLE:
        g_set_error(error, VIREO_ERROR, code,
                    _("Could not reach the hypervisor of %s (%s). Check that the host is up "
                      "and that libvirtd runs on it, then connect again."),
                    name, detail);
        break;
    case VIREO_ERROR_AUTH_FAILED:
        g_set_error(error, VIREO_ERROR, code,
                    _("%s refused the login (%s). Check the user name, the SSH key and the "
                      "host key, then connect again."),
                    name, detail);
        break;
    default:
        g_set_error(error, VIREO_ERROR, code, _("Could not connect to %s: %s"), name, detail);
        break;
    }
}

const char *
vireo_libvirt_state_reason_to_string(int state, int reason)
{
    switch (state) {
    case VIR_DOMAIN_RUNNING:
        switch (reason) {
        case VIR_DOMAIN_RUNNING_BOOTED:
            return _("booted");
        case VIR_DOMAIN_RUNNING_MIGRATED:
            return _("migrated from another host");
        case VIR_DOMAIN_RUNNING_RESTORED:
            return _("restored from a saved state");
        case VIR_DOMAIN_RUNNING_FROM_SNAPSHOT:
            return _("reverted to a snapshot");
        case VIR_DOMAIN_RUNNING_UNPAUSED:
            return _("resumed");
        case VIR_DOMAIN_RUNNING_MIGRATION_CANCELED:
            return _("migration was cancelled");
        case VIR_DOMAIN_RUNNING_SAVE_CANCELED:
            return _("saving was cancelled");
        case VIR_DOMAIN_RUNNING_WAKEUP:
            return _("woken up from suspend");
        case VIR_DOMAIN_RUNNING_CRASHED:
            return _("running after a crash");
        case VIR_DOMAIN_RUNNING_POSTCOPY:
            return _("migrating (post-copy)");
        default:
            return NULL;
        }
    case VIR_DOMAIN_PAUSED:
        switch (reason) {
        case VIR_DOMAIN_PAUSED_USER:
            return _("paused by the user");
        case VIR_DOMAIN_PAUSED_MIGRATION:
            return _("paused for migration");
        case VIR_DOMAIN_PAUSED_SAVE:
            return _("paused while saving");
        case VIR_DOMAIN_PAUSED_DUMP:
            return _("paused while dumping memory");
        case VIR_DOMAIN_PAUSED_IOERROR:
            return _("paused after a disk error");
        case VIR_DOMAIN_PAUSED_WATCHDOG:
            return _("paused by the watchdog");
        case VIR_DOMAIN_PAUSED_FROM_SNAPSHOT:
            return _("paused after reverting to a snapshot");
        case VIR_DOMAIN_PAUSED_SHUTTING_DOWN:
            return _("paused while shutting down");
        case VIR_DOMAIN_PAUSED_SNAPSHOT:
            return _("paused while taking a snapshot");
        case VIR_DOMAIN_PAUSED_CRASHED:
            return _("paused after the guest crashed");
        case VIR_DOMAIN_PAUSED_STARTING_UP:
            return _("starting up");
        default:
            return NULL;
        }
    case VIR_DOMAIN_SHUTDOWN:
        return reason == VIR_DOMAIN_SHUTDOWN_USER ? _("shutdown requested") : NULL;
    case VIR_DOMAIN_SHUTOFF:
        switch (reason) {
        case VIR_DOMAIN_SHUTOFF_SHUTDOWN:
            return _("shut down by the guest");
        case VIR_DOMAIN_SHUTOFF_DESTROYED:
            return _("forced off");
        case VIR_DOMAIN_SHUTOFF_CRASHED:
            return _("stopped after a crash");
        case VIR_DOMAIN_SHUTOFF_MIGRATED:
            return _("migrated to another host");
        case VIR_DOMAIN_SHUTOFF_SAVED:
            return _("saved");
        case VIR_DOMAIN_SHUTOFF_FAILED:
            return _("failed to start");
        case VIR_DOMAIN_SHUTOFF_FROM_SNAPSHOT:
            return _("reverted to a snapshot");
        case VIR_DOMAIN_SHUTOFF_DAEMON:
            return _("stopped by the daemon");
        default:
            return NULL;
        }
    case VIR_DOMAIN_CRASHED:
        return reason == VIR_DOMAIN_CRASHED_PANICKED ? _("the guest kernel panicked") : NULL;
    default:
        return NULL;
    }
}

VireoLibvirtDomainInfo *
vireo_libvirt_domain_info_read(virDomainPtr domain, GError **error)
{
    g_autoptr(VireoLibvirtDomainInfo) info = g_new0(VireoLibvirtDomainInfo, 1);
    char uuid[VIR_UUID_STRING_BUFLEN];
    virDomainInfo dominfo;

    virDomainRef(domain);
    info->domain = domain;
    if (virDomainGetUUIDString(domain, uuid) == 0)
        info->uuid = g_strdup(uuid);
    info->name = g_strdup(virDomainGetName(domain));

    if (virDomainGetState(domain, &info->state, &info->reason, 0) < 0) {
        virErrorPtr e = virGetLastError();
        if (e && e->code == VIR_ERR_NO_DOMAIN) {
            info->gone = TRUE;
            return g_steal_pointer(&info);
        }
        g_set_error(error, VIREO_ERROR, vireo_libvirt_classify_error(e, VIREO_ERROR_FAILED),
                    _("Could not read the state of “%s”: %s"), info->name,
                    vireo_libvirt_last_error_message());
        return NULL;
    }
    if (virDomainGetInfo(domain, &dominfo) == 0) {
        info->vcpus = dominfo.nrVirtCpu;
        info->memory_kib = dominfo.memory;
        info->max_memory_kib = dominfo.maxMem;
    }
    info->persistent = virDomainIsPersistent(domain) == 1;
    info->has_managed_save = virDomainHasManagedSaveImage(domain, 0) == 1;
    /* No title is not an error (VIR_ERR_NO_DOMAIN_METADATA). */
    info->title = virDomainGetMetadata(domain, VIR_DOMAIN_METADATA_TITLE, NULL, 0);
    virResetLastError();

    return g_steal_pointer(&info);
}

void
vireo_libvirt_domain_info_free(VireoLibvirtDomainInfo *info)
{
    if (!info)
        return;
    if (info->domain)
        virDomainFree(info->domain);
    g_free(info->uuid);
    g_free(info->name);
    g_free(info->title);
    g_free(info);
}

/* Disks ----------------------------------------------------------------- */

void
vireo_libvirt_disk_free(VireoLibvirtDisk *disk)
{
    if (!disk)
        return;
    g_free(disk->type);
    g_free(disk->device);
    g_free(disk->file);
    g_free(disk->pool);
    g_free(disk->volume);
    g_free(disk);
}

typedef struct {
    GPtrArray *disks;
    VireoLibvirtDisk *current; /* inside <devices><disk> */
    int depth;
    int disk_depth;
} DiskParser;

const char *
vireo_libvirt_markup_attribute(const char **names, const char **values, const char *name)
{
    for (guint i = 0; names[i]; i++)
        if (g_str_equal(names[i], name))
            return values[i];
    return NULL;
}

static void
disk_start(GMarkupParseContext *context, const char *element, const char **names,
           const char **values, gpointer user_data, GError **error)
{
    DiskParser *parser = user_data;
    const GSList *stack = g_markup_parse_context_get_element_stack(context);

    parser->depth++;
    if (g_str_equal(element, "disk") && stack->next &&
        g_str_equal(stack->next->data, "devices")) {
        parser->current = g_new0(VireoLibvirtDisk, 1);
        parser->current->type = g_strdup(vireo_libvirt_markup_attribute(names, values, "type"));
        parser->current->device =
            g_strdup(vireo_libvirt_markup_attribute(names, values, "device"));
        parser->disk_depth = parser->depth;
        return;
    }
    if (!parser->current || parser->depth != parser->disk_depth + 1)
        return;

    if (g_str_equal(element, "source")) {
        const char *file = vireo_libvirt_markup_attribute(names, values, "file");
        if (!file)
            file = vireo_libvirt_markup_attribute(names, values, "dev");
        g_free(parser->current->file);
        parser->current->file = g_strdup(file);
        g_free(parser->current->pool);
        parser->current->pool =
            g_strdup(vireo_libvirt_markup_attribute(names, values, "pool"));
        g_free(parser->current->volume);
        parser->current->volume =
            g_strdup(vireo_libvirt_markup_attribute(names, values, "volume"));
    } else if (g_str_equal(element, "readonly")) {
        parser->current->readonly = TRUE;
    } else if (g_str_equal(element, "shareable")) {
        parser->current->shareable = TRUE;
    }
}

static void
disk_end(GMarkupParseContext *context, const char *element, gpointer user_data, GError **error)
{
    DiskParser *parser = user_data;

    if (parser->current && parser->depth == parser->disk_depth) {
        g_ptr_array_add(parser->disks, parser->current);
        parser->current = NULL;
    }
    parser->depth--;
}

GPtrArray *
vireo_libvirt_parse_disks(const char *xml, GError **error)
{
    static const GMarkupParser callbacks = {
        .start_element = disk_start,
        .end_element = disk_end,
    };
    DiskParser parser = {
        .disks = g_ptr_array_new_with_free_func((GDestroyNotify)vireo_libvirt_disk_free),
    };
    g_autoptr(GMarkupParseContext) context =
        g_markup_parse_context_new(&callbacks, G_MARKUP_IGNORE_QUALIFIED, &parser, NULL);

    if (!g_markup_parse_context_parse(context, xml, -1, error) ||
        !g_markup_parse_context_end_parse(context, error)) {
        vireo_libvirt_disk_free(parser.current);
        g_ptr_array_unref(parser.disks);
        return NULL;
    }
    return parser.disks;
}
