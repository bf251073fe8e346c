/* test-bad-guests.c: guests that misbehave end only their own VM.
 *
 * The exitcode guest pokes ports and MMIO nobody implements (ignored,
 * logged at most once a second per bus, and summed up at the end), loops
 * on such exits for ever (the VMM stays in control: stats, pause, quit),
 * triple-faults (a crash: register dump, status 4 with --on-reboot=exit,
 * else a reset), or halts with interrupts off for good (hung, but it can
 * still be paused and ended).  A bystander VM runs meanwhile and must not
 * notice.
 */
#include <string.h>

#include "vmm-test-util.h"

#define TIMEOUT 60
#define STATUS_CRASH 4
#define CALL_TIMEOUT_MS 20000

static guint count(const char *text, const char *needle)
{
    guint n = 0;

    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static GVariant *call(VmmLive *live, const char *method,
                      const GVariantType *reply)
{
    g_autoptr(GError) error = NULL;
    GVariant *ret = g_dbus_connection_call_sync(
        live->conn, NULL, "/org/vireo/Vmm1", "org.vireo.Vmm1", method, NULL,
        reply, G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, &error);

    g_assert_no_error(error);
    return ret;
}

/* all exits of vCPU 0 so far */
static guint64 exits(VmmLive *live)
{
    g_autoptr(GVariant) ret = call(live, "GetStats",
                                   G_VARIANT_TYPE("(tata{st}at)"));
    g_autoptr(GVariant) per_vcpu = g_variant_get_child_value(ret, 3);
    guint64 n;

    g_variant_get_child(per_vcpu, 0, "t", &n);
    return n;
}

/* the "tick N" lines of the bystander (the timer guest) */
static guint ticks(VmmLive *live)
{
    g_autofree char *out = vmm_live_serial(live);

    return count(out, "tick ");
}

static VmmLive *bystander_start(void)
{
    g_autoptr(GError) error = NULL;
    VmmLive *live = vmm_live_start("timer", "forever=1", 1, NULL, &error);

    g_assert_no_error(error);
    g_assert_true(vmm_live_wait_serial(live, "tick 100\r\n", TIMEOUT));
    return live;
}

/* still running, and still ticking */
static void bystander_check(VmmLive *live, guint ticks_before)
{
    g_autofree char *err = NULL;
    gint64 deadline = g_get_monotonic_time() + TIMEOUT * G_USEC_PER_SEC;

    g_assert_nonnull(g_subprocess_get_identifier(live->proc));
    while (ticks(live) <= ticks_before && g_get_monotonic_time() < deadline)
        g_usleep(10000);
    g_assert_cmpuint(ticks(live), >, ticks_before);
    err = vmm_live_stderr(live);
    g_assert_cmpstr(err, ==, "");
}

/* the exitcode guest with @cmdline, once it said @says */
static VmmLive *bad_start(const char *cmdline, const char *says)
{
    g_autoptr(GError) error = NULL;
    VmmLive *live = vmm_live_start("exitcode", cmdline, 1, NULL, &error);

    g_assert_no_error(error);
    g_assert_true(vmm_live_wait_serial(live, says, TIMEOUT));
    return live;
}

static void test_unimplemented_io(void)
{
    g_autoptr(VmmLive) bystander = NULL;
    g_autoptr(VmmRun) run = NULL;
    const char *summary;
    guint before;

    if (!vmm_test_have_kvm())
        return;
    bystander = bystander_start();
    before = ticks(bystander);
    /* 20000 writes to a port nobody decodes, and MMIO far from RAM:
     * ignored, and the guest goes on to its verdict */
    run = vmm_run_guest("exitcode", "hammer=20000 wild=1 code=7", 1, TIMEOUT);
    g_assert_false(run->timed_out);
    g_assert_cmpint(run->status, ==, (7 << 1) | 1);
    g_assert_nonnull(strstr(run->out, "read ffffffff from unclaimed MMIO"));
    g_assert_nonnull(strstr(run->err, "unimplemented MMIO address "
                                      "0xd0000000"));
    /* rate-limited: a handful of lines, not 20000; the end sums them up */
    g_assert_cmpuint(count(run->err, "unimplemented port 0x1234"), >=, 1);
    g_assert_cmpuint(count(run->err, "unimplemented port 0x1234"), <=, 5);
    summary = strstr(run->err, "the guest made ");
    g_assert_nonnull(summary);
    g_assert_cmpuint(g_ascii_strtoull(summary + strlen("the guest made "),
                                      NULL, 10), >=, 20000);
    g_assert_nonnull(strstr(summary, " accesses to unimplemented ports in "
                                     "all, ignored"));
    bystander_check(bystander, before);
}

static void test_exit_loop(void)
{
    g_autoptr(VmmLive) bystander = NULL;
    g_autoptr(VmmLive) live = NULL;
    g_autoptr(GVariant) r1 = NULL, r2 = NULL, r3 = NULL;
    g_autofree char *err = NULL;
    guint64 e1, e2, e3;
    gint64 t0;
    double seconds;
    guint before, lines;

    if (!vmm_test_have_kvm())
        return;
    bystander = bystander_start();
    before = ticks(bystander);
    t0 = g_get_monotonic_time();
    live = bad_start("loop=1", "looping on exits");
    /* the guest exits and exits; the VMM keeps answering */
    e1 = exits(live);
    while ((e2 = exits(live)) < e1 + 1000)
        g_usleep(10000);
    /* and can stop it: while paused not one exit more */
    r1 = call(live, "Pause", NULL);
    e2 = exits(live);
    g_usleep(300000);
    g_assert_cmpuint(exits(live), ==, e2);
    r2 = call(live, "Resume", NULL);
    while ((e3 = exits(live)) <= e2)
        g_usleep(10000);
    r3 = call(live, "Quit", NULL);
    g_assert_cmpint(vmm_live_wait_exit(live, TIMEOUT), ==, 0);
    seconds = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;

    /* at most one line a second per bus, however long it ran, and the
     * sum at the end */
    err = vmm_live_stderr(live);
    lines = count(err, "unimplemented port 0x1234");
    g_assert_cmpuint(lines, >=, 1);
    g_assert_cmpfloat(lines, <=, seconds + 1);
    lines = count(err, "unimplemented MMIO address 0x");
    g_assert_cmpuint(lines, >=, 1);
    g_assert_cmpfloat(lines, <=, seconds + 1);
    g_assert_nonnull(strstr(err, "accesses to unimplemented ports in all"));
    g_assert_nonnull(strstr(err, "accesses to unimplemented MMIO addresses "
                                 "in all"));
    g_assert_null(strstr(err, "crashed"));
    bystander_check(bystander, before);
}

static void test_triple_fault(void)
{
    g_autoptr(VmmLive) bystander = NULL;
    g_autofree char *kernel = vmm_test_guest("exitcode");
    const char *args[] = {"--memory", "32M", "--kernel", kernel, "--cmdline",
                          "fault=1", "--on-reboot", "exit", NULL};
    g_autoptr(VmmRun) run = NULL;
    guint before;

    if (!vmm_test_have_kvm())
        return;
    bystander = bystander_start();
    before = ticks(bystander);
    /* with --on-reboot=exit: a crash, with the registers */
    run = vmm_run(args, TIMEOUT);
    g_assert_false(run->timed_out);
    g_assert_cmpint(run->status, ==, STATUS_CRASH);
    g_assert_nonnull(strstr(run->out, "triple fault now"));
    g_assert_null(strstr(run->out, "exit code"));
    g_assert_nonnull(strstr(run->err, "the guest crashed on vCPU 0: triple "
                                      "fault"));
    g_assert_nonnull(strstr(run->err, "vCPU 0 registers:"));
    g_assert_nonnull(strstr(run->err, "  rip "));
    g_assert_nonnull(strstr(run->err, "  cr0 "));
    g_assert_nonnull(strstr(run->err, "crashed (triple fault); ending"));

    /* by default a PC resets: the guest starts again (and faults again)
     * until told to quit */
    {
        g_autoptr(GError) error = NULL;
        g_autoptr(VmmLive) live = bad_start("fault=1", "triple fault now");
        g_autoptr(GVariant) ret = NULL;
        g_autofree char *err = NULL;
        gint64 deadline = g_get_monotonic_time() + TIMEOUT * G_USEC_PER_SEC;
        guint64 resets = 0;

        while (resets < 2 && g_get_monotonic_time() < deadline) {
            g_autoptr(GVariant) v = NULL;

            ret = g_dbus_connection_call_sync(
                live->conn, NULL, "/org/vireo/Vmm1",
                "org.freedesktop.DBus.Properties", "Get",
                g_variant_new("(ss)", "org.vireo.Vmm1", "Resets"),
                G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE,
                CALL_TIMEOUT_MS, NULL, &error);
            g_assert_no_error(error);
            g_variant_get(ret, "(v)", &v);
            resets = g_variant_get_uint64(v);
            g_clear_pointer(&ret, g_variant_unref);
            g_usleep(10000);
        }
        g_assert_cmpuint(resets, >=, 2);
        ret = call(live, "Quit", NULL);
        g_assert_cmpint(vmm_live_wait_exit(live, TIMEOUT), ==, 0);
        err = vmm_live_stderr(live);
        g_assert_cmpuint(count(err, "crashed (triple fault); restarting"), >=,
                         2);
    }
    bystander_check(bystander, before);
}

/* a guest halted with interrupts off never wakes up by itself; KVM
 * keeps its vCPU asleep inside KVM_RUN, and the VMM must still be able to
 * stop it */
static void test_hang(void)
{
    g_autoptr(VmmLive) bystander = NULL;
    g_autoptr(VmmLive) live = NULL;
    g_autoptr(GVariant) r1 = NULL, r2 = NULL, r3 = NULL;
    g_autofree char *err = NULL;
    guint64 e1;
    guint before;

    if (!vmm_test_have_kvm())
        return;
    bystander = bystander_start();
    before = ticks(bystander);
    live = bad_start("halt=1", "halting for good");
    e1 = exits(live);
    r1 = call(live, "Pause", NULL);
    r2 = call(live, "Resume", NULL);
    g_usleep(100000);
    g_assert_cmpuint(exits(live), <=, e1 + 2); /* the kicks, if any */
    r3 = call(live, "Quit", NULL);
    g_assert_cmpint(vmm_live_wait_exit(live, TIMEOUT), ==, 0);
    err = vmm_live_stderr(live);
    g_assert_null(strstr(err, "crashed"));
    bystander_check(bystander, before);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/vmm/bad-guest/unimplemented-io", test_unimplemented_io);
    g_test_add_func("/vmm/bad-guest/exit-loop", test_exit_loop);
    g_test_add_func("/vmm/bad-guest/triple-fault", test_triple_fault);
    g_test_add_func("/vmm/bad-guest/hang", test_hang);
    return g_test_run();
}
