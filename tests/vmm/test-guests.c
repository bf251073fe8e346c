/* test-guests.c: every test guest under the real /dev/kvm.
 *
 * Each guest exercises one device from guest kernel mode and hands its
 * verdict to the debug-exit port: status 1 is a pass ((0 << 1) | 1).
 */
#include "vmm-test-util.h"

#include <string.h>
#include <sys/wait.h>

#define PASS 1
#define TIMEOUT 60

static void assert_pass(VmmRun *run)
{
    g_assert_false(run->timed_out);
    if (run->status != PASS)
        g_printerr("serial:\n%s\nstderr:\n%s\n", run->out, run->err);
    g_assert_cmpint(run->status, ==, PASS);
}

static void test_hello(void)
{
    g_autoptr(VmmRun) run = NULL;

    if (!vmm_test_have_kvm())
        return;
    run = vmm_run_guest("hello", NULL, 1, TIMEOUT);
    assert_pass(run);
    g_assert_nonnull(strstr(run->out, "Hello from a vireo test guest"));
}

static void test_exitcode(void)
{
    static const guint codes[] = {0, 1, 42, 127};

    if (!vmm_test_have_kvm())
        return;
    for (guint i = 0; i < G_N_ELEMENTS(codes); i++) {
        g_autofree char *cmdline = g_strdup_printf("code=%u", codes[i]);
        g_autofree char *line = g_strdup_printf("exit code %u", codes[i]);
        g_autoptr(VmmRun) run = vmm_run_guest("exitcode", cmdline, 1, TIMEOUT);

        g_assert_false(run->timed_out);
        g_assert_cmpint(run->status, ==, ((codes[i] << 1) | 1) & 0xff);
        g_assert_nonnull(strstr(run->out, line));
    }
}

static void test_smp(void)
{
    if (!vmm_test_have_kvm())
        return;
    for (guint cpus = 1; cpus <= 2; cpus++) {
        g_autoptr(VmmRun) run = vmm_run_guest("smp", NULL, cpus, TIMEOUT);
        g_autofree char *line = g_strdup_printf("%u of %u processors checked in",
                                                cpus, cpus);

        assert_pass(run);
        g_assert_nonnull(strstr(run->out, line));
        g_assert_nonnull(strstr(run->out, "SMP OK"));
        if (cpus == 2)
            g_assert_nonnull(strstr(run->out, "APIC ID 1 checked in"));
    }
}

static void test_rtc(void)
{
    g_autoptr(VmmRun) run = NULL;
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *year = g_strdup_printf("RTC %04d-", g_date_time_get_year(now));

    if (!vmm_test_have_kvm())
        return;
    run = vmm_run_guest("rtc", NULL, 1, TIMEOUT);
    assert_pass(run);
    g_assert_nonnull(strstr(run->out, "RTC OK"));
    /* the guest sees the host's date (UTC) */
    g_assert_nonnull(strstr(run->out, year));
}

static void test_pci(void)
{
    g_autoptr(VmmRun) run = NULL;

    if (!vmm_test_have_kvm())
        return;
    run = vmm_run_guest("pci", NULL, 1, TIMEOUT);
    assert_pass(run);
    g_assert_nonnull(strstr(run->out, "00:00.0 8086:1237 class 060000"));
    g_assert_nonnull(strstr(run->out, "PCI OK"));
}

static void test_timer(void)
{
    g_autoptr(VmmRun) run = NULL;

    if (!vmm_test_have_kvm())
        return;
    run = vmm_run_guest("timer", "ticks=50", 1, TIMEOUT);
    assert_pass(run);
    g_assert_nonnull(strstr(run->out, "50 timer interrupts"));
}

static void test_poweroff_now(void)
{
    g_autoptr(VmmRun) run = NULL;

    if (!vmm_test_have_kvm())
        return;
    /* the guest writes \_S5 to PM1a_CNT: a clean power-off, status 0 */
    run = vmm_run_guest("acpi-poweroff", "now=1", 1, TIMEOUT);
    g_assert_false(run->timed_out);
    g_assert_cmpint(run->status, ==, 0);
    g_assert_nonnull(strstr(run->out, "S5 type 5"));
    g_assert_null(strstr(run->out, "still running"));
    g_assert_nonnull(strstr(run->err, "powered off"));
}

static void test_i8042_reset(void)
{
    g_autofree char *kernel = vmm_test_guest("keyboard");
    const char *args[] = {"--memory", "32M", "--kernel", kernel, "--cmdline",
                          "reset=1", "--on-reboot", "exit", NULL};
    g_autoptr(VmmRun) run = NULL;

    if (!vmm_test_have_kvm())
        return;
    run = vmm_run(args, TIMEOUT);
    g_assert_false(run->timed_out);
    g_assert_cmpint(run->status, ==, 0);
    g_assert_nonnull(strstr(run->out, "resetting through the i8042"));
    g_assert_null(strstr(run->out, "still running"));
    g_assert_nonnull(strstr(run->err, "rebooted"));
}

static void test_qemu_compat(void)
{
    /* the very same guest binary boots under QEMU -kernel (PVH) */
    g_autofree char *qemu = g_find_program_in_path("qemu-system-x86_64");
    g_autofree char *kernel = vmm_test_guest("hello");
    g_autofree char *out = NULL;
    g_autoptr(GError) error = NULL;
    int status = 0;
    const char *argv[] = {"timeout", "-s", "KILL", "60", qemu, "-M", "microvm",
                          "-accel", "kvm", "-accel", "tcg",
                          /* some KVM hosts refuse QEMU's value of
                           * MSR_IA32_ARCH_CAPABILITIES (QEMU aborts) */
                          "-cpu", "max,-arch-capabilities", "-m", "32M",
                          "-nodefaults",
                          "-no-user-config", "-display", "none", "-serial",
                          "stdio", "-device",
                          "isa-debug-exit,iobase=0xf4,iosize=4", "-kernel",
                          kernel, NULL};

    if (!qemu) {
        g_test_skip("qemu-system-x86_64 is not installed");
        return;
    }
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH |
                               G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                               NULL, &status, &error));
    g_assert_no_error(error);
    g_assert_nonnull(strstr(out, "Hello from a vireo test guest"));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, PASS);
}

/* --check-kvm: a report that says whether and how fast KVM runs guests */
static void test_check_kvm(void)
{
    const char *args[] = {"--check-kvm", NULL};
    g_autoptr(VmmRun) run = vmm_run(args, TIMEOUT);

    g_assert_false(run->timed_out);
    g_assert_true(g_str_has_prefix(run->out, "status: "));
    g_assert_nonnull(strstr(run->out, "\nmessage: "));
    if (g_str_has_prefix(run->out, "status: ok") ||
        g_str_has_prefix(run->out, "status: slow")) {
        g_assert_cmpint(run->status, ==, 0);
        g_assert_nonnull(strstr(run->out, "\nguest-ips: "));
        g_assert_nonnull(strstr(run->out, "\nnative-ips: "));
    } else {
        g_assert_cmpint(run->status, ==, 3);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/vmm/guest/hello", test_hello);
    g_test_add_func("/vmm/guest/exitcode", test_exitcode);
    g_test_add_func("/vmm/guest/smp", test_smp);
    g_test_add_func("/vmm/guest/rtc", test_rtc);
    g_test_add_func("/vmm/guest/pci", test_pci);
    g_test_add_func("/vmm/guest/timer", test_timer);
    g_test_add_func("/vmm/guest/acpi-poweroff-now", test_poweroff_now);
    g_test_add_func("/vmm/guest/i8042-reset", test_i8042_reset);
    g_test_add_func("/vmm/guest/qemu-compat", test_qemu_compat);
    g_test_add_func("/vmm/cli/check-kvm", test_check_kvm);
    return g_test_run();
}
