/* vireo-application.c: the Vireo GtkApplication
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One instance per session: `vireo --connect URI` run a second time hands
 * the URI to the running instance.  Saved connections are loaded in
 * startup; --connect adds connections for this run only.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vireo-application.h"
#include "vireo-preferences-dialog.h"
#include "vireo-vm-window.h"
#include "vireo-window.h"

struct _VireoApplication {
    GtkApplication parent_instance;

    GSettings *settings;
    VireoConnectionStore *store;
    /* Why saved connections could not be loaded, shown once the window is up. */
    char *load_error;
    /* GDK_GL=disable was set for GTK's start only (vireo_application_new). */
    gboolean unset_gdk_gl;
};

G_DEFINE_FINAL_TYPE(VireoApplication, vireo_application, GTK_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
    {"connect", 'c', G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING_ARRAY, NULL,
     N_("Open the libvirt connection at URI for this run (repeatable)"), N_("URI")},
    {"show-domain-console", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, NULL,
     N_("Open the console of the virtual machine NAME on the --connect host"), N_("NAME")},
    {"version", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, NULL,
     N_("Print the version and exit"), NULL},
    {NULL}
};

static VireoWindow *
get_window(VireoApplication *self)
{
    GtkWindow *window = gtk_application_get_active_window(GTK_APPLICATION(self));

    if (window == NULL)
        window = GTK_WINDOW(vireo_window_new(self));
    return VIREO_WINDOW(window);
}

static void
vireo_application_activate(GApplication *app)
{
    VireoApplication *self = VIREO_APPLICATION(app);
    VireoWindow *window = get_window(self);

    gtk_window_present(GTK_WINDOW(window));
    if (self->load_error != NULL) {
        vireo_window_show_error(window, _("Some saved connections cannot be used."),
                                self->load_error);
        g_clear_pointer(&self->load_error, g_free);
    }
}

static int
vireo_application_handle_local_options(GApplication *app, GVariantDict *options)
{
    if (g_variant_dict_contains(options, "version")) {
        g_print("vireo %s\n", PACKAGE_VERSION);
        return 0;
    }
    return -1;
}

static int
vireo_application_command_line(GApplication *app, GApplicationCommandLine *command_line)
{
    VireoApplication *self = VIREO_APPLICATION(app);
    GVariantDict *options = g_application_command_line_get_options_dict(command_line);
    g_autofree const char **uris = NULL;
    const char *console_name = NULL;
    VireoConnection *first = NULL;
    g_autoptr(GString) errors = NULL;

    g_variant_dict_lookup(options, "show-domain-console", "&s", &console_name);
    if (g_variant_dict_lookup(options, "connect", "^a&s", &uris)) {
        for (guint i = 0; uris[i] != NULL; i++) {
            g_autoptr(GError) error = NULL;
            VireoConnection *connection =
                vireo_connection_store_add(self->store, uris[i], FALSE, FALSE, &error);

            if (connection != NULL) {
                if (first == NULL)
                    first = connection;
                continue;
            }
            g_application_command_line_printerr(command_line, "vireo: %s\n", error->message);
            if (errors == NULL)
                errors = g_string_new(NULL);
            else
                g_string_append_c(errors, '\n');
            g_string_append(errors, error->message);
        }
    }

    if (console_name != NULL && first == NULL && errors == NULL) {
        g_application_command_line_printerr(
            command_line, "vireo: %s\n",
            _("--show-domain-console needs the host too: add --connect URI."));
        return 1;
    }
    /* Straight into the console: the main window stays closed. */
    if (console_name != NULL && first != NULL) {
        vireo_application_show_console(self, first, console_name);
        return 0;
    }

    g_application_activate(app);
    if (errors != NULL)
        vireo_window_show_error(get_window(self),
                                _("A connection given on the command line cannot be opened."),
                                errors->str);
    return 0;
}

static void
on_quit(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    GApplication *app = user_data;
    GList *windows = gtk_application_get_windows(GTK_APPLICATION(app));

    /* Destroying the windows lets each save its size; the app then quits. */
    while (windows != NULL) {
        GList *next = windows->next;
        gtk_widget_destroy(windows->data);
        windows = next;
    }
}

static void
on_preferences(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    VireoApplication *self = user_data;
    GtkWindow *parent = GTK_WINDOW(get_window(self));
    GtkWidget *dialog = vireo_preferences_dialog_new(parent, self->settings);

    gtk_window_present(GTK_WINDOW(dialog));
}

static void
on_about(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    VireoApplication *self = user_data;
    static const char *authors[] = {"The Vireo developers", NULL};

    gtk_show_about_dialog(GTK_WINDOW(get_window(self)),
                          "program-name", _("Vireo"),
                          "logo-icon-name", APPLICATION_ID,
                          "version", PACKAGE_VERSION,
                          "comments", _("Create, run and watch virtual machines, "
                                        "on this computer and on remote hosts."),
                          "website", "https://vireo.org/",
                          "license-type", GTK_LICENSE_GPL_3_0,
                          "authors", authors,
                          "translator-credits", _("translator-credits"),
                          NULL);
}

/* The HTML build of the guide: installed, or in the build tree when Vireo
 * runs from there.  NULL when neither exists. */
static char *
find_help_html(void)
{
    const char *candidates[] = {
        PKGDATADIR "/help/html/index.html",
        VIREO_BUILD_HELP_DIR "/index.html",
    };

    for (guint i = 0; i < G_N_ELEMENTS(candidates); i++) {
        if (g_file_test(candidates[i], G_FILE_TEST_IS_REGULAR))
            return g_strdup(candidates[i]);
    }
    return NULL;
}

static void
on_help(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    VireoApplication *self = user_data;
    VireoWindow *window = get_window(self);
    g_autoptr(GAppInfo) yelp = g_app_info_get_default_for_uri_scheme("help");
    g_autoptr(GError) error = NULL;
    g_autofree char *html = NULL;
    g_autofree char *html_uri = NULL;
    guint32 time = gtk_get_current_event_time();

    if (yelp != NULL && gtk_show_uri_on_window(GTK_WINDOW(window), "help:vireo", time, &error))
        return;
    if (error != NULL)
        g_debug("help:vireo: %s", error->message);
    g_clear_error(&error);

    html = find_help_html();
    if (html == NULL) {
        vireo_window_show_error(window, _("The user guide is not installed."),
                                _("Install Yelp to read it, or build Vireo with "
                                  "yelp-tools so that its HTML version is made."));
        return;
    }
    html_uri = g_filename_to_uri(html, NULL, NULL);
    if (!gtk_show_uri_on_window(GTK_WINDOW(window), html_uri, time, &error)) {
        g_autofree char *detail = g_strdup_printf(
            _("Yelp is not installed and no web browser could show %s: %s"), html,
            error->message);
        vireo_window_show_error(window, _("Could not open the user guide."), detail);
    }
}

static const GActionEntry app_actions[] = {
    {"quit", on_quit},
    {"preferences", on_preferences},
    {"about", on_about},
    {"help", on_help},
};

static const struct {
    const char *action;
    const char *accels[3];
} accels[] = {
    {"app.quit", {"<Control>q", NULL}},
    {"app.preferences", {"<Control>comma", NULL}},
    {"app.help", {"F1", NULL}},
    {"win.add-connection", {"<Control>n", NULL}},
    {"win.run", {"<Control>r", NULL}},
    {"win.pause", {"<Control>p", NULL}},
    {"win.resume", {"<Control><Shift>p", NULL}},
    {"win.shutdown", {"<Control><Shift>d", NULL}},
    {"win.reboot", {"<Control><Shift>r", NULL}},
    {"win.force-off", {"<Control><Shift>f", NULL}},
    {"win.save", {"<Control>s", NULL}},
    {"win.delete", {"Delete", NULL}},
    {"win.open-console", {"<Control>o", NULL}},
    /* VM windows: the guest gets every other key. */
    {"win.fullscreen", {"F11", NULL}},
};

/* Windows take their icon from PNG renderings of the app's SVG icon in the
 * resources (tools/render-icons): looking the name up in the icon theme
 * would find the SVG and load librsvg, about 6 MiB more memory, to draw it
 * on every start. */
static void
set_default_icon(void)
{
    static const char *const sizes[] = {"16x16", "32x32", "48x48", "64x64", "128x128"};
    GList *icons = NULL;

    for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
        g_autofree char *path =
            g_strdup_printf("/org/vireo/Vireo/icons/%s/apps/%s.png", sizes[i], APPLICATION_ID);
        g_autoptr(GError) error = NULL;
        GdkPixbuf *icon = gdk_pixbuf_new_from_resource(path, &error);

        if (icon != NULL)
            icons = g_list_prepend(icons, icon);
        else
            g_warning("%s", error->message);
    }
    gtk_window_set_default_icon_list(icons);
    g_list_free_full(icons, g_object_unref);
}

static void
vireo_application_startup(GApplication *app)
{
    VireoApplication *self = VIREO_APPLICATION(app);
    g_autoptr(GtkCssProvider) css = gtk_css_provider_new();
    g_autoptr(GError) error = NULL;

    G_APPLICATION_CLASS(vireo_application_parent_class)->startup(app);
    /* GTK has read it; what Vireo starts (vireo-vmm, ssh, the help viewer)
     * gets the environment it was given. */
    if (self->unset_gdk_gl)
        g_unsetenv("GDK_GL");

    g_action_map_add_action_entries(G_ACTION_MAP(app), app_actions, G_N_ELEMENTS(app_actions),
                                    app);
    for (guint i = 0; i < G_N_ELEMENTS(accels); i++)
        gtk_application_set_accels_for_action(GTK_APPLICATION(app), accels[i].action,
                                              accels[i].accels);

    gtk_css_provider_load_from_resource(css, "/org/vireo/Vireo/style.css");
    gtk_style_context_add_provider_for_screen(gdk_screen_get_default(), GTK_STYLE_PROVIDER(css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
    set_default_icon();

    self->settings = g_settings_new(APPLICATION_ID);
    self->store = vireo_connection_store_new(self->settings);
    if (!vireo_connection_store_load(self->store, &error))
        self->load_error = g_strdup(error->message);
    /* The first time, Vireo's own hypervisor is there, and opens at start. */
    if (g_settings_get_boolean(self->settings, "first-run")) {
        g_autoptr(GError) first_error = NULL;
        if (!vireo_connection_store_add(self->store, "vireo:///session", TRUE, TRUE,
                                        &first_error))
            g_warning("vireo:///session: %s", first_error->message);
        g_settings_set_boolean(self->settings, "first-run", FALSE);
    }
}

static void
vireo_application_shutdown(GApplication *app)
{
    VireoApplication *self = VIREO_APPLICATION(app);

    if (self->store != NULL)
        vireo_connection_store_close_all(self->store);
    G_APPLICATION_CLASS(vireo_application_parent_class)->shutdown(app);
}

static void
vireo_application_dispose(GObject *object)
{
    VireoApplication *self = VIREO_APPLICATION(object);

    g_clear_object(&self->store);
    g_clear_object(&self->settings);
    g_clear_pointer(&self->load_error, g_free);
    G_OBJECT_CLASS(vireo_application_parent_class)->dispose(object);
}

static void
vireo_application_class_init(VireoApplicationClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GApplicationClass *app_class = G_APPLICATION_CLASS(klass);

    object_class->dispose = vireo_application_dispose;
    app_class->startup = vireo_application_startup;
    app_class->shutdown = vireo_application_shutdown;
    app_class->activate = vireo_application_activate;
    app_class->command_line = vireo_application_command_line;
    app_class->handle_local_options = vireo_application_handle_local_options;
}

static void
vireo_application_init(VireoApplication *self)
{
    g_application_add_main_option_entries(G_APPLICATION(self), option_entries);
    g_application_set_option_context_summary(
        G_APPLICATION(self), _("Manage virtual machines on this computer and on remote hosts."));
}

VireoApplication *
vireo_application_new(void)
{
    VireoApplication *self = g_object_new(VIREO_TYPE_APPLICATION,
                                          "application-id", APPLICATION_ID,
                                          "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                                          "resource-base-path", "/org/vireo/Vireo",
                                          NULL);

    /* Vireo draws nothing with OpenGL, but GDK on X11 probes GLX when it
     * opens the display unless an earlier GTK client left what it found on
     * the root window: that loads Mesa and, without a GPU driver, LLVM,
     * about 50 MiB of memory and 30 ms at each such start.  Off unless the
     * user chose otherwise; set here, before any thread runs. */
    if (g_getenv("GDK_GL") == NULL) {
        g_setenv("GDK_GL", "disable", TRUE);
        self->unset_gdk_gl = TRUE;
    }
    return self;
}

GSettings *
vireo_application_get_settings(VireoApplication *self)
{
    g_return_val_if_fail(VIREO_IS_APPLICATION(self), NULL);
    return self->settings;
}

VireoConnectionStore *
vireo_application_get_store(VireoApplication *self)
{
    g_return_val_if_fail(VIREO_IS_APPLICATION(self), NULL);
    return self->store;
}

void
vireo_application_show_console(VireoApplication *self, VireoConnection *connection,
                               const char *domain_name)
{
    g_return_if_fail(VIREO_IS_APPLICATION(self));
    g_return_if_fail(VIREO_IS_CONNECTION(connection));
    g_return_if_fail(domain_name != NULL);

    for (GList *l = gtk_application_get_windows(GTK_APPLICATION(self)); l; l = l->next) {
        if (VIREO_IS_VM_WINDOW(l->data) &&
            vireo_vm_window_get_connection(l->data) == connection &&
            g_str_equal(vireo_vm_window_get_domain_name(l->data), domain_name)) {
            gtk_window_present(l->data);
            return;
        }
    }
    VireoVmWindow *window =
        vireo_vm_window_new(GTK_APPLICATION(self), self->settings, connection, domain_name);
    gtk_window_present(GTK_WINDOW(window));
}
