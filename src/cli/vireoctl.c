/* vireoctl.c: the command line for Vireo's model, on any connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   vireoctl [-c URI] COMMAND [OPTIONS] [ARGUMENTS]
 *
 * Output follows virsh, so that what people and scripts know carries
 * over: "Domain 'x' started", `list` tables, `dominfo` fields, `domstats`
 * key=value lines.  Built on libvireo only.
 */
#include "config.h"

#include <gio/gunixinputstream.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "embedded/vireo-embedded-domain.h"
#include "vireoctl.h"

#define DEFAULT_URI "vireo:///session"

typedef int (*CommandFunc)(VireoConnection *connection, int argc, char **argv);

typedef struct {
    const char *name;
    const char *args;    /* the parameter string for --help */
    const char *summary; /* N_() */
    const GOptionEntry *options;
    CommandFunc run;
    gboolean needs_connection;
} Command;

/* Waiting ----------------------------------------------------------------- */

void
vctl_store_result(GObject *source, GAsyncResult *result, gpointer user_data)
{
    *(GAsyncResult **)user_data = g_object_ref(result);
}

void
vctl_wait(GAsyncResult **slot)
{
    while (!*slot)
        g_main_context_iteration(NULL, TRUE);
}

int
vctl_fail(const char *format, ...)
{
    va_list args;

    va_start(args, format);
    g_autofree char *message = g_strdup_vprintf(format, args);
    va_end(args);
    g_printerr(_("error: %s\n"), message);
    return 1;
}

static gboolean
flag_timeout(gpointer user_data)
{
    *(gboolean *)user_data = TRUE;
    return G_SOURCE_REMOVE;
}

/* Iterates until @domain's state is one of @states (a -1-terminated list)
 * or @seconds passed (0: no limit); TRUE when it got there. */
static gboolean
wait_state(VireoDomain *domain, const VireoDomainState *states, guint seconds)
{
    gboolean timed_out = FALSE;
    guint id = seconds ? g_timeout_add_seconds(seconds, flag_timeout, &timed_out) : 0;

    for (;;) {
        for (const VireoDomainState *s = states; (int)*s >= 0; s++)
            if (vireo_domain_get_state(domain) == *s) {
                if (id && !timed_out)
                    g_source_remove(id);
                return TRUE;
            }
        if (timed_out)
            return FALSE;
        g_main_context_iteration(NULL, TRUE);
    }
}

/* Names ---------------------------------------------------------------------- */

static const char *
state_name(VireoDomainState state)
{
    switch (state) {
    case VIREO_DOMAIN_STATE_RUNNING:
        return C_("virsh state", "running");
    case VIREO_DOMAIN_STATE_BLOCKED:
        return C_("virsh state", "idle");
    case VIREO_DOMAIN_STATE_PAUSED:
        return C_("virsh state", "paused");
    case VIREO_DOMAIN_STATE_SHUTDOWN:
        return C_("virsh state", "in shutdown");
    case VIREO_DOMAIN_STATE_SHUTOFF:
        return C_("virsh state", "shut off");
    case VIREO_DOMAIN_STATE_CRASHED:
        return C_("virsh state", "crashed");
    case VIREO_DOMAIN_STATE_PMSUSPENDED:
        return C_("virsh state", "pmsuspended");
    case VIREO_DOMAIN_STATE_NOSTATE:
    default:
        return C_("virsh state", "no state");
    }
}

static VireoDomain *
find_domain(VireoConnection *connection, const char *name)
{
    VireoDomain *domain = vireo_connection_lookup_domain_by_name(connection, name);

    if (!domain)
        domain = vireo_connection_lookup_domain_by_uuid(connection, name);
    if (!domain)
        vctl_fail(_("failed to get domain '%s': no virtual machine has that name or UUID on "
                    "%s"),
                  name, vireo_connection_get_uri(connection));
    return domain;
}

/* Commands ---------------------------------------------------------------------- */

static gboolean opt_all, opt_name, opt_uuid, opt_title;

static const GOptionEntry list_options[] = {
    {"all", 'a', 0, G_OPTION_ARG_NONE, &opt_all, N_("List inactive virtual machines too"), NULL},
    {"name", 0, 0, G_OPTION_ARG_NONE, &opt_name, N_("Print only the names"), NULL},
    {"uuid", 0, 0, G_OPTION_ARG_NONE, &opt_uuid, N_("Print only the UUIDs"), NULL},
    {"title", 0, 0, G_OPTION_ARG_NONE, &opt_title, N_("Show the titles too"), NULL},
    {NULL}
};

static int
cmd_list(VireoConnection *connection, int argc, char **argv)
{
    GListModel *domains = vireo_connection_get_domains(connection);
    guint n = g_list_model_get_n_items(domains);
    g_autoptr(GPtrArray) shown = g_ptr_array_new_with_free_func(g_object_unref);
    int width = 4;

    if (argc > 1)
        return vctl_fail(_("list takes no arguments (got '%s')"), argv[1]);
    for (guint i = 0; i < n; i++) {
        VireoDomain *domain = g_list_model_get_item(domains, i);
        if (opt_all || vireo_domain_is_active(domain)) {
            width = MAX(width, (int)g_utf8_strlen(vireo_domain_get_name(domain), -1));
            g_ptr_array_add(shown, domain);
        } else {
            g_object_unref(domain);
        }
    }
    if (opt_name || opt_uuid) {
        for (guint i = 0; i < shown->len; i++) {
            VireoDomain *domain = g_ptr_array_index(shown, i);
            g_print("%s\n", opt_name ? vireo_domain_get_name(domain)
                                     : vireo_domain_get_uuid(domain));
        }
        return 0;
    }
    /* Translators: column headings of `vireoctl list`, as virsh's */
    g_print(" %-*s   %-12s%s\n", width, _("Name"), _("State"), opt_title ? _("Title") : "");
    g_print("%.*s\n", width + 16 + (opt_title ? 20 : 0),
            "------------------------------------------------------------------------------"
            "------------------------------------------------------------");
    for (guint i = 0; i < shown->len; i++) {
        VireoDomain *domain = g_ptr_array_index(shown, i);
        const char *title = vireo_domain_get_title(domain);
        int pad = width + (int)strlen(vireo_domain_get_name(domain)) -
                  (int)g_utf8_strlen(vireo_domain_get_name(domain), -1);
        g_print(" %-*s   %-12s%s\n", pad, vireo_domain_get_name(domain),
                state_name(vireo_domain_get_state(domain)),
                opt_title && title ? title : "");
    }
    g_print("\n");
    return 0;
}

static gboolean opt_console;

static const GOptionEntry start_options[] = {
    {"console", 0, 0, G_OPTION_ARG_NONE, &opt_console,
     N_("Attach to the serial console once started"), NULL},
    {NULL}
};

/* Runs @action on the one domain named in argv[1]. */
static int
run_action(VireoConnection *connection, int argc, char **argv, VireoDomainAction action,
           VireoDomain **out)
{
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    if (argc != 2)
        return vctl_fail(_("%s needs one virtual machine (its name or UUID)"), argv[0]);
    VireoDomain *domain = find_domain(connection, argv[1]);
    if (!domain)
        return 1;
    vireo_domain_action_async(domain, action, NULL, vctl_store_result, &result);
    vctl_wait(&result);
    if (!vireo_domain_action_finish(domain, result, &error))
        return vctl_fail("%s", error->message);
    if (out)
        *out = domain;
    return 0;
}

static int
cmd_start(VireoConnection *connection, int argc, char **argv)
{
    VireoDomain *domain = NULL;
    int status = run_action(connection, argc, argv, VIREO_DOMAIN_ACTION_START, &domain);

    if (status != 0)
        return status;
    g_print(_("Domain '%s' started\n"), vireo_domain_get_name(domain));
    if (vireo_domain_get_notice(domain))
        g_printerr(_("warning: %s\n"), vireo_domain_get_notice(domain));
    if (opt_console)
        return vctl_console(domain);
    g_print("\n");
    return 0;
}

static int opt_timeout = -1;

static const GOptionEntry shutdown_options[] = {
    {"timeout", 't', 0, G_OPTION_ARG_INT, &opt_timeout,
     N_("Wait up to SECONDS for the guest to shut down; fail if it does not"), N_("SECONDS")},
    {NULL}
};

static int
cmd_shutdown(VireoConnection *connection, int argc, char **argv)
{
    static const VireoDomainState off[] = {VIREO_DOMAIN_STATE_SHUTOFF,
                                           VIREO_DOMAIN_STATE_CRASHED, -1};
    VireoDomain *domain = NULL;
    int status = run_action(connection, argc, argv, VIREO_DOMAIN_ACTION_SHUTDOWN, &domain);

    if (status != 0)
        return status;
    g_print(_("Domain '%s' is being shutdown\n"), vireo_domain_get_name(domain));
    if (opt_timeout >= 0) {
        if (!wait_state(domain, off, (guint)MAX(opt_timeout, 1)))
            return vctl_fail(_("'%s' did not shut down within %d seconds. The guest may ignore "
                               "the power button; force it off with: vireoctl destroy %s"),
                             vireo_domain_get_name(domain), opt_timeout,
                             vireo_domain_get_name(domain));
        g_print(_("Domain '%s' is %s\n"), vireo_domain_get_name(domain),
                state_name(vireo_domain_get_state(domain)));
    }
    g_print("\n");
    return 0;
}

static int
simple_action(VireoConnection *connection, int argc, char **argv, VireoDomainAction action)
{
    VireoDomain *domain = NULL;
    int status = run_action(connection, argc, argv, action, &domain);
    const char *name;

    if (status != 0)
        return status;
    name = vireo_domain_get_name(domain);
    switch (action) {
    case VIREO_DOMAIN_ACTION_REBOOT:
        g_print(_("Domain '%s' is being rebooted\n"), name);
        break;
    case VIREO_DOMAIN_ACTION_FORCE_OFF:
        g_print(_("Domain '%s' destroyed\n"), name);
        break;
    case VIREO_DOMAIN_ACTION_PAUSE:
        g_print(_("Domain '%s' suspended\n"), name);
        break;
    case VIREO_DOMAIN_ACTION_RESUME:
    default:
        g_print(_("Domain '%s' resumed\n"), name);
        break;
    }
    g_print("\n");
    return 0;
}

static int
cmd_reboot(VireoConnection *connection, int argc, char **argv)
{
    return simple_action(connection, argc, argv, VIREO_DOMAIN_ACTION_REBOOT);
}

static int
cmd_destroy(VireoConnection *connection, int argc, char **argv)
{
    return simple_action(connection, argc, argv, VIREO_DOMAIN_ACTION_FORCE_OFF);
}

static int
cmd_suspend(VireoConnection *connection, int argc, char **argv)
{
    return simple_action(connection, argc, argv, VIREO_DOMAIN_ACTION_PAUSE);
}

static int
cmd_resume(VireoConnection *connection, int argc, char **argv)
{
    return simple_action(connection, argc, argv, VIREO_DOMAIN_ACTION_RESUME);
}

static int
cmd_define(VireoConnection *connection, int argc, char **argv)
{
    g_autofree char *xml = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GAsyncResult) result = NULL;

    if (argc != 2)
        return vctl_fail(_("define needs one file of libvirt domain XML (or - for standard "
                           "input)"));
    if (g_str_equal(argv[1], "-")) {
        g_autoptr(GInputStream) in = g_unix_input_stream_new(0, FALSE);
        g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();
        if (g_output_stream_splice(out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL,
                                   &error) < 0)
            return vctl_fail(_("cannot read standard input: %s"), error->message);
        g_output_stream_write_all(out, "", 1, NULL, NULL, NULL);
        xml = g_memory_output_stream_steal_data(G_MEMORY_OUTPUT_STREAM(out));
    } else if (!g_file_get_contents(argv[1], &xml, NULL, &error)) {
        return vctl_fail(_("cannot read %s: %s"), argv[1], error->message);
    }
    vireo_connection_define_xml_async(connection, xml, NULL, vctl_store_result, &result);
    vctl_wait(&result);
    g_autoptr(VireoDomain) domain = vireo_connection_define_xml_finish(connection, result,
                                                                       &error);
    if (!domain)
        return vctl_fail(_("failed to define domain from %s: %s"), argv[1], error->message);
    g_print(_("Domain '%s' defined from %s\n\n"), vireo_domain_get_name(domain), argv[1]);
    return 0;
}

static int
cmd_undefine(VireoConnection *connection, int argc, char **argv)
{
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    if (argc != 2)
        return vctl_fail(_("undefine needs one virtual machine (its name or UUID)"));
    VireoDomain *domain = find_domain(connection, argv[1]);
    if (!domain)
        return 1;
    g_autofree char *name = g_strdup(vireo_domain_get_name(domain));
    g_object_ref(domain);
    vireo_domain_delete_async(domain, VIREO_DOMAIN_DELETE_NONE, NULL, vctl_store_result,
                              &result);
    vctl_wait(&result);
    gboolean ok = vireo_domain_delete_finish(domain, result, &error);
    g_object_unref(domain);
    if (!ok)
        return vctl_fail(_("failed to undefine domain '%s': %s"), name, error->message);
    g_print(_("Domain '%s' has been undefined\n\n"), name);
    return 0;
}

static gboolean opt_inactive;

static const GOptionEntry dumpxml_options[] = {
    {"inactive", 0, 0, G_OPTION_ARG_NONE, &opt_inactive,
     N_("Show the saved definition rather than the running one"), NULL},
    {NULL}
};

static int
cmd_dumpxml(VireoConnection *connection, int argc, char **argv)
{
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    if (argc != 2)
        return vctl_fail(_("dumpxml needs one virtual machine (its name or UUID)"));
    VireoDomain *domain = find_domain(connection, argv[1]);
    if (!domain)
        return 1;
    vireo_domain_get_xml_async(domain, opt_inactive, NULL, vctl_store_result, &result);
    vctl_wait(&result);
    g_autofree char *xml = vireo_domain_get_xml_finish(domain, result, &error);
    if (!xml)
        return vctl_fail("%s", error->message);
    g_print("%s%s", xml, g_str_has_suffix(xml, "\n") ? "" : "\n");
    return 0;
}

static int
cmd_dominfo(VireoConnection *connection, int argc, char **argv)
{
    if (argc != 2)
        return vctl_fail(_("dominfo needs one virtual machine (its name or UUID)"));
    VireoDomain *domain = find_domain(connection, argv[1]);
    if (!domain)
        return 1;
    const char *reason = vireo_domain_get_state_reason(domain);
    const char *title = vireo_domain_get_title(domain);

    /* Translators: the field names of `vireoctl dominfo`, padded as virsh's */
    g_print("%-15s %s\n", _("Name:"), vireo_domain_get_name(domain));
    g_print("%-15s %s\n", _("UUID:"), vireo_domain_get_uuid(domain));
    if (title)
        g_print("%-15s %s\n", _("Title:"), title);
    g_print("%-15s %s\n", _("State:"), state_name(vireo_domain_get_state(domain)));
    if (reason)
        g_print("%-15s %s\n", _("Reason:"), reason);
    g_print("%-15s %u\n", _("CPU(s):"), vireo_domain_get_vcpus(domain));
    g_print("%-15s %" G_GUINT64_FORMAT " KiB\n", _("Max memory:"),
            vireo_domain_get_max_memory(domain));
    g_print("%-15s %" G_GUINT64_FORMAT " KiB\n", _("Used memory:"),
            vireo_domain_get_memory(domain));
    g_print("%-15s %s\n", _("Persistent:"),
            vireo_domain_get_persistent(domain) ? _("yes") : _("no"));
    if (VIREO_IS_EMBEDDED_DOMAIN(domain)) {
        VireoEmbeddedDomain *embedded = VIREO_EMBEDDED_DOMAIN(domain);
        if (vireo_embedded_domain_get_pid(embedded) > 0)
            g_print("%-15s %d\n", _("Process:"), (int)vireo_embedded_domain_get_pid(embedded));
        g_print("%-15s %s\n", _("Log:"), vireo_embedded_domain_get_log_path(embedded));
    }
    if (vireo_domain_get_notice(domain))
        g_print("%-15s %s\n", _("Notice:"), vireo_domain_get_notice(domain));
    g_print("\n");
    return 0;
}

static int
cmd_console(VireoConnection *connection, int argc, char **argv)
{
    if (argc != 2)
        return vctl_fail(_("console needs one virtual machine (its name or UUID)"));
    VireoDomain *domain = find_domain(connection, argv[1]);
    if (!domain)
        return 1;
    return vctl_console(domain);
}

static gboolean
have_samples(GPtrArray *domains)
{
    for (guint i = 0; i < domains->len; i++) {
        VireoDomain *domain = g_ptr_array_index(domains, i);
        if (vireo_domain_is_active(domain) &&
            vireo_stats_get_n_samples(vireo_domain_get_stats(domain)) == 0)
            return FALSE;
    }
    return TRUE;
}

static int
cmd_domstats(VireoConnection *connection, int argc, char **argv)
{
    g_autoptr(GPtrArray) domains = g_ptr_array_new_with_free_func(g_object_unref);

    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            VireoDomain *domain = find_domain(connection, argv[i]);
            if (!domain)
                return 1;
            g_ptr_array_add(domains, g_object_ref(domain));
        }
    } else {
        GListModel *all = vireo_connection_get_domains(connection);
        for (guint i = 0; i < g_list_model_get_n_items(all); i++)
            g_ptr_array_add(domains, g_list_model_get_item(all, i));
    }

    /* two readings make one rate: read quickly, for a few seconds at most */
    gboolean timed_out = FALSE;
    guint id = g_timeout_add_seconds(10, flag_timeout, &timed_out);
    vireo_connection_set_stats_interval(connection, 250);
    while (!have_samples(domains) && !timed_out)
        g_main_context_iteration(NULL, TRUE);
    if (!timed_out)
        g_source_remove(id);

    for (guint i = 0; i < domains->len; i++) {
        VireoDomain *domain = g_ptr_array_index(domains, i);
        VireoStats *stats = vireo_domain_get_stats(domain);
        VireoStatsCounters counters;

        g_print("Domain: '%s'\n", vireo_domain_get_name(domain));
        g_print("  state.state=%d\n", (int)vireo_domain_get_state(domain));
        g_print("  vcpu.current=%u\n", vireo_domain_get_vcpus(domain));
        g_print("  balloon.maximum=%" G_GUINT64_FORMAT "\n",
                vireo_domain_get_max_memory(domain));
        g_print("  balloon.current=%" G_GUINT64_FORMAT "\n", vireo_domain_get_memory(domain));
        if (vireo_domain_is_active(domain) && vireo_stats_get_last_counters(stats, &counters)) {
            g_print("  cpu.time=%" G_GUINT64_FORMAT "\n", counters.cpu_time_ns);
            g_print("  memory.used=%" G_GUINT64_FORMAT "\n", counters.memory_kib);
            if (vireo_stats_get_n_samples(stats) > 0)
                g_print("  cpu.percent=%.1f\n", vireo_stats_get_latest(stats, VIREO_STAT_CPU));
        }
        g_print("\n");
    }
    return 0;
}

static const Command commands[] = {
    {"list", "", N_("List virtual machines"), list_options, cmd_list, TRUE},
    {"start", "NAME", N_("Start a virtual machine"), start_options, cmd_start, TRUE},
    {"shutdown", "NAME", N_("Shut a virtual machine down (ACPI power button)"),
     shutdown_options, cmd_shutdown, TRUE},
    {"reboot", "NAME", N_("Reboot a virtual machine"), NULL, cmd_reboot, TRUE},
    {"destroy", "NAME", N_("Force a virtual machine off"), NULL, cmd_destroy, TRUE},
    {"suspend", "NAME", N_("Pause a virtual machine"), NULL, cmd_suspend, TRUE},
    {"resume", "NAME", N_("Resume a paused virtual machine"), NULL, cmd_resume, TRUE},
    {"define", "FILE", N_("Define (or change) a virtual machine from libvirt domain XML"), NULL,
     cmd_define, TRUE},
    {"undefine", "NAME", N_("Remove a virtual machine's definition"), NULL, cmd_undefine, TRUE},
    {"dumpxml", "NAME", N_("Print a virtual machine's definition"), dumpxml_options,
     cmd_dumpxml, TRUE},
    {"dominfo", "NAME", N_("Show what a virtual machine is and does"), NULL, cmd_dominfo, TRUE},
    {"console", "NAME", N_("Attach to a virtual machine's serial console (Ctrl+] leaves)"),
     NULL, cmd_console, TRUE},
    {"domstats", "[NAME…]", N_("Print statistics of virtual machines"), NULL, cmd_domstats,
     TRUE},
};

/* Main --------------------------------------------------------------------------- */

static char *opt_uri;
static gboolean opt_version;

static const GOptionEntry main_options[] = {
    {"connect", 'c', 0, G_OPTION_ARG_STRING, &opt_uri,
     N_("The connection: vireo:///session (default), qemu:///system, qemu+ssh://host/system, "
        "test:///default…"),
     N_("URI")},
    {"version", 'v', 0, G_OPTION_ARG_NONE, &opt_version, N_("Print the version and exit"),
     NULL},
    {NULL}
};

static const Command *
find_command(const char *name)
{
    for (guint i = 0; i < G_N_ELEMENTS(commands); i++)
        if (g_str_equal(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static char *
commands_description(void)
{
    g_autoptr(GString) text = g_string_new(_("Commands:\n"));

    for (guint i = 0; i < G_N_ELEMENTS(commands); i++)
        g_string_append_printf(text, "  %-10s %s\n", commands[i].name, _(commands[i].summary));
    g_string_append(text, _("\nRun “vireoctl COMMAND --help” for a command's options. The "
                            "connection defaults to $VIREO_DEFAULT_URI, else "
                            "vireo:///session.\n"));
    return g_string_free(g_steal_pointer(&text), FALSE);
}

static GOptionContext *
command_context(const Command *command)
{
    g_autofree char *parameter = g_strdup_printf("%s %s", command->name, command->args);
    GOptionContext *context = g_option_context_new(parameter);

    g_option_context_set_summary(context, _(command->summary));
    g_option_context_set_translation_domain(context, GETTEXT_PACKAGE);
    if (command->options)
        g_option_context_add_main_entries(context, command->options, GETTEXT_PACKAGE);
    return context;
}

static VireoConnection *
connect_to(const char *uri)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(VireoConnection) connection = vireo_connection_new_for_uri(uri, &error);

    if (!connection) {
        vctl_fail(_("failed to connect to the hypervisor: %s"), error->message);
        return NULL;
    }
    /* statistics only for domstats, which asks for them */
    vireo_connection_set_stats_interval(connection, 0);
    vireo_connection_open_async(connection, NULL, vctl_store_result, &result);
    vctl_wait(&result);
    if (!vireo_connection_open_finish(connection, result, &error)) {
        vctl_fail(_("failed to connect to the hypervisor: %s"), error->message);
        return NULL;
    }
    return g_steal_pointer(&connection);
}

int
main(int argc, char **argv)
{
    g_autoptr(GOptionContext) context = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *description = NULL;
    int command_at = argc;

    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);

    /* global options end at the command's name */
    for (int i = 1; i < argc; i++) {
        if (g_str_equal(argv[i], "-c") || g_str_equal(argv[i], "--connect")) {
            i++;
            continue;
        }
        if (argv[i][0] != '-') {
            command_at = i;
            break;
        }
    }

    context = g_option_context_new(_("COMMAND [ARGUMENTS…]"));
    g_option_context_set_summary(context, _("Manage virtual machines from the command line, on "
                                            "Vireo's own hypervisor or any libvirt host."));
    description = commands_description();
    g_option_context_set_description(context, description);
    g_option_context_add_main_entries(context, main_options, GETTEXT_PACKAGE);
    g_option_context_set_translation_domain(context, GETTEXT_PACKAGE);
    /* the global options are parsed from a copy that stops at the command */
    g_autofree char **main_argv = g_new0(char *, command_at + 1);
    memcpy(main_argv, argv, sizeof(char *) * command_at);
    int main_argc = command_at;
    char **main_argv_parsed = main_argv;
    if (!g_option_context_parse(context, &main_argc, &main_argv_parsed, &error))
        return vctl_fail(_("%s. Run “vireoctl --help” to see the options."), error->message);
    if (opt_version) {
        g_print("vireoctl %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (main_argc > 1)
        return vctl_fail(_("unexpected “%s”. Run “vireoctl --help” to see the options."),
                         main_argv_parsed[1]);
    int rest = argc - command_at;
    char **command_argv = argv + command_at;
    if (rest <= 0) {
        g_autofree char *help = g_option_context_get_help(context, TRUE, NULL);
        g_printerr("%s", help);
        return 1;
    }

    const char *name = command_argv[0];
    if (g_str_equal(name, "help")) {
        const Command *about = rest > 1 ? find_command(command_argv[1]) : NULL;
        g_autofree char *help = NULL;
        if (about) {
            g_autoptr(GOptionContext) sub = command_context(about);
            help = g_option_context_get_help(sub, TRUE, NULL);
        } else {
            help = g_option_context_get_help(context, TRUE, NULL);
        }
        g_print("%s", help);
        return rest > 1 && !about ? 1 : 0;
    }
    const Command *command = find_command(name);
    if (!command)
        return vctl_fail(_("unknown command: '%s'. Run “vireoctl --help” to see the commands."),
                         name);

    g_autoptr(GOptionContext) sub = command_context(command);
    if (!g_option_context_parse(sub, &rest, &command_argv, &error))
        return vctl_fail(_("%s. Run “vireoctl %s --help” to see its options."), error->message,
                         command->name);

    const char *uri = opt_uri ? opt_uri : g_getenv("VIREO_DEFAULT_URI");
    if (!uri || !*uri)
        uri = DEFAULT_URI;
    g_autoptr(VireoConnection) connection = connect_to(uri);
    if (!connection)
        return 1;
    int status = command->run(connection, rest, command_argv);
    vireo_connection_close(connection);
    return status;
}
