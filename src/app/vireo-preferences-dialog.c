/* vireo-preferences-dialog.c: confirmations, statistics interval, console keys
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "vireo-preferences-dialog.h"

struct _VireoPreferencesDialog {
    GtkDialog parent_instance;

    GtkToggleButton *confirm_force_off_check;
    GtkToggleButton *confirm_shutdown_check;
    GtkToggleButton *confirm_pause_check;
    GtkToggleButton *confirm_delete_check;
    GtkSpinButton *interval_spin;
    GtkComboBox *release_keys_combo;
};

G_DEFINE_FINAL_TYPE(VireoPreferencesDialog, vireo_preferences_dialog, GTK_TYPE_DIALOG)

static void
vireo_preferences_dialog_class_init(VireoPreferencesDialogClass *klass)
{
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/vireo/Vireo/vireo-preferences-dialog.ui");
    gtk_widget_class_bind_template_child(widget_class, VireoPreferencesDialog,
                                         confirm_force_off_check);
    gtk_widget_class_bind_template_child(widget_class, VireoPreferencesDialog,
                                         confirm_shutdown_check);
    gtk_widget_class_bind_template_child(widget_class, VireoPreferencesDialog,
                                         confirm_pause_check);
    gtk_widget_class_bind_template_child(widget_class, VireoPreferencesDialog,
                                         confirm_delete_check);
    gtk_widget_class_bind_template_child(widget_class, VireoPreferencesDialog, interval_spin);
    gtk_widget_class_bind_template_child(widget_class, VireoPreferencesDialog,
                                         release_keys_combo);
}

static void
vireo_preferences_dialog_init(VireoPreferencesDialog *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

GtkWidget *
vireo_preferences_dialog_new(GtkWindow *parent, GSettings *settings)
{
    VireoPreferencesDialog *self;

    g_return_val_if_fail(G_IS_SETTINGS(settings), NULL);

    self = g_object_new(VIREO_TYPE_PREFERENCES_DIALOG,
                        "transient-for", parent,
                        "use-header-bar", 1,
                        NULL);
    g_settings_bind(settings, "confirm-force-off", self->confirm_force_off_check, "active",
                    G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(settings, "confirm-shutdown", self->confirm_shutdown_check, "active",
                    G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(settings, "confirm-pause", self->confirm_pause_check, "active",
                    G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(settings, "confirm-delete", self->confirm_delete_check, "active",
                    G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(settings, "stats-interval", self->interval_spin, "value",
                    G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(settings, "console-release-keys", self->release_keys_combo, "active-id",
                    G_SETTINGS_BIND_DEFAULT);
    return GTK_WIDGET(self);
}
