/* main.c: vireo-vmm's command line. */
#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "control/control.h"
#include "instance.h"
#include "kvm/probe.h"
#include "sandbox.h"

static char *opt_name;
static char *opt_uuid;
static char *opt_memory;
static int opt_cpus = 1;
static char *opt_kernel;
static char *opt_initrd;
static char *opt_cmdline;
static char *opt_serial;
static char *opt_control;
static char *opt_display;
static char *opt_on_reboot;
static gboolean opt_version;
static gboolean opt_check_kvm;
static gboolean opt_no_seccomp;

static const GOptionEntry entries[] = {
    {"name", 'n', 0, G_OPTION_ARG_STRING, &opt_name,
     "Name of the VM (default: vireo-vm)", "NAME"},
    {"uuid", 0, 0, G_OPTION_ARG_STRING, &opt_uuid,
     "UUID of the VM (default: a random one)", "UUID"},
    {"memory", 'm', 0, G_OPTION_ARG_STRING, &opt_memory,
     "Guest RAM, with a K, M or G suffix (default: 256M)", "SIZE"},
    {"cpus", 'c', 0, G_OPTION_ARG_INT, &opt_cpus,
     "Number of vCPUs (default: 1)", "N"},
    {"kernel", 'k', 0, G_OPTION_ARG_FILENAME, &opt_kernel,
     "Kernel to boot: a Linux bzImage, or an ELF (vmlinux) with a PVH note "
     "(required)", "FILE"},
    {"initrd", 'i', 0, G_OPTION_ARG_FILENAME, &opt_initrd,
     "Initial RAM disk", "FILE"},
    {"cmdline", 'a', 0, G_OPTION_ARG_STRING, &opt_cmdline,
     "Kernel command line", "STRING"},
    {"serial", 's', 0, G_OPTION_ARG_STRING, &opt_serial,
     "Serial port (COM1) back-end: stdio, unix:PATH (a listening socket), "
     "file:PATH (output only) or none (default: stdio)", "BACKEND"},
    {"display", 'd', 0, G_OPTION_ARG_STRING, &opt_display,
     "Screen: a bochs-display framebuffer exported over VNC on a Unix "
     "socket (vnc=unix:PATH), or on TCP (vnc=tcp:127.0.0.1:PORT; another "
     "address needs ,password-file=FILE, whose first line is the VNC "
     "password); add ,keymap=us|de for the guest's keyboard layout; or "
     "none (default: none)", "vnc=unix:PATH|vnc=tcp:ADDR:PORT[,...]|none"},
    {"control", 0, 0, G_OPTION_ARG_STRING, &opt_control,
     "D-Bus control socket (interface org.vireo.Vmm1), peer to peer",
     "unix:PATH"},
    {"on-reboot", 0, 0, G_OPTION_ARG_STRING, &opt_on_reboot,
     "What a guest reset (i8042 or ACPI reset, or a triple fault) does: "
     "restart the VM, or exit (default: restart)",
     "restart|exit"},
    {"no-seccomp", 0, 0, G_OPTION_ARG_NONE, &opt_no_seccomp,
     "Run without the seccomp sandbox, to debug a system call it refuses "
     "(by default each thread may make only the calls its work needs; "
     "another one ends the VM with SIGSYS and names the call)", NULL},
    {"check-kvm", 0, 0, G_OPTION_ARG_NONE, &opt_check_kvm,
     "Report whether this host's KVM can run VMs and how fast, then exit "
     "(0: usable, 3: not)", NULL},
    {"version", 0, 0, G_OPTION_ARG_NONE, &opt_version,
     "Print the version and exit", NULL},
    {NULL},
};

static gboolean parse_size(const char *s, uint64_t *out, GError **error)
{
    char *end;
    guint64 v;
    guint64 mult = 1024 * 1024; /* plain numbers are MiB */

    errno = 0;
    if (!s || !g_ascii_isdigit(*s))
        goto bad;
    v = g_ascii_strtoull(s, &end, 10);
    if (errno)
        goto bad;
    switch (g_ascii_toupper(*end)) {
    case '\0':
        break;
    case 'K':
        mult = 1024;
        end++;
        break;
    case 'M':
        end++;
        break;
    case 'G':
        mult = 1024ULL * 1024 * 1024;
        end++;
        break;
    default:
        goto bad;
    }
    if (*end == 'i' || *end == 'I')
        end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end != '\0' || v == 0 || v > G_MAXUINT64 / mult)
        goto bad;
    *out = v * mult;
    return TRUE;
bad:
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "--memory: \"%s\" is not a size; write e.g. 512M or 2G.",
                s ? s : "");
    return FALSE;
}

static gboolean check_options(VmmInstance *inst, GError **error)
{
    struct sysinfo si;
    uint64_t host_ram;

    if (!opt_kernel) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "No kernel given: pass --kernel FILE (a bzImage, or an "
                    "ELF with a PVH note).");
        return FALSE;
    }
    if (opt_cpus < 1 || opt_cpus > 255) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--cpus must be between 1 and 255, not %d.", opt_cpus);
        return FALSE;
    }
    if (!parse_size(opt_memory ? opt_memory : "256M", &inst->mem_size, error))
        return FALSE;
    if (inst->mem_size % 4096 || inst->mem_size < 2 * 1024 * 1024) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--memory must be at least 2M and a multiple of 4K.");
        return FALSE;
    }
    if (sysinfo(&si) == 0) {
        host_ram = (uint64_t)si.totalram * si.mem_unit;
        if (inst->mem_size > host_ram) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--memory %s is more than this host's %" G_GUINT64_FORMAT
                        " MiB of RAM; ask for less.",
                        opt_memory, host_ram >> 20);
            return FALSE;
        }
    }
    if (opt_serial && !vmm_console_spec_valid(opt_serial, error)) {
        g_prefix_error(error, "--serial: ");
        return FALSE;
    }
    if (opt_display && !vmm_display_spec_valid(opt_display, error)) {
        g_prefix_error(error, "--display: ");
        return FALSE;
    }
    if (opt_control && (!g_str_has_prefix(opt_control, "unix:") ||
                        opt_control[5] == '\0')) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--control: \"%s\" is not unix:PATH.", opt_control);
        return FALSE;
    }
    if (opt_on_reboot && !g_str_equal(opt_on_reboot, "restart") &&
        !g_str_equal(opt_on_reboot, "exit")) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--on-reboot must be restart or exit, not \"%s\".",
                    opt_on_reboot);
        return FALSE;
    }
    if (opt_uuid && !g_uuid_string_is_valid(opt_uuid)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--uuid: \"%s\" is not a UUID.", opt_uuid);
        return FALSE;
    }
    if (opt_name && (!*opt_name || !g_utf8_validate(opt_name, -1, NULL))) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--name must be a non-empty UTF-8 string.");
        return FALSE;
    }
    inst->name = g_strdup(opt_name ? opt_name : "vireo-vm");
    inst->uuid = opt_uuid ? g_ascii_strdown(opt_uuid, -1)
                          : g_uuid_string_random();
    inst->n_cpus = (uint32_t)opt_cpus;
    inst->boot.kernel = opt_kernel;
    inst->boot.initrd = opt_initrd;
    inst->boot.cmdline = opt_cmdline;
    inst->boot.n_cpus = inst->n_cpus;
    inst->reboot_exits = opt_on_reboot && g_str_equal(opt_on_reboot, "exit");
    return TRUE;
}

static gboolean on_signal(gpointer data)
{
    VmmInstance *inst = data;

    g_printerr("vireo-vmm: %s: terminated by a signal\n", inst->name);
    vmm_instance_quit(inst, VMM_STATUS_OK);
    return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(VmmConsole) console = NULL;
    g_autoptr(VmmControl) control = NULL;
    g_autoptr(VmmDisplay) display = NULL;
    VmmInstance inst = {0};
    sigset_t set;
    int kvm, err;

    ctx = g_option_context_new("- run one virtual machine on KVM");
    g_option_context_set_summary(
        ctx, "vireo-vmm is Vireo's virtual machine monitor: one process per "
             "VM, built on /dev/kvm, controlled over D-Bus.");
    g_option_context_set_description(
        ctx, "Exit status: 0 when the guest powers off or is told to quit, 2 "
             "for a bad argument or a failed start, 4 when the guest "
             "crashes (a register dump goes to stderr; a triple fault "
             "counts with --on-reboot=exit), and (V << 1) | 1 when the guest writes V to the "
             "debug-exit port 0xf4.\n");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr("vireo-vmm: %s\nRun vireo-vmm --help to see the options.\n",
                   error->message);
        return VMM_STATUS_ERROR;
    }
    if (opt_version) {
        g_print("vireo-vmm %s\n", PACKAGE_VERSION);
        return VMM_STATUS_OK;
    }
    if (opt_check_kvm)
        return vmm_kvm_probe();
    if (argc > 1) {
        g_printerr("vireo-vmm: unexpected argument \"%s\"\nRun vireo-vmm "
                   "--help to see the options.\n", argv[1]);
        return VMM_STATUS_ERROR;
    }
    if (!check_options(&inst, &error)) {
        g_printerr("vireo-vmm: %s\n", error->message);
        return VMM_STATUS_ERROR;
    }
    /* fail early and clearly when KVM cannot be used at all */
    kvm = vmm_kvm_open();
    if (kvm < 0)
        return VMM_STATUS_ERROR;
    close(kvm);
    /* before any thread starts: they all enter a filter */
    if ((err = vmm_sandbox_init(!opt_no_seccomp)) < 0) {
        g_printerr("vireo-vmm: cannot set up the seccomp sandbox: %s\n"
                   "Run with --no-seccomp to go without it.\n",
                   g_strerror(-err));
        return VMM_STATUS_ERROR;
    }

    /* vCPU threads inherit this mask and unblock the kick signal */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    inst.loop = g_main_loop_new(NULL, FALSE);
    console = vmm_console_new(opt_serial ? opt_serial : "stdio", &error);
    if (!console) {
        g_printerr("vireo-vmm: --serial: %s\n", error->message);
        return VMM_STATUS_ERROR;
    }
    inst.console = console;
    if (opt_display) {
        display = vmm_display_new(opt_display, inst.name, &error);
        if (error) {
            g_printerr("vireo-vmm: --display: %s\n", error->message);
            return VMM_STATUS_ERROR;
        }
        inst.display = display;
    }
    if (opt_control) {
        control = vmm_control_new(&inst, opt_control + 5, &error);
        if (!control) {
            g_printerr("vireo-vmm: --control: %s\n", error->message);
            return VMM_STATUS_ERROR;
        }
    }
    if (!vmm_instance_boot(&inst)) {
        vmm_instance_free_vm(&inst);
        vmm_mem_destroy(&inst.mem);
        return VMM_STATUS_ERROR;
    }
    /* D-Bus comes up while the guest boots; its module is loaded before
     * the filter, which forbids mapping code */
    if (control && !vmm_control_load(control, &error)) {
        g_printerr("vireo-vmm: --control: %s\n", error->message);
        vmm_instance_quit(&inst, VMM_STATUS_ERROR);
    }
    /* The consoles and the display are set up (the display's threads
     * and the first vCPUs are under their own filter); from here on the
     * main thread runs under its filter, and so do the threads it
     * starts: GLib's workers (the control server starts them), the vCPUs
     * of every later boot. */
    vmm_sandbox_enter(VMM_SANDBOX_MAIN);
    if (control && inst.state != VMM_STATE_STOPPED &&
        !vmm_control_start(control, &error)) {
        g_printerr("vireo-vmm: --control: %s\n", error->message);
        vmm_instance_quit(&inst, VMM_STATUS_ERROR);
    }
    g_unix_signal_add(SIGTERM, on_signal, &inst);
    g_unix_signal_add(SIGINT, on_signal, &inst);
    g_unix_signal_add(SIGHUP, on_signal, &inst);

    if (inst.state != VMM_STATE_STOPPED)
        g_main_loop_run(inst.loop);

    vmm_instance_free_vm(&inst);
    g_clear_pointer(&control, vmm_control_free);
    g_clear_pointer(&display, vmm_display_free);
    g_clear_pointer(&console, vmm_console_free);
    vmm_mem_destroy(&inst.mem);
    g_main_loop_unref(inst.loop);
    g_free(inst.name);
    g_free(inst.uuid);
    return inst.exit_status;
}
