/* vireo-core.c: library start-up, the error domain and the enum types
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <libvirt-glib/libvirt-glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "vireo.h"

G_DEFINE_QUARK(vireo-error-quark, vireo_error)

G_DEFINE_ENUM_TYPE(VireoConnectionState, vireo_connection_state,
                   G_DEFINE_ENUM_VALUE(VIREO_CONNECTION_STATE_DISCONNECTED, "disconnected"),
                   G_DEFINE_ENUM_VALUE(VIREO_CONNECTION_STATE_CONNECTING, "connecting"),
                   G_DEFINE_ENUM_VALUE(VIREO_CONNECTION_STATE_CONNECTED, "connected"))

G_DEFINE_ENUM_TYPE(VireoDomainState, vireo_domain_state,
                   G_DEFINE_ENUM_VALUE(VIREO_DOMAIN_STATE_NOSTATE, "nostate"),
                   G_DEFINE_ENUM_VALUE(VIREO_DOMAIN_STATE_RUNNING, "running"),
                   G_DEFINE_ENUM_VALUE(VIREO_DOMAIN_STATE_BLOCKED, "blocked"),
                   G_DEFINE_ENUM_VALUE(VIREO_DOMAIN_STATE_PAUSED, "paused"),
                   G_DEFINE_ENUM_VALUE(VIREO_DOMAIN_STATE_SHUTDOWN, "shutdown"),
                   G_DEFINE_ENUM_VALUE(VIREO_DOMAIN_STATE_SHUTOFF, "shutoff"),
                   G_DEFINE_ENUM_VALUE(VIREO_DOMAIN_STATE_CRASHED, "crashed"),
                   G_DEFINE_ENUM_VALUE(VIREO_DOMAIN_STATE_PMSUSPENDED, "pmsuspended"))

G_DEFINE_ENUM_TYPE(VireoDomainAction, vireo_domain_action,
                   G_DEFINE_ENUM_VALUE(VIREO_DOMAIN_ACTION_START, "start"),
                   G_DEFINE_ENUM_VALUE(VIREO_DOMAIN_ACTION_SHUTDOWN, "shutdown"),
                   G_DEFINE_ENUM_VALUE(VIREO_DOMAIN_ACTION_REBOOT, "reboot"),
                   G_DEFINE_ENUM_VALUE(VIREO_DOMAIN_ACTION_FORCE_OFF, "force-off"),
                   G_DEFINE_ENUM_VALUE(VIREO_DOMAIN_ACTION_PAUSE, "pause"),
                   G_DEFINE_ENUM_VALUE(VIREO_DOMAIN_ACTION_RESUME, "resume"),
                   G_DEFINE_ENUM_VALUE(VIREO_DOMAIN_ACTION_SAVE, "save"))

/* libvirt prints every error on stderr unless told otherwise; libvireo turns
 * them into GErrors for the user instead. */
static void
ignore_libvirt_error(void *user_data, virErrorPtr error)
{
}

void
vireo_core_init(void)
{
    static gsize initialized = 0;

    if (g_once_init_enter(&initialized)) {
        bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
        bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");

        virInitialize();
        virSetErrorFunc(NULL, ignore_libvirt_error);
        /* libvirt's events (domain lifecycle, keepalive, close) are
         * dispatched by the default GLib main context from here on. */
        gvir_event_register();

        g_once_init_leave(&initialized, 1);
    }
}
