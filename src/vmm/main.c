/* main.c: vireo-vmm's command line. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "control/control.h"
#include "instance.h"
#include "kvm/probe.h"
#include "sandbox.h"

/* The options, in --help's order.  getopt_long parses them (vireo-vmm
 * links no GLib, see error.h); --help prints them as GOption would. */
enum {
    OPT_UUID = 256,
    OPT_CONTROL,
    OPT_ON_REBOOT,
    OPT_NO_SECCOMP,
    OPT_CHECK_KVM,
    OPT_VERSION,
    OPT_HELP = 'h',
};

struct option_doc {
    const char *name;
    int key;    /* the short option, or an OPT_ */
    const char *arg; /* NULL: takes none */
    const char *help;
};

static const struct option_doc options[] = {
    {"name", 'n', "NAME", "Name of the VM (default: vireo-vm)"},
    {"uuid", OPT_UUID, "UUID", "UUID of the VM (default: a random one)"},
    {"memory", 'm', "SIZE",
     "Guest RAM, with a K, M or G suffix (default: 256M)"},
    {"cpus", 'c', "N", "Number of vCPUs (default: 1)"},
    {"kernel", 'k', "FILE",
     "Kernel to boot: a Linux bzImage, or an ELF (vmlinux) with a PVH note "
     "(required)"},
    {"initrd", 'i', "FILE", "Initial RAM disk"},
    {"cmdline", 'a', "STRING", "Kernel command line"},
    {"serial", 's', "BACKEND",
     "Serial port (COM1) back-end: stdio, unix:PATH (a listening socket), "
     "file:PATH (output only) or none (default: stdio)"},
    {"display", 'd', "vnc=unix:PATH|vnc=tcp:ADDR:PORT[,...]|none",
     "Screen: a bochs-display framebuffer exported over VNC on a Unix "
     "socket (vnc=unix:PATH), or on TCP (vnc=tcp:127.0.0.1:PORT; another "
     "address needs ,password-file=FILE, whose first line is the VNC "
     "password); add ,keymap=us|de for the guest's keyboard layout; or "
     "none (default: none)"},
    {"control", OPT_CONTROL, "unix:PATH",
     "D-Bus control socket (interface org.vireo.Vmm1), peer to peer"},
    {"on-reboot", OPT_ON_REBOOT, "restart|exit",
     "What a guest reset (i8042 or ACPI reset, or a triple fault) does: "
     "restart the VM, or exit (default: restart)"},
    {"no-seccomp", OPT_NO_SECCOMP, NULL,
     "Run without the seccomp sandbox, to debug a system call it refuses "
     "(by default each thread may make only the calls its work needs; "
     "another one ends the VM with SIGSYS and names the call)"},
    {"check-kvm", OPT_CHECK_KVM, NULL,
     "Report whether this host's KVM can run VMs and how fast, then exit "
     "(0: usable, 3: not)"},
    {"version", OPT_VERSION, NULL, "Print the version and exit"},
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static const char summary[] =
    "vireo-vmm is Vireo's virtual machine monitor: one process per VM, "
    "built on /dev/kvm, controlled over D-Bus.";
static const char description[] =
    "Exit status: 0 when the guest powers off or is told to quit, 2 for a "
    "bad argument or a failed start, 4 when the guest crashes (a register "
    "dump goes to stderr; a triple fault counts with --on-reboot=exit), and "
    "(V << 1) | 1 when the guest writes V to the debug-exit port 0xf4.";

struct opts {
    const char *name, *uuid, *memory, *kernel, *initrd, *cmdline, *serial;
    const char *control, *display, *on_reboot;
    int cpus;
    bool version, check_kvm, no_seccomp, help;
};

static void print_help(void)
{
    char left[N_OPTIONS][128];
    size_t width = strlen("-h, --help");

    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option_doc *o = &options[i];
        int n;

        if (o->key < 256)
            n = snprintf(left[i], sizeof(left[i]), "-%c, --%s", o->key,
                         o->name);
        else
            n = snprintf(left[i], sizeof(left[i]), "--%s", o->name);
        if (o->arg)
            snprintf(left[i] + n, sizeof(left[i]) - (size_t)n, "=%s", o->arg);
        if (strlen(left[i]) > width)
            width = strlen(left[i]);
    }
    printf("Usage:\n  vireo-vmm [OPTION…] - run one virtual machine on KVM"
           "\n\n%s\n\nHelp Options:\n  %-*s     Show help options\n\n"
           "Application Options:\n", summary, (int)width, "-h, --help");
    for (size_t i = 0; i < N_OPTIONS; i++)
        printf("  %-*s     %s\n", (int)width, left[i], options[i].help);
    printf("\n%s\n", description);
}

/* the option as the user wrote it, for messages: "--name", "-z" */
static void option_name(const char *arg, int key, char *buf, size_t size)
{
    if (key && key < 256 && (!arg || arg[1] != '-'))
        snprintf(buf, size, "-%c", key);
    else
        snprintf(buf, size, "%.*s", (int)strcspn(arg ? arg : "", "="),
                 arg ? arg : "");
}

static bool parse_int(const char *s, const char *opt, int *out, VmmError *err)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 0);
    if (!*s || *end)
        return vmm_error_set(err, "Cannot parse integer value \"%s\" for %s",
                             s, opt);
    if (errno == ERANGE || v < INT_MIN || v > INT_MAX)
        return vmm_error_set(err, "Integer value \"%s\" for %s out of range",
                             s, opt);
    *out = (int)v;
    return true;
}

/* Fills @o from the command line; false with @err for a bad one. */
static bool parse_options(int argc, char **argv, struct opts *o, VmmError *err)
{
    struct option longs[N_OPTIONS + 2];
    char shorts[2 * N_OPTIONS + 4] = ":h";
    size_t ns = strlen(shorts);
    int key;

    for (size_t i = 0; i < N_OPTIONS; i++) {
        longs[i] = (struct option){options[i].name,
                                   options[i].arg ? required_argument
                                                  : no_argument,
                                   NULL, options[i].key};
        if (options[i].key < 256) {
            shorts[ns++] = (char)options[i].key;
            if (options[i].arg)
                shorts[ns++] = ':';
        }
    }
    shorts[ns] = '\0';
    longs[N_OPTIONS] = (struct option){"help", no_argument, NULL, OPT_HELP};
    longs[N_OPTIONS + 1] = (struct option){0};
    opterr = 0;
    while ((key = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        const char *arg = argv[optind - 1];
        char name[128];

        switch (key) {
        case '?':
            option_name(arg, optopt, name, sizeof(name));
            return vmm_error_set(err, "Unknown option %s", name);
        case ':':
            option_name(arg, optopt, name, sizeof(name));
            return vmm_error_set(err, "Missing argument for %s", name);
        case 'n': o->name = optarg; break;
        case OPT_UUID: o->uuid = optarg; break;
        case 'm': o->memory = optarg; break;
        case 'c':
            option_name(argv[optind - 1] == optarg ? argv[optind - 2] : arg,
                        key, name, sizeof(name));
            if (!parse_int(optarg, name, &o->cpus, err))
                return false;
            break;
        case 'k': o->kernel = optarg; break;
        case 'i': o->initrd = optarg; break;
        case 'a': o->cmdline = optarg; break;
        case 's': o->serial = optarg; break;
        case 'd': o->display = optarg; break;
        case OPT_CONTROL: o->control = optarg; break;
        case OPT_ON_REBOOT: o->on_reboot = optarg; break;
        case OPT_NO_SECCOMP: o->no_seccomp = true; break;
        case OPT_CHECK_KVM: o->check_kvm = true; break;
        case OPT_VERSION: o->version = true; break;
        case OPT_HELP: o->help = true; return true;
        }
    }
    if (optind < argc && !o->version && !o->check_kvm)
        return vmm_error_set(err, "unexpected argument \"%s\"", argv[optind]);
    return true;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool uuid_valid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* a random (version 4) UUID */
static char *uuid_random(void)
{
    uint8_t b[16];
    char *s = malloc(37);
    size_t got = 0;

    while (got < sizeof(b)) {
        ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

        if (n < 0 && errno != EINTR)
            abort();
        if (n > 0)
            got += (size_t)n;
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    if (!s)
        abort();
    snprintf(s, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
             b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return s;
}

static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        uint32_t c;
        int n;

        if (*p < 0x80) {
            p++;
            continue;
        }
        if ((*p & 0xe0) == 0xc0)
            n = 1, c = *p & 0x1f;
        else if ((*p & 0xf0) == 0xe0)
            n = 2, c = *p & 0x0f;
        else if ((*p & 0xf8) == 0xf0)
            n = 3, c = *p & 0x07;
        else
            return false;
        p++;
        for (int i = 0; i < n; i++, p++) {
            if ((*p & 0xc0) != 0x80)
                return false;
            c = (c << 6) | (*p & 0x3f);
        }
        /* overlong forms, surrogates, beyond Unicode */
        if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) ||
            (n == 3 && c < 0x10000) || c > 0x10ffff ||
            (c >= 0xd800 && c <= 0xdfff))
            return false;
    }
    return true;
}

static bool parse_size(const char *s, uint64_t *out, VmmError *err)
{
    char *end;
    unsigned long long v;
    uint64_t mult = 1024 * 1024; /* plain numbers are MiB */

    errno = 0;
    if (!s || !isdigit((unsigned char)*s))
        goto bad;
    v = strtoull(s, &end, 10);
    if (errno)
        goto bad;
    switch (toupper((unsigned char)*end)) {
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
    if (*end != '\0' || v == 0 || v > UINT64_MAX / mult)
        goto bad;
    *out = v * mult;
    return true;
bad:
    return vmm_error_set(err, "--memory: \"%s\" is not a size; write e.g. "
                         "512M or 2G.", s ? s : "");
}

static bool check_options(const struct opts *o, VmmInstance *inst,
                          VmmError *err)
{
    struct sysinfo si;
    uint64_t host_ram;

    if (!o->kernel)
        return vmm_error_set(err, "No kernel given: pass --kernel FILE (a "
                             "bzImage, or an ELF with a PVH note).");
    if (o->cpus < 1 || o->cpus > 255)
        return vmm_error_set(err, "--cpus must be between 1 and 255, not %d.",
                             o->cpus);
    if (!parse_size(o->memory ? o->memory : "256M", &inst->mem_size, err))
        return false;
    if (inst->mem_size % 4096 || inst->mem_size < 2 * 1024 * 1024)
        return vmm_error_set(err, "--memory must be at least 2M and a "
                             "multiple of 4K.");
    if (sysinfo(&si) == 0) {
        host_ram = (uint64_t)si.totalram * si.mem_unit;
        if (inst->mem_size > host_ram)
            return vmm_error_set(err, "--memory %s is more than this host's "
                                 "%" PRIu64 " MiB of RAM; ask for less.",
                                 o->memory, host_ram >> 20);
    }
    if (o->serial && !vmm_console_spec_valid(o->serial, err)) {
        vmm_error_prefix(err, "--serial: ");
        return false;
    }
    if (o->display && !vmm_display_spec_valid(o->display, err)) {
        vmm_error_prefix(err, "--display: ");
        return false;
    }
    if (o->control && (!has_prefix(o->control, "unix:") ||
                       o->control[5] == '\0'))
        return vmm_error_set(err, "--control: \"%s\" is not unix:PATH.",
                             o->control);
    if (o->on_reboot && strcmp(o->on_reboot, "restart") != 0 &&
        strcmp(o->on_reboot, "exit") != 0)
        return vmm_error_set(err, "--on-reboot must be restart or exit, not "
                             "\"%s\".", o->on_reboot);
    if (o->uuid && !uuid_valid(o->uuid))
        return vmm_error_set(err, "--uuid: \"%s\" is not a UUID.", o->uuid);
    if (o->name && (!*o->name || !utf8_valid(o->name)))
        return vmm_error_set(err, "--name must be a non-empty UTF-8 string.");
    inst->name = strdup(o->name ? o->name : "vireo-vm");
    if (o->uuid) {
        inst->uuid = strdup(o->uuid);
        for (char *c = inst->uuid; c && *c; c++)
            *c = (char)tolower((unsigned char)*c);
    } else {
        inst->uuid = uuid_random();
    }
    if (!inst->name || !inst->uuid)
        return vmm_error_set(err, "out of memory");
    inst->n_cpus = (uint32_t)o->cpus;
    inst->boot.kernel = o->kernel;
    inst->boot.initrd = o->initrd;
    inst->boot.cmdline = o->cmdline;
    inst->boot.n_cpus = inst->n_cpus;
    inst->reboot_exits = o->on_reboot && strcmp(o->on_reboot, "exit") == 0;
    return true;
}

static void on_signal(void *data)
{
    VmmInstance *inst = data;

    fprintf(stderr, "vireo-vmm: %s: terminated by a signal\n", inst->name);
    vmm_instance_quit(inst, VMM_STATUS_OK);
}

int main(int argc, char **argv)
{
    struct opts o = {.cpus = 1};
    VmmError err = {{0}};
    VmmConsole *console = NULL;
    VmmControl *control = NULL;
    VmmDisplay *display = NULL;
    VmmInstance inst = {0};
    sigset_t set;
    int kvm, e;

    if (!parse_options(argc, argv, &o, &err)) {
        fprintf(stderr, "vireo-vmm: %s\nRun vireo-vmm --help to see the "
                "options.\n", err.message);
        return VMM_STATUS_ERROR;
    }
    if (o.help) {
        print_help();
        return VMM_STATUS_OK;
    }
    if (o.version) {
        printf("vireo-vmm %s\n", PACKAGE_VERSION);
        return VMM_STATUS_OK;
    }
    if (o.check_kvm)
        return vmm_kvm_probe();
    if (!check_options(&o, &inst, &err)) {
        fprintf(stderr, "vireo-vmm: %s\n", err.message);
        return VMM_STATUS_ERROR;
    }
    /* fail early and clearly when KVM cannot be used at all */
    kvm = vmm_kvm_open();
    if (kvm < 0)
        return VMM_STATUS_ERROR;
    close(kvm);
    /* before any thread starts: they all enter a filter */
    if ((e = vmm_sandbox_init(!o.no_seccomp)) < 0) {
        fprintf(stderr, "vireo-vmm: cannot set up the seccomp sandbox: %s\n"
                "Run with --no-seccomp to go without it.\n", strerror(-e));
        return VMM_STATUS_ERROR;
    }

    /* vCPU threads inherit this mask and unblock the kick signal */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    inst.loop = vmm_loop_new();
    if (!inst.loop) {
        fprintf(stderr, "vireo-vmm: cannot create the main loop: %s\n",
                strerror(errno));
        return VMM_STATUS_ERROR;
    }
    /* before the sockets and the threads: a signal during start-up
     * waits for the loop (see vmm_loop_catch_signal), which ends the VM
     * and cleans up, rather than killing the process on the spot with
     * its sockets left behind, or failing a system call it interrupts */
    vmm_loop_catch_signal(inst.loop, SIGTERM, on_signal, &inst);
    vmm_loop_catch_signal(inst.loop, SIGINT, on_signal, &inst);
    vmm_loop_catch_signal(inst.loop, SIGHUP, on_signal, &inst);
    console = vmm_console_new(o.serial ? o.serial : "stdio", inst.loop, &err);
    if (!console) {
        fprintf(stderr, "vireo-vmm: --serial: %s\n", err.message);
        return VMM_STATUS_ERROR;
    }
    inst.console = console;
    if (o.display) {
        err.message[0] = '\0';
        display = vmm_display_new(o.display, inst.name, &err);
        if (err.message[0]) {
            fprintf(stderr, "vireo-vmm: --display: %s\n", err.message);
            vmm_console_free(console);
            return VMM_STATUS_ERROR;
        }
        inst.display = display;
    }
    if (o.control) {
        control = vmm_control_new(&inst, o.control + 5, &err);
        if (!control) {
            fprintf(stderr, "vireo-vmm: --control: %s\n", err.message);
            vmm_display_free(display);
            vmm_console_free(console);
            return VMM_STATUS_ERROR;
        }
    }
    if (!vmm_instance_boot(&inst)) {
        vmm_instance_free_vm(&inst);
        vmm_control_free(control);
        vmm_display_free(display);
        vmm_console_free(console);
        vmm_mem_destroy(&inst.mem);
        return VMM_STATUS_ERROR;
    }
    /* D-Bus comes up while the guest boots; its module is loaded before
     * the filter, which forbids mapping code */
    if (control && !vmm_control_load(control, &err)) {
        fprintf(stderr, "vireo-vmm: --control: %s\n", err.message);
        vmm_instance_quit(&inst, VMM_STATUS_ERROR);
    }
    /* The consoles and the display are set up (the display's threads
     * and the first vCPUs are under their own filter); from here on the
     * main thread runs under its filter, and so do the threads it
     * starts: the control server's (and GLib's workers, which that
     * starts), the vCPUs of every later boot. */
    vmm_sandbox_enter(VMM_SANDBOX_MAIN);
    if (control && inst.state != VMM_STATE_STOPPED &&
        !vmm_control_start(control, &err)) {
        fprintf(stderr, "vireo-vmm: --control: %s\n", err.message);
        vmm_instance_quit(&inst, VMM_STATUS_ERROR);
    }
    if (inst.state != VMM_STATE_STOPPED)
        vmm_loop_run(inst.loop);

    vmm_instance_free_vm(&inst);
    /* the control thread may wait for the loop: let it go, then end it */
    vmm_loop_close(inst.loop);
    vmm_control_free(control);
    vmm_display_free(display);
    vmm_console_free(console);
    vmm_mem_destroy(&inst.mem);
    vmm_loop_free(inst.loop);
    free(inst.name);
    free(inst.uuid);
    return inst.exit_status;
}
