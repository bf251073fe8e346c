/* test-linux-boot.c: a Debian kernel with a busybox initramfs boots on
 * vireo-vmm to /init, as a bzImage and as a PVH vmlinux, and powers off
 * at the ACPI power button.
 *
 * The guest comes from tools/make-linux-guest (Debian packages, cached in
 * the build directory); the vmlinux is the bzImage's payload,
 * decompressed by tools/extract-vmlinux (Debian builds CONFIG_PVH=y).
 *
 * First the test calibrates: vireo-vmm --check-kvm times a counted loop
 * in guest kernel mode.  Where KVM emulates kernel mode (no hardware
 * virtualization, as on the development machines: about a million
 * instructions a second, and some instructions stop it) Linux cannot
 * boot, so the test skips and says what it measured and why; with
 * hardware KVM it boots in seconds.
 */
#include <stdlib.h>
#include <string.h>

#include "vmm-test-util.h"

/* guest kernel-mode instructions per second below which Linux takes too
 * long to boot: a Debian kernel runs some 10^9 of them to reach /init */
#define MIN_GUEST_IPS 50e6
#define BOOT_TIMEOUT 180
#define MARKER "VIREO-GUEST-READY"

typedef struct {
    char *vmlinuz, *vmlinux, *initrd;
} LinuxGuest;

static double guest_ips;

/* TRUE when this KVM runs guest kernel code fast enough */
static gboolean calibrate(void)
{
    const char *args[] = {"--check-kvm", NULL};
    g_autoptr(VmmRun) run = vmm_run(args, 120);
    const char *ips = strstr(run->out, "guest-ips: ");
    const char *msg = strstr(run->out, "message: ");
    g_autofree char *why = NULL;

    if (run->status != 0 || !ips) {
        why = g_strdup_printf("KVM cannot run guests here (vireo-vmm "
                              "--check-kvm: %s); no Linux boot",
                              msg ? msg + 9 : run->out);
        g_test_skip(why);
        return FALSE;
    }
    guest_ips = g_ascii_strtod(ips + strlen("guest-ips: "), NULL);
    g_test_message("KVM runs guest kernel code at %.1f million "
                   "instructions per second", guest_ips / 1e6);
    if (guest_ips < MIN_GUEST_IPS) {
        why = g_strdup_printf(
            "KVM here runs guest kernel code at %.2f million instructions "
            "per second (measured by vireo-vmm --check-kvm), below the %.0f "
            "million a Linux boot needs: this KVM emulates kernel mode (no "
            "hardware virtualization), where the billions of instructions "
            "to /init (a bzImage decompresses itself first) take tens of "
            "minutes and the emulator stops on some (SSE, xsave); skipped",
            guest_ips / 1e6, MIN_GUEST_IPS / 1e6);
        g_test_skip(why);
        return FALSE;
    }
    return TRUE;
}

static void run_tool(const char *const *argv)
{
    g_autoptr(GError) error = NULL;
    int status;

    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT,
                               NULL, NULL, NULL, NULL, &status, &error));
    g_assert_no_error(error);
    if (!g_spawn_check_wait_status(status, &error))
        g_error("%s failed: %s", argv[0], error->message);
}

/* the guest, made (or found in the cache) by tools/make-linux-guest */
static LinuxGuest *linux_guest(void)
{
    static LinuxGuest g;
    const char *src = g_getenv("VIREO_SOURCE_ROOT");
    g_autofree char *dir = NULL;
    g_autofree char *make = g_build_filename(src, "tools", "make-linux-guest",
                                             NULL);
    g_autofree char *extract = g_build_filename(src, "tools",
                                                "extract-vmlinux", NULL);

    if (g.vmlinuz)
        return &g;
    dir = g_strdup(g_getenv("VIREO_TEST_GUEST_DIR"));
    if (!dir)
        dir = g_build_filename(g_getenv("VIREO_BUILD_ROOT"), "guest-linux",
                               NULL);
    {
        const char *argv[] = {make, dir, NULL};

        run_tool(argv);
    }
    g.vmlinuz = g_build_filename(dir, "vmlinuz", NULL);
    g.initrd = g_build_filename(dir, "initrd.img", NULL);
    g.vmlinux = g_build_filename(dir, "vmlinux", NULL);
    {
        const char *argv[] = {extract, g.vmlinuz, g.vmlinux, NULL};

        run_tool(argv);
    }
    return &g;
}

static void boot(const char *kernel, const char *initrd)
{
    const char *extra[] = {"--memory", "512M", "--initrd", initrd, NULL};
    g_autoptr(GError) error = NULL;
    g_autoptr(VmmLive) live = NULL;
    g_autoptr(GVariant) ret = NULL;
    g_autofree char *out = NULL;

    live = vmm_live_start(kernel, "console=ttyS0 panic=-1", 1, extra,
                          &error);
    g_assert_no_error(error);
    /* /init ran: it prints the marker with the kernel's version */
    g_assert_true(vmm_live_wait_serial(live, MARKER " 6.", BOOT_TIMEOUT));
    out = vmm_live_serial(live);
    g_assert_nonnull(strstr(out, "Linux version 6."));
    /* and the power button powers it off (busybox acpid) */
    ret = g_dbus_connection_call_sync(
        live->conn, NULL, "/org/vireo/Vmm1", "org.vireo.Vmm1", "PowerButton",
        NULL, NULL, G_DBUS_CALL_FLAGS_NONE, 20000, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpint(vmm_live_wait_exit(live, BOOT_TIMEOUT), ==, 0);
    g_free(out);
    out = vmm_live_serial(live);
    g_assert_nonnull(strstr(out, "VIREO-GUEST-POWER-BUTTON"));
}

static void test_bzimage(void)
{
    LinuxGuest *g;

    if (!vmm_test_have_kvm() || !calibrate())
        return;
    g = linux_guest();
    boot(g->vmlinuz, g->initrd);
}

static void test_pvh(void)
{
    LinuxGuest *g;

    if (!vmm_test_have_kvm() || !calibrate())
        return;
    g = linux_guest();
    boot(g->vmlinux, g->initrd);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/vmm/linux/bzimage", test_bzimage);
    g_test_add_func("/vmm/linux/pvh-vmlinux", test_pvh);
    return g_test_run();
}
