/* vireo-vm-window.c: one virtual machine's window, its console first
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Actions (win.*): send-key, screenshot, fullscreen, console-kind,
 * scaling (the "console-scaling" setting), pixel-exact, resize-to-guest,
 * type-clipboard, reconnect.  In full screen the header bar hides and a
 * toolbar slides down when the pointer touches the top edge, and hides
 * again shortly after it leaves.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vireo-serial-console.h"
#include "vireo-vm-window.h"
#include "vireo-vnc-console.h"

/* How long the full-screen toolbar stays after the pointer left it. */
#define TOOLBAR_HIDE_MSEC 1500

struct _VireoVmWindow {
    GtkApplicationWindow parent_instance;

    GSettings *settings;
    VireoConnection *connection;
    char *domain_name;
    VireoConsolePage *console_page;
    VireoConsole *console; /* the page's, with our handlers */

    gboolean fullscreen;
    gboolean pixel_exact;
    gboolean sized_to_guest;
    guint hide_toolbar_source;

    /* Template children */
    GtkHeaderBar *header_bar;
    GtkLabel *title_label;
    GtkStackSwitcher *page_switcher;
    GMenu *send_key_f_section;
    GtkInfoBar *error_bar;
    GtkLabel *error_label;
    GtkRevealer *grab_revealer;
    GtkLabel *grab_label;
    GtkStack *pages;
    GtkWidget *hot_zone;
    GtkRevealer *fullscreen_revealer;
    GtkLabel *fullscreen_title;
};

G_DEFINE_FINAL_TYPE(VireoVmWindow, vireo_vm_window, GTK_TYPE_APPLICATION_WINDOW)

static void update_actions(VireoVmWindow *self);

/* ---- helpers ---- */

static void
show_error(VireoVmWindow *self, const char *message)
{
    gtk_label_set_text(self->error_label, message);
    gtk_info_bar_set_revealed(self->error_bar, TRUE);
}

static void
on_error_bar_response(GtkInfoBar *bar, int response, VireoVmWindow *self)
{
    gtk_info_bar_set_revealed(bar, FALSE);
}

static void
set_enabled(VireoVmWindow *self, const char *name, gboolean enabled)
{
    GAction *action = g_action_map_lookup_action(G_ACTION_MAP(self), name);

    g_simple_action_set_enabled(G_SIMPLE_ACTION(action), enabled);
}

static VireoVncConsole *
vnc_console(VireoVmWindow *self)
{
    return VIREO_IS_VNC_CONSOLE(self->console) ? VIREO_VNC_CONSOLE(self->console) : NULL;
}

char *
vireo_vm_window_dup_keys_label(const char *keys)
{
    g_auto(GStrv) names = g_strsplit(keys ? keys : "", "+", -1);
    g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; names[i]; i++) {
        const char *name = names[i];
        if (!*name)
            continue;
        if (g_str_has_prefix(name, "Control"))
            g_ptr_array_add(labels, g_strdup(C_("keyboard key", "Ctrl")));
        else if (g_str_has_prefix(name, "Alt"))
            g_ptr_array_add(labels, g_strdup(C_("keyboard key", "Alt")));
        else if (g_str_has_prefix(name, "Shift"))
            g_ptr_array_add(labels, g_strdup(C_("keyboard key", "Shift")));
        else if (g_str_has_prefix(name, "Super"))
            g_ptr_array_add(labels, g_strdup(C_("keyboard key", "Super")));
        else
            g_ptr_array_add(labels, g_strdup(name));
    }
    g_ptr_array_add(labels, NULL);
    return g_strjoinv("+", (char **)labels->pdata);
}

/* ---- titles and the grab hint ---- */

static void
update_title(VireoVmWindow *self)
{
    g_autofree char *host = vireo_connection_dup_display_name(self->connection);
    g_autofree char *title = g_strdup_printf(_("%s on %s"), self->domain_name, host);
    VireoVncConsole *vnc = vnc_console(self);
    gboolean grabbed = vnc && vireo_vnc_console_get_grabbed(vnc);

    gtk_label_set_text(self->title_label, title);
    gtk_label_set_text(self->fullscreen_title, title);
    if (grabbed) {
        g_autofree char *keys = g_settings_get_string(self->settings, "console-release-keys");
        g_autofree char *label = vireo_vm_window_dup_keys_label(keys);
        g_autofree char *hint = g_strdup_printf(
            _("The virtual machine has the keyboard and pointer. Press %s to release them."),
            label);
        g_autofree char *window_title =
            g_strdup_printf(_("%s (press %s to release)"), title, label);
        gtk_label_set_text(self->grab_label, hint);
        gtk_window_set_title(GTK_WINDOW(self), window_title);
    } else {
        gtk_window_set_title(GTK_WINDOW(self), title);
    }
    gtk_revealer_set_reveal_child(self->grab_revealer, grabbed);
}

static void
apply_release_keys(VireoVmWindow *self)
{
    VireoVncConsole *vnc = vnc_console(self);
    g_autofree char *keys = g_settings_get_string(self->settings, "console-release-keys");

    if (vnc && !vireo_vnc_console_set_release_keys(vnc, keys)) {
        g_autofree char *message = g_strdup_printf(
            _("The release keys “%s” in the preferences name no keys; Ctrl+Alt releases "
              "the keyboard and pointer instead."),
            keys);
        vireo_vnc_console_set_release_keys(vnc, "Control_L+Alt_L");
        show_error(self, message);
    }
    update_title(self);
}

/* ---- scaling ---- */

static void
apply_scaling(VireoVmWindow *self)
{
    VireoVncConsole *vnc = vnc_console(self);
    g_autofree char *mode = g_settings_get_string(self->settings, "console-scaling");
    gboolean scaling;

    if (!vnc)
        return;
    if (self->pixel_exact)
        scaling = FALSE;
    else if (g_str_equal(mode, "fullscreen"))
        scaling = self->fullscreen;
    else
        scaling = !g_str_equal(mode, "never");
    vireo_vnc_console_set_scaling(vnc, scaling);
}

/* Makes the console area exactly as big as the guest's screen. */
static void
resize_to_guest(VireoVmWindow *self)
{
    VireoVncConsole *vnc = vnc_console(self);
    int guest_width, guest_height, width, height;

    if (!vnc || self->fullscreen || !vireo_vnc_console_get_guest_size(vnc, &guest_width,
                                                                       &guest_height))
        return;
    /* The page stack is always allocated (the console may be hidden in
     * it); the console fills it. */
    int scale = gtk_widget_get_scale_factor(GTK_WIDGET(self));
    GtkWidget *area = GTK_WIDGET(self->pages);
    gtk_window_get_size(GTK_WINDOW(self), &width, &height);
    width += guest_width / scale - gtk_widget_get_allocated_width(area);
    height += guest_height / scale - gtk_widget_get_allocated_height(area);

    /* Never larger than the screen it is on. */
    GdkWindow *window = gtk_widget_get_window(GTK_WIDGET(self));
    if (window) {
        GdkRectangle workarea;
        GdkMonitor *monitor =
            gdk_display_get_monitor_at_window(gtk_widget_get_display(GTK_WIDGET(self)), window);
        gdk_monitor_get_workarea(monitor, &workarea);
        width = MIN(width, workarea.width);
        height = MIN(height, workarea.height);
    }
    gtk_window_unmaximize(GTK_WINDOW(self));
    gtk_window_resize(GTK_WINDOW(self), MAX(width, 200), MAX(height, 150));
}

static void
on_guest_size(GObject *object, GParamSpec *pspec, VireoVmWindow *self)
{
    /* The first screen sizes the window (once; later the user decides). */
    if (self->sized_to_guest || gtk_window_is_maximized(GTK_WINDOW(self)))
        return;
    if (!vireo_vnc_console_get_guest_size(VIREO_VNC_CONSOLE(object), NULL, NULL))
        return;
    self->sized_to_guest = TRUE;
    resize_to_guest(self);
}

/* ---- full screen ---- */

/* Once slid away, the toolbar is hidden for real (and for screen readers). */
static void
on_toolbar_revealed(GtkRevealer *revealer, GParamSpec *pspec, VireoVmWindow *self)
{
    if (!gtk_revealer_get_child_revealed(revealer) && !gtk_revealer_get_reveal_child(revealer))
        gtk_widget_hide(GTK_WIDGET(revealer));
}

static void
hide_toolbar(VireoVmWindow *self)
{
    g_clear_handle_id(&self->hide_toolbar_source, g_source_remove);
    gtk_revealer_set_reveal_child(self->fullscreen_revealer, FALSE);
}

static gboolean
hide_toolbar_cb(gpointer user_data)
{
    VireoVmWindow *self = user_data;

    self->hide_toolbar_source = 0;
    hide_toolbar(self);
    return G_SOURCE_REMOVE;
}

static void
reveal_toolbar(VireoVmWindow *self, gboolean then_hide)
{
    g_clear_handle_id(&self->hide_toolbar_source, g_source_remove);
    gtk_widget_show(GTK_WIDGET(self->fullscreen_revealer));
    gtk_revealer_set_reveal_child(self->fullscreen_revealer, TRUE);
    if (then_hide)
        self->hide_toolbar_source = g_timeout_add(TOOLBAR_HIDE_MSEC, hide_toolbar_cb, self);
}

static gboolean
on_hot_zone_enter(GtkWidget *widget, GdkEventCrossing *event, VireoVmWindow *self)
{
    reveal_toolbar(self, TRUE);
    return GDK_EVENT_PROPAGATE;
}

static gboolean
on_toolbar_enter(GtkWidget *widget, GdkEventCrossing *event, VireoVmWindow *self)
{
    if (self->fullscreen)
        reveal_toolbar(self, FALSE);
    return GDK_EVENT_PROPAGATE;
}

static gboolean
on_toolbar_leave(GtkWidget *widget, GdkEventCrossing *event, VireoVmWindow *self)
{
    /* Leaving into a child (a menu button) is not leaving. */
    if (self->fullscreen && event->detail != GDK_NOTIFY_INFERIOR)
        reveal_toolbar(self, TRUE);
    return GDK_EVENT_PROPAGATE;
}

static gboolean
on_window_state_event(GtkWidget *widget, GdkEventWindowState *event, VireoVmWindow *self)
{
    gboolean fullscreen = (event->new_window_state & GDK_WINDOW_STATE_FULLSCREEN) != 0;
    GAction *action;

    if (fullscreen == self->fullscreen)
        return GDK_EVENT_PROPAGATE;
    self->fullscreen = fullscreen;
    gtk_widget_set_visible(GTK_WIDGET(self->header_bar), !fullscreen);
    gtk_widget_set_visible(self->hot_zone, fullscreen);
    if (fullscreen)
        reveal_toolbar(self, TRUE); /* show where it is, then get out of the way */
    else
        hide_toolbar(self);
    action = g_action_map_lookup_action(G_ACTION_MAP(self), "fullscreen");
    g_simple_action_set_state(G_SIMPLE_ACTION(action), g_variant_new_boolean(fullscreen));
    apply_scaling(self);
    return GDK_EVENT_PROPAGATE;
}

/* ---- actions ---- */

static void
on_send_key(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    VireoVmWindow *self = user_data;
    guint keyvals[4];
    guint n = 0;

    if (vireo_console_keys_for_name(g_variant_get_string(parameter, NULL), keyvals, &n))
        vireo_console_send_keys(self->console, keyvals, n);
}

static void
on_screenshot_response(GtkNativeDialog *dialog, int response, gpointer user_data)
{
    VireoVmWindow *self = user_data;
    g_autoptr(GError) error = NULL;

    if (response == GTK_RESPONSE_ACCEPT) {
        g_autofree char *path = gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(dialog));
        if (!path || !vireo_console_save_screenshot(self->console, path, &error))
            show_error(self, error ? error->message
                                   : _("Choose a local file to save the screenshot in."));
    }
    g_object_unref(dialog);
    g_object_unref(self);
}

static void
on_screenshot(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    VireoVmWindow *self = user_data;
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%d-%H%M%S");
    g_autofree char *name = g_strdup_printf("%s-%s.png", self->domain_name, stamp);
    const char *pictures = g_get_user_special_dir(G_USER_DIRECTORY_PICTURES);
    GtkFileChooserNative *dialog;

    dialog = gtk_file_chooser_native_new(_("Save Screenshot"), GTK_WINDOW(self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
    gtk_file_chooser_set_do_overwrite_confirmation(GTK_FILE_CHOOSER(dialog), TRUE);
    if (pictures && g_file_test(pictures, G_FILE_TEST_IS_DIR))
        gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(dialog), pictures);
    else
        gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(dialog), g_get_home_dir());
    gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(dialog), name);
    g_signal_connect(dialog, "response", G_CALLBACK(on_screenshot_response), g_object_ref(self));
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
}

static void
on_fullscreen(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    VireoVmWindow *self = user_data;

    if (self->fullscreen)
        gtk_window_unfullscreen(GTK_WINDOW(self));
    else
        gtk_window_fullscreen(GTK_WINDOW(self));
}

static void
on_console_kind(GSimpleAction *action, GVariant *value, gpointer user_data)
{
    VireoVmWindow *self = user_data;
    const char *kind = g_variant_get_string(value, NULL);

    if (!g_str_equal(kind, "graphics") && !g_str_equal(kind, "serial"))
        return;
    g_simple_action_set_state(action, value);
    vireo_console_page_set_serial(self->console_page, g_str_equal(kind, "serial"));
}

static void
on_scaling(GSimpleAction *action, GVariant *value, gpointer user_data)
{
    VireoVmWindow *self = user_data;

    /* The setting checks the value (choices) and calls us back. */
    g_settings_set_value(self->settings, "console-scaling", value);
}

static void
on_scaling_setting(GSettings *settings, const char *key, VireoVmWindow *self)
{
    GAction *action = g_action_map_lookup_action(G_ACTION_MAP(self), "scaling");

    g_simple_action_set_state(G_SIMPLE_ACTION(action), g_settings_get_value(settings, key));
    apply_scaling(self);
}

static void
on_pixel_exact(GSimpleAction *action, GVariant *value, gpointer user_data)
{
    VireoVmWindow *self = user_data;

    self->pixel_exact = g_variant_get_boolean(value);
    g_simple_action_set_state(action, value);
    apply_scaling(self);
    if (self->pixel_exact)
        resize_to_guest(self);
}

static void
on_resize_to_guest(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    resize_to_guest(user_data);
}

static void
clipboard_to_type(GtkClipboard *clipboard, const char *text, gpointer user_data)
{
    g_autoptr(VireoVmWindow) self = user_data;

    if (!text || !*text) {
        show_error(self, _("The clipboard holds no text to type."));
        return;
    }
    if (self->console)
        vireo_console_type_text(self->console, text);
}

static void
on_type_clipboard(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    VireoVmWindow *self = user_data;
    GtkClipboard *clipboard = gtk_widget_get_clipboard(GTK_WIDGET(self), GDK_SELECTION_CLIPBOARD);

    gtk_clipboard_request_text(clipboard, clipboard_to_type, g_object_ref(self));
}

static void
on_reconnect(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    VireoVmWindow *self = user_data;

    vireo_console_page_reconnect(self->console_page);
}

static const GActionEntry win_actions[] = {
    {"send-key", on_send_key, "s"},
    {"screenshot", on_screenshot},
    {"fullscreen", NULL, NULL, "false", on_fullscreen},
    {"console-kind", NULL, "s", "'graphics'", on_console_kind},
    {"scaling", NULL, "s", "'always'", on_scaling},
    {"pixel-exact", NULL, NULL, "false", on_pixel_exact},
    {"resize-to-guest", on_resize_to_guest},
    {"type-clipboard", on_type_clipboard},
    {"reconnect", on_reconnect},
};

static void
update_actions(VireoVmWindow *self)
{
    gboolean connected = self->console && vireo_console_is_connected(self->console);
    gboolean vnc = connected && vnc_console(self) != NULL;

    set_enabled(self, "send-key", connected && vireo_console_can_send_keys(self->console));
    set_enabled(self, "screenshot", connected);
    set_enabled(self, "resize-to-guest", vnc);
    set_enabled(self, "pixel-exact", vnc_console(self) != NULL);
    set_enabled(self, "scaling", vnc_console(self) != NULL);
    set_enabled(self, "type-clipboard", connected);
}

/* ---- following the console page ---- */

static void
on_console_grabbed(GObject *object, GParamSpec *pspec, VireoVmWindow *self)
{
    update_title(self);
}

static void
on_console_changed(GObject *object, GParamSpec *pspec, VireoVmWindow *self)
{
    VireoConsole *console = vireo_console_page_get_console(self->console_page);

    if (self->console) {
        g_signal_handlers_disconnect_by_data(self->console, self);
        g_clear_object(&self->console);
    }
    if (console) {
        self->console = g_object_ref(console);
        g_signal_connect_swapped(console, "connected", G_CALLBACK(update_actions), self);
        g_signal_connect_swapped(console, "ended", G_CALLBACK(update_actions), self);
        if (VIREO_IS_VNC_CONSOLE(console)) {
            g_signal_connect(console, "notify::grabbed", G_CALLBACK(on_console_grabbed), self);
            g_signal_connect(console, "notify::guest-width", G_CALLBACK(on_guest_size), self);
        }
    }
    apply_release_keys(self);
    apply_scaling(self);
    update_actions(self);
}

/* ---- GObject ---- */

static void
add_function_keys(VireoVmWindow *self)
{
    for (int n = 1; n <= 12; n++) {
        g_autofree char *label = g_strdup_printf(_("Ctrl+Alt+F%d"), n);
        g_autofree char *target = g_strdup_printf("ctrl-alt-f%d", n);
        g_autoptr(GMenuItem) item = g_menu_item_new(label, NULL);
        g_menu_item_set_action_and_target(item, "win.send-key", "s", target);
        g_menu_append_item(self->send_key_f_section, item);
    }
}

static void
vireo_vm_window_dispose(GObject *object)
{
    VireoVmWindow *self = VIREO_VM_WINDOW(object);

    g_clear_handle_id(&self->hide_toolbar_source, g_source_remove);
    if (self->console) {
        g_signal_handlers_disconnect_by_data(self->console, self);
        g_clear_object(&self->console);
    }
    if (self->console_page)
        g_signal_handlers_disconnect_by_data(self->console_page, self);
    if (self->settings) {
        g_signal_handlers_disconnect_by_data(self->settings, self);
        g_clear_object(&self->settings);
    }
    if (self->connection) {
        g_signal_handlers_disconnect_by_data(self->connection, self);
        g_clear_object(&self->connection);
    }

    G_OBJECT_CLASS(vireo_vm_window_parent_class)->dispose(object);
}

static void
vireo_vm_window_finalize(GObject *object)
{
    VireoVmWindow *self = VIREO_VM_WINDOW(object);

    g_free(self->domain_name);
    G_OBJECT_CLASS(vireo_vm_window_parent_class)->finalize(object);
}

static void
vireo_vm_window_class_init(VireoVmWindowClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->dispose = vireo_vm_window_dispose;
    object_class->finalize = vireo_vm_window_finalize;

    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/vireo/Vireo/vireo-vm-window.ui");
    gtk_widget_class_bind_template_child(widget_class, VireoVmWindow, header_bar);
    gtk_widget_class_bind_template_child(widget_class, VireoVmWindow, title_label);
    gtk_widget_class_bind_template_child(widget_class, VireoVmWindow, page_switcher);
    gtk_widget_class_bind_template_child(widget_class, VireoVmWindow, send_key_f_section);
    gtk_widget_class_bind_template_child(widget_class, VireoVmWindow, error_bar);
    gtk_widget_class_bind_template_child(widget_class, VireoVmWindow, error_label);
    gtk_widget_class_bind_template_child(widget_class, VireoVmWindow, grab_revealer);
    gtk_widget_class_bind_template_child(widget_class, VireoVmWindow, grab_label);
    gtk_widget_class_bind_template_child(widget_class, VireoVmWindow, pages);
    gtk_widget_class_bind_template_child(widget_class, VireoVmWindow, hot_zone);
    gtk_widget_class_bind_template_child(widget_class, VireoVmWindow, fullscreen_revealer);
    gtk_widget_class_bind_template_child(widget_class, VireoVmWindow, fullscreen_title);
    gtk_widget_class_bind_template_callback(widget_class, on_error_bar_response);
    gtk_widget_class_bind_template_callback(widget_class, on_window_state_event);
    gtk_widget_class_bind_template_callback(widget_class, on_hot_zone_enter);
    gtk_widget_class_bind_template_callback(widget_class, on_toolbar_enter);
    gtk_widget_class_bind_template_callback(widget_class, on_toolbar_leave);
    gtk_widget_class_bind_template_callback(widget_class, on_toolbar_revealed);
}

static void
vireo_vm_window_init(VireoVmWindow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    g_action_map_add_action_entries(G_ACTION_MAP(self), win_actions, G_N_ELEMENTS(win_actions),
                                    self);
    add_function_keys(self);
}

VireoVmWindow *
vireo_vm_window_new(GtkApplication *application, GSettings *settings,
                    VireoConnection *connection, const char *domain_name)
{
    g_return_val_if_fail(GTK_IS_APPLICATION(application), NULL);
    g_return_val_if_fail(G_IS_SETTINGS(settings), NULL);
    g_return_val_if_fail(VIREO_IS_CONNECTION(connection), NULL);
    g_return_val_if_fail(domain_name != NULL, NULL);

    VireoVmWindow *self = g_object_new(VIREO_TYPE_VM_WINDOW, "application", application, NULL);
    GAction *scaling;

    self->settings = g_object_ref(settings);
    self->connection = g_object_ref(connection);
    self->domain_name = g_strdup(domain_name);

    self->console_page = VIREO_CONSOLE_PAGE(vireo_console_page_new(connection, domain_name));
    gtk_widget_show(GTK_WIDGET(self->console_page));
    vireo_vm_window_add_page(self, GTK_WIDGET(self->console_page), "console", _("Console"));
    g_signal_connect(self->console_page, "notify::console", G_CALLBACK(on_console_changed),
                     self);
    g_signal_connect_swapped(self->console_page, "notify::status", G_CALLBACK(update_actions),
                             self);

    scaling = g_action_map_lookup_action(G_ACTION_MAP(self), "scaling");
    g_simple_action_set_state(G_SIMPLE_ACTION(scaling),
                              g_settings_get_value(settings, "console-scaling"));
    g_signal_connect(settings, "changed::console-scaling", G_CALLBACK(on_scaling_setting), self);
    g_signal_connect_swapped(settings, "changed::console-release-keys",
                             G_CALLBACK(apply_release_keys), self);
    g_signal_connect_swapped(connection, "notify::hostname", G_CALLBACK(update_title), self);

    on_console_changed(NULL, NULL, self);
    return self;
}

VireoConnection *
vireo_vm_window_get_connection(VireoVmWindow *self)
{
    g_return_val_if_fail(VIREO_IS_VM_WINDOW(self), NULL);
    return self->connection;
}

const char *
vireo_vm_window_get_domain_name(VireoVmWindow *self)
{
    g_return_val_if_fail(VIREO_IS_VM_WINDOW(self), NULL);
    return self->domain_name;
}

VireoConsolePage *
vireo_vm_window_get_console_page(VireoVmWindow *self)
{
    g_return_val_if_fail(VIREO_IS_VM_WINDOW(self), NULL);
    return self->console_page;
}

void
vireo_vm_window_add_page(VireoVmWindow *self, GtkWidget *page, const char *name,
                         const char *title)
{
    g_return_if_fail(VIREO_IS_VM_WINDOW(self));
    g_return_if_fail(GTK_IS_WIDGET(page));

    gtk_stack_add_titled(self->pages, page, name, title);
    GList *children = gtk_container_get_children(GTK_CONTAINER(self->pages));
    gtk_widget_set_visible(GTK_WIDGET(self->page_switcher), g_list_length(children) > 1);
    g_list_free(children);
}
