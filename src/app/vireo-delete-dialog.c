/* vireo-delete-dialog.c: confirm deleting a VM, and choose to delete its disks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The disks are listed with vireo_domain_list_storage_async(); until they
 * are known, or when listing fails, deleting them cannot be chosen.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vireo-delete-dialog.h"

struct _VireoDeleteDialog {
    GtkDialog parent_instance;

    VireoDomain *domain;
    GCancellable *cancellable;

    GtkLabel *heading_label;
    GtkLabel *loss_label;
    GtkToggleButton *storage_check;
    GtkLabel *storage_label;
};

G_DEFINE_FINAL_TYPE(VireoDeleteDialog, vireo_delete_dialog, GTK_TYPE_DIALOG)

static void
on_storage_listed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(VireoDeleteDialog) self = user_data;
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) paths = vireo_domain_list_storage_finish(VIREO_DOMAIN(source), result, &error);
    g_autofree char *text = NULL;

    if (g_cancellable_is_cancelled(self->cancellable))
        return;
    if (paths == NULL) {
        text = g_strdup_printf(_("Its disks could not be listed, so they are kept: %s"),
                               error->message);
        gtk_label_set_text(self->storage_label, text);
        return;
    }
    if (paths[0] == NULL) {
        gtk_label_set_text(self->storage_label, _("It has no disks."));
        return;
    }
    text = g_strjoinv("\n", paths);
    gtk_label_set_text(self->storage_label, text);
    gtk_widget_set_sensitive(GTK_WIDGET(self->storage_check), TRUE);
}

static void
vireo_delete_dialog_dispose(GObject *object)
{
    VireoDeleteDialog *self = VIREO_DELETE_DIALOG(object);

    if (self->cancellable != NULL)
        g_cancellable_cancel(self->cancellable);
    g_clear_object(&self->cancellable);
    g_clear_object(&self->domain);
    G_OBJECT_CLASS(vireo_delete_dialog_parent_class)->dispose(object);
}

static void
vireo_delete_dialog_class_init(VireoDeleteDialogClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->dispose = vireo_delete_dialog_dispose;

    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/vireo/Vireo/vireo-delete-dialog.ui");
    gtk_widget_class_bind_template_child(widget_class, VireoDeleteDialog, heading_label);
    gtk_widget_class_bind_template_child(widget_class, VireoDeleteDialog, loss_label);
    gtk_widget_class_bind_template_child(widget_class, VireoDeleteDialog, storage_check);
    gtk_widget_class_bind_template_child(widget_class, VireoDeleteDialog, storage_label);
}

static void
vireo_delete_dialog_init(VireoDeleteDialog *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->cancellable = g_cancellable_new();
}

GtkWidget *
vireo_delete_dialog_new(GtkWindow *parent, VireoDomain *domain)
{
    VireoDeleteDialog *self;
    g_autofree char *heading = NULL;
    const char *name;

    g_return_val_if_fail(VIREO_IS_DOMAIN(domain), NULL);

    self = g_object_new(VIREO_TYPE_DELETE_DIALOG, "transient-for", parent, NULL);
    self->domain = g_object_ref(domain);
    name = vireo_domain_get_name(domain);

    heading = g_strdup_printf(_("Delete “%s”?"), name);
    gtk_label_set_text(self->heading_label, heading);
    if (vireo_domain_is_active(domain))
        gtk_label_set_text(self->loss_label,
                           _("It is running: it is forced off first, and whatever its guest "
                             "system had not written to disk is lost. Then its definition "
                             "and settings are deleted for good."));
    else
        gtk_label_set_text(self->loss_label,
                           _("Its definition and settings are deleted for good, including "
                             "its saved state if it has one."));

    vireo_domain_list_storage_async(domain, self->cancellable, on_storage_listed,
                                    g_object_ref(self));
    return GTK_WIDGET(self);
}

VireoDomainDeleteFlags
vireo_delete_dialog_get_flags(VireoDeleteDialog *self)
{
    g_return_val_if_fail(VIREO_IS_DELETE_DIALOG(self), VIREO_DOMAIN_DELETE_NONE);

    if (gtk_widget_get_sensitive(GTK_WIDGET(self->storage_check)) &&
        gtk_toggle_button_get_active(self->storage_check))
        return VIREO_DOMAIN_DELETE_STORAGE;
    return VIREO_DOMAIN_DELETE_NONE;
}
