/* vireo-uri.c: what a connection URI says, without opening it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "vireo-connection.h"
#include "vireo-uri.h"

typedef struct {
    char *scheme;
    char *host;
    char *path;
} UriParts;

static void
uri_parts_clear(UriParts *parts)
{
    g_free(parts->scheme);
    g_free(parts->host);
    g_free(parts->path);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(UriParts, uri_parts_clear)

/* libvirt URIs keep their query (keyfile=, command=…) as they are, so the
 * components stay percent-encoded. */
static gboolean
split(const char *uri, UriParts *parts)
{
    if (!uri || !strstr(uri, "://"))
        return FALSE;
    if (!g_uri_split(uri, G_URI_FLAGS_ENCODED | G_URI_FLAGS_NON_DNS, &parts->scheme, NULL,
                     &parts->host, NULL, &parts->path, NULL, NULL, NULL))
        return FALSE;
    if (parts->host && !*parts->host)
        g_clear_pointer(&parts->host, g_free);
    return parts->scheme != NULL;
}

gboolean
vireo_uri_validate(const char *uri, GError **error)
{
    g_auto(UriParts) parts = {0};

    if (!uri || !*uri) {
        g_set_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_URI,
                    _("No connection address was given. Enter one such as qemu:///system or "
                      "qemu+ssh://user@host/system."));
        return FALSE;
    }
    if (!split(uri, &parts)) {
        g_set_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_URI,
                    _("“%s” is not a valid connection address. Write it as "
                      "driver://host/path, for example qemu:///system or "
                      "qemu+ssh://user@host/system."),
                    uri);
        return FALSE;
    }
    return TRUE;
}

char *
vireo_uri_dup_driver(const char *uri)
{
    g_auto(UriParts) parts = {0};

    if (!split(uri, &parts))
        return NULL;
    const char *plus = strchr(parts.scheme, '+');
    return g_ascii_strdown(parts.scheme, plus ? plus - parts.scheme : -1);
}

char *
vireo_uri_dup_transport(const char *uri)
{
    g_auto(UriParts) parts = {0};

    if (!split(uri, &parts))
        return NULL;
    const char *plus = strchr(parts.scheme, '+');
    if (!plus || !plus[1])
        return NULL;
    return g_ascii_strdown(plus + 1, -1);
}

char *
vireo_uri_dup_host(const char *uri)
{
    g_auto(UriParts) parts = {0};

    if (!split(uri, &parts) || !parts.host)
        return NULL;
    return g_steal_pointer(&parts.host);
}

gboolean
vireo_uri_is_remote(const char *uri)
{
    g_autofree char *transport = vireo_uri_dup_transport(uri);
    g_autofree char *host = vireo_uri_dup_host(uri);

    /* "unix" is a local socket; every other transport, and any host, means
     * the hypervisor's files are not this machine's. */
    if (transport && g_ascii_strcasecmp(transport, "unix") != 0)
        return TRUE;
    return host != NULL;
}

char *
vireo_uri_dup_display_name(const char *uri)
{
    g_auto(UriParts) parts = {0};

    if (!split(uri, &parts))
        return g_strdup(uri ? uri : "");

    g_autofree char *driver = vireo_uri_dup_driver(uri);
    g_autofree char *host = vireo_uri_dup_host(uri);
    gboolean session = g_strcmp0(parts.path, "/session") == 0;
    const char *name;

    if (g_str_equal(driver, "qemu"))
        name = session ? _("QEMU/KVM user session") : _("QEMU/KVM");
    else if (g_str_equal(driver, "test"))
        name = _("Test");
    else if (g_str_equal(driver, "vireo"))
        name = _("Vireo");
    else if (g_str_equal(driver, "lxc"))
        name = _("LXC");
    else if (g_str_equal(driver, "xen"))
        name = _("Xen");
    else if (g_str_equal(driver, "ch"))
        name = _("Cloud Hypervisor");
    else if (g_str_equal(driver, "bhyve"))
        name = _("bhyve");
    else if (g_str_equal(driver, "vbox"))
        name = _("VirtualBox");
    else
        name = driver;

    if (host)
        /* Translators: a hypervisor kind and the host it runs on, e.g. "QEMU/KVM: host.example". */
        return g_strdup_printf(C_("connection name", "%s: %s"), name, host);
    return g_strdup(name);
}
