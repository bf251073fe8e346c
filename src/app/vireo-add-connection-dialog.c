/* vireo-add-connection-dialog.c: choose a hypervisor, local or over SSH
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The URI the choices make is shown live under the fields, so that users
 * learn the libvirt URI they could give `vireo --connect` or virsh.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vireo-add-connection-dialog.h"

struct _VireoAddConnectionDialog {
    GtkDialog parent_instance;

    GtkComboBoxText *hypervisor_combo;
    GtkWidget *custom_uri_label;
    GtkEntry *custom_uri_entry;
    GtkToggleButton *ssh_check;
    GtkWidget *user_label;
    GtkEntry *user_entry;
    GtkWidget *host_label;
    GtkEntry *host_entry;
    GtkLabel *uri_label;
    GtkToggleButton *autoconnect_check;
    GtkLabel *problem_label;
};

G_DEFINE_FINAL_TYPE(VireoAddConnectionDialog, vireo_add_connection_dialog, GTK_TYPE_DIALOG)

/* A libvirt URI for @hypervisor ("qemu-system", "qemu-session"), over SSH
 * when @host is set; @user may be NULL. */
static char *
build_uri(const char *hypervisor, const char *user, const char *host)
{
    const char *path;
    g_autofree char *escaped_user = NULL;

    g_return_val_if_fail(hypervisor != NULL, NULL);

    if (g_str_equal(hypervisor, "qemu-system"))
        path = "system";
    else if (g_str_equal(hypervisor, "qemu-session"))
        path = "session";
    else
        g_return_val_if_reached(NULL);

    if (host == NULL || *host == '\0')
        return g_strdup_printf("qemu:///%s", path);
    if (user == NULL || *user == '\0')
        return g_strdup_printf("qemu+ssh://%s/%s", host, path);
    escaped_user = g_uri_escape_string(user, G_URI_RESERVED_CHARS_SUBCOMPONENT_DELIMITERS, TRUE);
    return g_strdup_printf("qemu+ssh://%s@%s/%s", escaped_user, host, path);
}

static gboolean
host_is_valid(const char *host)
{
    /* A name or address, optionally :port; no spaces, slashes or '@'. */
    for (const char *p = host; *p != '\0'; p++) {
        if (g_ascii_isspace(*p) || *p == '/' || *p == '@' || *p == '?' || *p == '#')
            return FALSE;
    }
    return *host != '\0';
}

/* Computes the URI and, when there is none, the reason in @problem. */
static char *
compute_uri(VireoAddConnectionDialog *self, const char **problem)
{
    const char *hypervisor = gtk_combo_box_get_active_id(GTK_COMBO_BOX(self->hypervisor_combo));
    g_autofree char *user = NULL;
    g_autofree char *host = NULL;

    *problem = NULL;
    if (hypervisor == NULL) {
        *problem = _("Choose a hypervisor.");
        return NULL;
    }
    if (g_str_equal(hypervisor, "test"))
        return g_strdup("test:///default");
    if (g_str_equal(hypervisor, "custom")) {
        g_autofree char *uri = g_strstrip(g_strdup(gtk_entry_get_text(self->custom_uri_entry)));

        if (*uri == '\0') {
            *problem = _("Type a libvirt URI, for example qemu+ssh://user@host/system.");
            return NULL;
        }
        if (strstr(uri, ":/") == NULL) {
            *problem = _("A libvirt URI starts with a driver and “:/”, for example "
                         "qemu:///system or test:///default.");
            return NULL;
        }
        return g_steal_pointer(&uri);
    }
    if (!gtk_toggle_button_get_active(self->ssh_check))
        return build_uri(hypervisor, NULL, NULL);

    user = g_strstrip(g_strdup(gtk_entry_get_text(self->user_entry)));
    host = g_strstrip(g_strdup(gtk_entry_get_text(self->host_entry)));
    if (*host == '\0') {
        *problem = _("Type the name or address of the remote host.");
        return NULL;
    }
    if (!host_is_valid(host)) {
        *problem = _("The host name cannot contain spaces or the characters / @ ? #. "
                     "Type the name or address only, with :port if needed.");
        return NULL;
    }
    return build_uri(hypervisor, user, host);
}

static void
on_input_changed(VireoAddConnectionDialog *self)
{
    const char *hypervisor = gtk_combo_box_get_active_id(GTK_COMBO_BOX(self->hypervisor_combo));
    gboolean custom = g_strcmp0(hypervisor, "custom") == 0;
    gboolean qemu = g_strcmp0(hypervisor, "qemu-system") == 0 ||
                    g_strcmp0(hypervisor, "qemu-session") == 0;
    gboolean ssh = qemu && gtk_toggle_button_get_active(self->ssh_check);
    const char *problem = NULL;
    g_autofree char *uri = NULL;

    gtk_widget_set_visible(self->custom_uri_label, custom);
    gtk_widget_set_visible(GTK_WIDGET(self->custom_uri_entry), custom);
    gtk_widget_set_sensitive(GTK_WIDGET(self->ssh_check), qemu);
    gtk_widget_set_sensitive(self->user_label, ssh);
    gtk_widget_set_sensitive(GTK_WIDGET(self->user_entry), ssh);
    gtk_widget_set_sensitive(self->host_label, ssh);
    gtk_widget_set_sensitive(GTK_WIDGET(self->host_entry), ssh);

    uri = compute_uri(self, &problem);
    gtk_label_set_text(self->uri_label, uri != NULL ? uri : "");
    gtk_label_set_text(self->problem_label, problem != NULL ? problem : "");
    gtk_dialog_set_response_sensitive(GTK_DIALOG(self), GTK_RESPONSE_ACCEPT, uri != NULL);
}

static void
vireo_add_connection_dialog_class_init(VireoAddConnectionDialogClass *klass)
{
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/vireo/Vireo/vireo-add-connection-dialog.ui");
    gtk_widget_class_bind_template_child(widget_class, VireoAddConnectionDialog, hypervisor_combo);
    gtk_widget_class_bind_template_child(widget_class, VireoAddConnectionDialog, custom_uri_label);
    gtk_widget_class_bind_template_child(widget_class, VireoAddConnectionDialog, custom_uri_entry);
    gtk_widget_class_bind_template_child(widget_class, VireoAddConnectionDialog, ssh_check);
    gtk_widget_class_bind_template_child(widget_class, VireoAddConnectionDialog, user_label);
    gtk_widget_class_bind_template_child(widget_class, VireoAddConnectionDialog, user_entry);
    gtk_widget_class_bind_template_child(widget_class, VireoAddConnectionDialog, host_label);
    gtk_widget_class_bind_template_child(widget_class, VireoAddConnectionDialog, host_entry);
    gtk_widget_class_bind_template_child(widget_class, VireoAddConnectionDialog, uri_label);
    gtk_widget_class_bind_template_child(widget_class, VireoAddConnectionDialog, autoconnect_check);
    gtk_widget_class_bind_template_child(widget_class, VireoAddConnectionDialog, problem_label);
    gtk_widget_class_bind_template_callback(widget_class, on_input_changed);
}

static void
vireo_add_connection_dialog_init(VireoAddConnectionDialog *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    on_input_changed(self);
}

GtkWidget *
vireo_add_connection_dialog_new(GtkWindow *parent)
{
    return g_object_new(VIREO_TYPE_ADD_CONNECTION_DIALOG,
                        "transient-for", parent,
                        "use-header-bar", 1,
                        NULL);
}

char *
vireo_add_connection_dialog_dup_uri(VireoAddConnectionDialog *self)
{
    const char *problem;

    g_return_val_if_fail(VIREO_IS_ADD_CONNECTION_DIALOG(self), NULL);
    return compute_uri(self, &problem);
}

gboolean
vireo_add_connection_dialog_get_autoconnect(VireoAddConnectionDialog *self)
{
    g_return_val_if_fail(VIREO_IS_ADD_CONNECTION_DIALOG(self), FALSE);
    return gtk_toggle_button_get_active(self->autoconnect_check);
}

void
vireo_add_connection_dialog_set_problem(VireoAddConnectionDialog *self, const char *message)
{
    g_return_if_fail(VIREO_IS_ADD_CONNECTION_DIALOG(self));
    gtk_label_set_text(self->problem_label, message != NULL ? message : "");
}
