/* test-cli.c: vireo-vmm's command line: every bad argument is refused
 * with a clear message and status 2 before any guest runs; no /dev/kvm,
 * or no permission to use it, says how to fix it; --help documents every
 * option; a headless VM maps none of the libraries the core left.
 *
 * The KVM cases run vireo-vmm as a user who may not open /dev/kvm
 * (setpriv, as root) and in a mount namespace whose /dev is empty
 * (unshare), so that the real /dev/kvm path is what is tested.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "vmm-test-util.h"

#define TIMEOUT 30
#define STATUS_ERROR 2

typedef struct {
    char *dir;
    char *guest;
} Files;

static void files_free(Files *f)
{
    g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
    const char *n;

    while (d && (n = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(f->dir, n, NULL);

        if (g_file_test(p, G_FILE_TEST_IS_DIR))
            g_rmdir(p);
        else
            g_unlink(p);
    }
    g_rmdir(f->dir);
    g_free(f->dir);
    g_free(f->guest);
    g_free(f);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Files, files_free)

static void put(Files *f, const char *name, const void *data, gsize len)
{
    g_autofree char *path = g_build_filename(f->dir, name, NULL);
    g_autoptr(GError) error = NULL;

    g_file_set_contents(path, data, (gssize)len, &error);
    g_assert_no_error(error);
}

/* a bzImage header: "HdrS" at 0x202 with @version, 64-bit entry flag
 * when @lm, four setup sectors; @size bytes in all */
static void put_bzimage(Files *f, const char *name, guint16 version,
                        gboolean lm, gsize size)
{
    g_autofree guint8 *img = g_malloc0(size);

    img[0x1f1] = 4;
    memcpy(img + 0x202, "HdrS", 4);
    img[0x206] = (guint8)version;
    img[0x207] = (guint8)(version >> 8);
    img[0x200] = 0xeb;
    img[0x201] = 0x66; /* jump over the header, to 0x268 */
    img[0x236] = lm ? 1 : 0;
    put(f, name, img, size);
}

/* The kernels a user could get wrong, next to a good guest. */
static Files *files_new(void)
{
    Files *f = g_new0(Files, 1);
    g_autoptr(GError) error = NULL;
    g_autofree char *elf = NULL;
    gsize len;
    static const guint8 pvh_note[] = {4, 0, 0, 0, 4, 0, 0, 0, 18, 0, 0, 0,
                                      'X', 'e', 'n', 0};
    guint8 *note = NULL;

    f->dir = g_dir_make_tmp("vireo-cli-XXXXXX", &error);
    g_assert_no_error(error);
    f->guest = vmm_test_guest("hello");
    g_file_get_contents(f->guest, &elf, &len, &error);
    g_assert_no_error(error);

    put(f, "empty", "", 0);
    put(f, "text", "#!/bin/sh\necho this is not a kernel\n", 36);
    /* an ELF header cut short */
    put(f, "elf-cut", elf, 40);
    /* the guest with its PVH note's type changed: an ELF with no entry */
    for (gsize i = 0; i + sizeof(pvh_note) <= len; i++)
        if (memcmp(elf + i, pvh_note, sizeof(pvh_note)) == 0)
            note = (guint8 *)elf + i;
    g_assert_nonnull(note);
    note[8] = 0;
    put(f, "elf-no-pvh", elf, len);
    put_bzimage(f, "bzimage-old", 0x0204, FALSE, 8192);
    put_bzimage(f, "bzimage-cut", 0x020f, TRUE, 1024);
    g_assert_cmpint(g_mkdir(g_build_filename(f->dir, "dir", NULL), 0700), ==,
                    0);
    {
        g_autofree char *big = g_build_filename(f->dir, "initrd-64M", NULL);
        int fd = g_open(big, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(ftruncate(fd, 64 * 1024 * 1024), ==, 0);
        close(fd);
    }
    return f;
}

/* @spec: the arguments, split like a shell would; @G@ is the good guest,
 * @T@ the directory with the bad files */
static char **expand(Files *f, const char *spec)
{
    g_auto(GStrv) parts1 = g_strsplit(spec, "@G@", -1);
    g_autofree char *s1 = g_strjoinv(f->guest, parts1);
    g_auto(GStrv) parts2 = g_strsplit(s1, "@T@", -1);
    g_autofree char *s2 = g_strjoinv(f->dir, parts2);
    g_autoptr(GError) error = NULL;
    char **argv = NULL;

    if (!*s2)
        return g_new0(char *, 1); /* no arguments at all */
    g_assert_true(g_shell_parse_argv(s2, NULL, &argv, &error));
    g_assert_no_error(error);
    return argv;
}

static void assert_refused(VmmRun *run, const char *what, const char *message)
{
    g_assert_false(run->timed_out);
    if (run->status != STATUS_ERROR || !strstr(run->err, message))
        g_error("vireo-vmm %s: status %d, said \"%s\"; wanted status %d and "
                "\"%s\"", what, run->status, run->err, STATUS_ERROR, message);
    /* one message from vireo-vmm, and no guest ran */
    g_assert_true(g_str_has_prefix(run->err, "vireo-vmm: "));
    g_assert_cmpstr(run->out, ==, "");
}

static void check_cases(const char *const (*cases)[2], gsize n)
{
    g_autoptr(Files) f = files_new();

    for (gsize i = 0; i < n; i++) {
        g_auto(GStrv) argv = expand(f, cases[i][0]);
        g_autoptr(VmmRun) run = vmm_run((const char *const *)argv, TIMEOUT);

        assert_refused(run, cases[i][0], cases[i][1]);
    }
}

/* options GOption or vireo-vmm itself refuse before KVM is touched */
static void test_bad_options(void)
{
    static const char *const cases[][2] = {
        {"--bogus --kernel @G@", "Unknown option --bogus"},
        {"--bogus --kernel @G@", "Run vireo-vmm --help to see the options."},
        {"-z", "Unknown option -z"},
        {"--kernel @G@ extra", "unexpected argument \"extra\""},
        {"--kernel", "Missing argument for --kernel"},
        {"", "No kernel given: pass --kernel FILE"},
        {"--memory 64M", "No kernel given"},
        {"--kernel @G@ --memory abc", "--memory: \"abc\" is not a size"},
        {"--kernel @G@ --memory ''", "--memory: \"\" is not a size"},
        {"--kernel @G@ --memory 0", "--memory: \"0\" is not a size"},
        {"--kernel @G@ --memory -5M", "--memory: \"-5M\" is not a size"},
        {"--kernel @G@ --memory 12X", "--memory: \"12X\" is not a size"},
        {"--kernel @G@ --memory 12MM", "--memory: \"12MM\" is not a size"},
        {"--kernel @G@ --memory 99999999999999999999",
         "is not a size; write e.g. 512M or 2G."},
        {"--kernel @G@ --memory 99999999999G", "is not a size"},
        {"--kernel @G@ --memory 1M", "at least 2M and a multiple of 4K"},
        {"--kernel @G@ --memory 2050K", "at least 2M and a multiple of 4K"},
        {"--kernel @G@ --memory 100000G", "more than this host's"},
        {"--kernel @G@ --cpus 0", "--cpus must be between 1 and 255, not 0."},
        {"--kernel @G@ --cpus -2", "--cpus must be between 1 and 255"},
        {"--kernel @G@ --cpus 256", "--cpus must be between 1 and 255"},
        {"--kernel @G@ --cpus two", "Cannot parse integer value"},
        {"--kernel @G@ --cpus 99999999999", "--cpus"},
        {"--kernel @G@ --serial tcp:1234", "Unknown serial back-end"},
        {"--kernel @G@ --serial unix:", "use stdio, unix:PATH, file:PATH"},
        {"--kernel @G@ --serial file:", "Unknown serial back-end"},
        {"--kernel @G@ --serial unix:/tmp/" "0123456789012345678901234567890"
         "1234567890123456789012345678901234567890123456789012345678901234"
         "567890.sock", "too long for a Unix socket"},
        {"--kernel @G@ --control /tmp/c.sock", "is not unix:PATH"},
        {"--kernel @G@ --control unix:", "is not unix:PATH"},
        {"--kernel @G@ --display vnc", "--display: "},
        {"--kernel @G@ --display vnc=unix:", "neither unix:PATH nor tcp:"},
        {"--kernel @G@ --on-reboot never", "--on-reboot must be restart or "
                                            "exit, not \"never\"."},
        {"--kernel @G@ --uuid 1234", "--uuid: \"1234\" is not a UUID."},
        {"--kernel @G@ --name ''", "--name must be a non-empty UTF-8"},
    };

    check_cases(cases, G_N_ELEMENTS(cases));
}

/* options that are well-formed but cannot be carried out: a missing or
 * malformed kernel or initrd, sockets and logs that cannot be made */
static void test_bad_files(void)
{
    static const char *const cases[][2] = {
        {"--kernel @T@/none", "cannot open the kernel @T@/none: No such"},
        {"--kernel @T@/empty", "the kernel @T@/empty is empty"},
        {"--kernel @T@/dir", "the kernel @T@/dir is not a regular file"},
        {"--kernel /dev/null", "the kernel /dev/null is not a regular file"},
        {"--kernel @T@/text", "is neither an ELF kernel with a PVH note nor a "
                              "Linux bzImage"},
        {"--kernel @T@/elf-cut", "is a malformed ELF file"},
        {"--kernel @T@/elf-no-pvh", "has no PVH entry note"},
        {"--kernel @T@/bzimage-old", "is too old for the 64-bit boot "
                                     "protocol (version 2.04"},
        {"--kernel @T@/bzimage-cut", "is truncated or malformed"},
        {"--kernel @G@ --initrd @T@/none", "cannot open the initrd @T@/none"},
        {"--kernel @G@ --initrd @T@/empty", "the initrd @T@/empty is empty"},
        {"--kernel @G@ --memory 32M --initrd @T@/initrd-64M",
         "does not fit"},
        {"--kernel @G@ --serial file:@T@/none/serial.log",
         "Cannot open the serial log"},
        {"--kernel @G@ --serial unix:@T@/none/serial.sock",
         "Cannot listen on @T@/none/serial.sock"},
        {"--kernel @G@ --control unix:@T@/none/control.sock",
         "cannot listen on @T@/none/control.sock"},
        {"--kernel @G@ --control unix:@T@/text", "exists and is not a socket"},
        {"--kernel @G@ --display vnc=unix:@T@/none/vnc.sock", "--display: "},
    };
    g_autoptr(Files) f = files_new();

    if (!vmm_test_have_kvm())
        return;
    /* the messages name the files; expand them too */
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_auto(GStrv) argv = expand(f, cases[i][0]);
        g_auto(GStrv) parts = g_strsplit(cases[i][1], "@T@", -1);
        g_autofree char *message = g_strjoinv(f->dir, parts);
        g_autoptr(VmmRun) run = vmm_run((const char *const *)argv, TIMEOUT);

        assert_refused(run, cases[i][0], message);
    }
    /* a command line longer than the guest takes */
    {
        g_autofree char *cmdline = g_strnfill(5000, 'x');
        const char *args[] = {"--kernel", f->guest, "--cmdline", cmdline,
                              NULL};
        g_autoptr(VmmRun) run = vmm_run(args, TIMEOUT);

        assert_refused(run, "--cmdline xxx…",
                       "the kernel command line is 5000 bytes long");
    }
}

/* no /dev/kvm, or one this user may not open */
static void test_no_kvm(void)
{
    g_autofree char *guest = vmm_test_guest("hello");
    g_autofree char *setpriv = g_find_program_in_path("setpriv");
    g_autofree char *unshare = g_find_program_in_path("unshare");
    const char *args[] = {"--kernel", guest, NULL};
    const char *check[] = {"--check-kvm", NULL};

    if (getuid() != 0 || !setpriv || !unshare) {
        g_test_skip("the cases without /dev/kvm need root, setpriv and "
                    "unshare (util-linux) to set up");
        return;
    }
    /* as nobody, with no groups */
    {
        const char *wrap[] = {setpriv, "--reuid=65534", "--regid=65534",
                              "--clear-groups", NULL};
        g_autoptr(VmmRun) run = vmm_run_wrapped(wrap, args, TIMEOUT);
        g_autoptr(VmmRun) probe = vmm_run_wrapped(wrap, check, TIMEOUT);

        /* the advice names the group that may use the device, or says
         * how to let the kvm group use it */
        assert_refused(run, "as nobody", "You may not use /dev/kvm");
        g_assert_nonnull(strstr(run->err, "usermod -aG "));
        g_assert_nonnull(strstr(run->err, "log out and in again"));
        g_assert_cmpint(probe->status, ==, 3);
        g_assert_true(g_str_has_prefix(probe->out, "status: denied\n"));
        g_assert_nonnull(strstr(probe->out, "usermod -aG "));
    }
    /* in a mount namespace with an empty /dev */
    {
        const char *wrap[] = {unshare, "--mount", "--propagation", "private",
                              "sh", "-c",
                              "mount -t tmpfs none /dev && exec \"$0\" \"$@\"",
                              NULL};
        g_autoptr(VmmRun) run = vmm_run_wrapped(wrap, args, TIMEOUT);
        g_autoptr(VmmRun) probe = vmm_run_wrapped(wrap, check, TIMEOUT);

        assert_refused(run, "without /dev/kvm", "/dev/kvm does not exist");
        g_assert_nonnull(strstr(run->err, "load the kvm_intel or kvm_amd"));
        g_assert_cmpint(probe->status, ==, 3);
        g_assert_true(g_str_has_prefix(probe->out, "status: missing\n"));
        g_assert_nonnull(strstr(probe->out, "kvm_intel or kvm_amd"));
    }
}

/* --help: every option, with a description, and the exit statuses */
static void test_help(void)
{
    static const char *const options[] = {
        "--name=NAME", "--uuid=UUID", "--memory=SIZE", "--cpus=N",
        "--kernel=FILE", "--initrd=FILE", "--cmdline=STRING",
        "--serial=BACKEND", "--display=", "--control=unix:PATH",
        "--on-reboot=restart|exit", "--no-seccomp", "--check-kvm",
        "--version",
    };
    const char *args[] = {"--help", NULL};
    g_autoptr(VmmRun) run = vmm_run(args, TIMEOUT);
    g_auto(GStrv) lines = NULL;
    const char *app;
    guint n_lines = 0;

    g_assert_cmpint(run->status, ==, 0);
    g_assert_true(g_str_has_prefix(run->out, "Usage:\n  vireo-vmm "));
    app = strstr(run->out, "Application Options:\n");
    g_assert_nonnull(app);
    lines = g_strsplit(app, "\n", -1);
    /* each line of our options: "  -n, --name=NAME     Description" */
    for (char **l = lines + 1; *l && **l; l++) {
        g_autofree char *t = g_strstrip(g_strdup(*l));
        const char *text = strstr(t, "  ");

        n_lines++;
        g_assert_true(g_str_has_prefix(t, "-"));
        if (!text || strlen(g_strchug((char *)text)) < 10)
            g_error("--help line without a description: %s", *l);
    }
    g_assert_cmpuint(n_lines, ==, G_N_ELEMENTS(options));
    for (guint i = 0; i < G_N_ELEMENTS(options); i++)
        if (!strstr(app, options[i]))
            g_error("--help does not document %s:\n%s", options[i], run->out);
    g_assert_nonnull(strstr(run->out, "Exit status: 0 when the guest powers "
                                      "off"));
    g_assert_nonnull(strstr(run->out, "(V << 1) | 1"));

    {
        const char *v[] = {"--version", NULL};
        g_autoptr(VmmRun) version = vmm_run(v, TIMEOUT);

        g_assert_cmpint(version->status, ==, 0);
        g_assert_true(g_str_has_prefix(version->out, "vireo-vmm "));
    }
}

/* the libraries a live vireo-vmm has mapped, from /proc/PID/maps */
static char *maps_of(GSubprocess *proc)
{
    g_autofree char *path = g_strdup_printf(
        "/proc/%s/maps", g_subprocess_get_identifier(proc));
    char *text = NULL;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

/* The core links libc alone (bench/vmm/README.md: GLib's pages alone
 * would be the whole memory budget): a headless VM without --control
 * maps no GLib, no libseccomp (the filters are built in) and no
 * libvncserver; --control brings GLib and GIO with its module. */
static void test_libraries(void)
{
    static const char *const absent[] = {
        "libglib-2.0", "libgio-2.0", "libgobject-2.0", "libseccomp",
        "libvncserver", "vireo-vmm-control.so", "vireo-vmm-display.so",
    };
    g_autofree char *guest = vmm_test_guest("hello");
    g_autofree char *dir = NULL, *serial = NULL, *serial_arg = NULL;
    g_autofree char *maps = NULL;
    g_autofree char *vmm = vmm_test_binary();
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(VmmLive) live = NULL;
    g_autoptr(GError) error = NULL;
    gint64 deadline;

    if (!vmm_test_have_kvm())
        return;
    dir = g_dir_make_tmp("vireo-cli-XXXXXX", &error);
    g_assert_no_error(error);
    serial = g_build_filename(dir, "serial.log", NULL);
    serial_arg = g_strconcat("file:", serial, NULL);
    proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDIN_PIPE, &error, vmm,
                            "--memory", "32M", "--kernel", guest, "--serial",
                            serial_arg, "--cmdline", "wait=1", NULL);
    g_assert_no_error(error);
    /* the guest is up and idle once it says so */
    deadline = g_get_monotonic_time() + TIMEOUT * G_USEC_PER_SEC;
    for (;;) {
        g_autofree char *out = NULL;

        if (g_file_get_contents(serial, &out, NULL, NULL) &&
            strstr(out, "waiting"))
            break;
        if (g_get_monotonic_time() > deadline)
            g_error("the guest did not say \"waiting\" in %d s", TIMEOUT);
        g_usleep(10000);
    }
    maps = maps_of(proc);
    g_assert_nonnull(strstr(maps, "/libc.so"));
    for (gsize i = 0; i < G_N_ELEMENTS(absent); i++)
        if (strstr(maps, absent[i]))
            g_error("vireo-vmm without --control maps %s:\n%s", absent[i],
                    maps);
    g_subprocess_force_exit(proc);
    g_subprocess_wait(proc, NULL, NULL);
    g_unlink(serial);
    g_rmdir(dir);

    /* the check sees a library that is there: the control module's */
    live = vmm_live_start("hello", "wait=1", 1, NULL, &error);
    g_assert_no_error(error);
    g_clear_pointer(&maps, g_free);
    maps = maps_of(live->proc);
    g_assert_nonnull(strstr(maps, "vireo-vmm-control.so"));
    g_assert_nonnull(strstr(maps, "libgio-2.0"));
    g_assert_null(strstr(maps, "libseccomp"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/vmm/cli/bad-options", test_bad_options);
    g_test_add_func("/vmm/cli/bad-files", test_bad_files);
    g_test_add_func("/vmm/cli/no-kvm", test_no_kvm);
    g_test_add_func("/vmm/cli/help", test_help);
    g_test_add_func("/vmm/cli/libraries", test_libraries);
    return g_test_run();
}
