/* test-control.c: the org.vireo.Vmm1 control API on a running vireo-vmm.
 *
 * Each test starts a real VMM with a test guest under /dev/kvm and drives
 * it over D-Bus peer to peer, as libvireo does: the properties, pause (no
 * guest progress while paused, progress again after resume), the ACPI
 * power button (the acpi-poweroff guest shuts down cleanly), reset, quit,
 * the statistics, and `gdbus introspect` on the live socket.  The timer
 * guest with forever=1 prints "tick N" every 100 timer interrupts, which
 * is the progress the tests watch.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "vmm-test-util.h"

#define OBJECT_PATH "/org/vireo/Vmm1"
#define IFACE "org.vireo.Vmm1"
#define TIMEOUT 60
#define CALL_TIMEOUT_MS 20000

/* ---- calls, properties, signals ---- */

static GVariant *call(VmmLive *live, const char *method, GError **error)
{
    return g_dbus_connection_call_sync(live->conn, NULL, OBJECT_PATH, IFACE,
                                       method, NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS,
                                       NULL, error);
}

static void call_ok(VmmLive *live, const char *method)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) ret = call(live, method, &error);

    g_assert_no_error(error);
    g_assert_nonnull(ret);
}

/* a method that must fail (the VM is in the wrong state) with @message */
static void call_fails(VmmLive *live, const char *method, const char *message)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) ret = call(live, method, &error);

    g_assert_null(ret);
    g_assert_error(error, G_DBUS_ERROR, G_DBUS_ERROR_FAILED);
    if (!strstr(error->message, message))
        g_error("%s failed with \"%s\", not \"%s\"", method, error->message,
                message);
}

static GVariant *get_property(VmmLive *live, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) ret = g_dbus_connection_call_sync(
        live->conn, NULL, OBJECT_PATH, "org.freedesktop.DBus.Properties",
        "Get", g_variant_new("(ss)", IFACE, name), G_VARIANT_TYPE("(v)"),
        G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, &error);
    GVariant *value;

    g_assert_no_error(error);
    g_variant_get(ret, "(v)", &value);
    return value;
}

static char *get_state(VmmLive *live)
{
    g_autoptr(GVariant) v = get_property(live, "State");

    return g_variant_dup_string(v, NULL);
}

static guint64 get_resets(VmmLive *live)
{
    g_autoptr(GVariant) v = get_property(live, "Resets");

    return g_variant_get_uint64(v);
}

/* the states StateChanged announced, in order */
typedef struct {
    GDBusConnection *conn;
    guint id;
    GPtrArray *states;
} Signals;

static void on_state_changed(GDBusConnection *conn, const char *sender,
                             const char *path, const char *iface,
                             const char *member, GVariant *params,
                             gpointer data)
{
    Signals *s = data;
    const char *state;

    g_variant_get(params, "(&s)", &state);
    g_ptr_array_add(s->states, g_strdup(state));
}

static Signals *signals_watch(VmmLive *live)
{
    Signals *s = g_new0(Signals, 1);

    s->conn = g_object_ref(live->conn);
    s->states = g_ptr_array_new_with_free_func(g_free);
    s->id = g_dbus_connection_signal_subscribe(
        live->conn, NULL, IFACE, "StateChanged", OBJECT_PATH, NULL,
        G_DBUS_SIGNAL_FLAGS_NONE, on_state_changed, s, NULL);
    return s;
}

static void signals_free(Signals *s)
{
    g_dbus_connection_signal_unsubscribe(s->conn, s->id);
    g_object_unref(s->conn);
    g_ptr_array_unref(s->states);
    g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Signals, signals_free)

/* index of @state among the announced states from @from on, or -1 */
static int signals_find(Signals *s, const char *state, guint from)
{
    for (guint i = from; i < s->states->len; i++)
        if (g_str_equal(s->states->pdata[i], state))
            return (int)i;
    return -1;
}

/* dispatches signals until @state was announced */
static gboolean signals_wait(Signals *s, const char *state, guint timeout_s)
{
    gint64 deadline = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;

    while (signals_find(s, state, 0) < 0 &&
           g_get_monotonic_time() < deadline) {
        if (!g_main_context_iteration(NULL, FALSE))
            g_usleep(5000);
    }
    if (signals_find(s, state, 0) >= 0)
        return TRUE;
    {
        g_autofree char *seen = NULL;

        g_ptr_array_add(s->states, NULL);
        seen = g_strjoinv(", ", (char **)s->states->pdata);
        g_ptr_array_remove_index(s->states, s->states->len - 1);
        g_test_message("StateChanged(\"%s\") never came; saw: %s", state,
                       seen);
    }
    return FALSE;
}

/* lets the main context dispatch for a while (a paused VM must stay
 * still meanwhile) */
static void dispatch_for(guint ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;

    while (g_get_monotonic_time() < end) {
        if (!g_main_context_iteration(NULL, FALSE))
            g_usleep(5000);
    }
}

/* ---- statistics ---- */

typedef struct {
    guint64 uptime_ns;
    GArray *vcpu_time_ns; /* guint64 */
    GHashTable *exits;    /* reason → guint64 (as a pointer-sized box) */
    GArray *vcpu_exits;   /* guint64 */
} Stats;

static void stats_free(Stats *st)
{
    g_array_unref(st->vcpu_time_ns);
    g_array_unref(st->vcpu_exits);
    g_hash_table_unref(st->exits);
    g_free(st);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Stats, stats_free)

static GArray *u64_array(GVariant *v)
{
    gsize n;
    const guint64 *a = g_variant_get_fixed_array(v, &n, sizeof(guint64));
    GArray *arr = g_array_sized_new(FALSE, FALSE, sizeof(guint64), (guint)n);

    g_array_append_vals(arr, a, (guint)n);
    return arr;
}

static Stats *get_stats(VmmLive *live)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) ret = g_dbus_connection_call_sync(
        live->conn, NULL, OBJECT_PATH, IFACE, "GetStats", NULL,
        G_VARIANT_TYPE("(tata{st}at)"), G_DBUS_CALL_FLAGS_NONE,
        CALL_TIMEOUT_MS, NULL, &error);
    g_autoptr(GVariant) times = NULL, exits = NULL, vcpu_exits = NULL;
    Stats *st = g_new0(Stats, 1);
    GVariantIter iter;
    const char *reason;
    guint64 n;

    g_assert_no_error(error);
    g_variant_get(ret, "(t@at@a{st}@at)", &st->uptime_ns, &times, &exits,
                  &vcpu_exits);
    st->vcpu_time_ns = u64_array(times);
    st->vcpu_exits = u64_array(vcpu_exits);
    st->exits = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_variant_iter_init(&iter, exits);
    while (g_variant_iter_next(&iter, "{&st}", &reason, &n))
        g_hash_table_insert(st->exits, g_strdup(reason),
                            g_memdup2(&n, sizeof(n)));
    return st;
}

static guint64 stats_exits(Stats *st, const char *reason)
{
    const guint64 *n = g_hash_table_lookup(st->exits, reason);

    g_assert_nonnull(n);
    return *n;
}

static guint64 stats_total_exits(Stats *st)
{
    GHashTableIter iter;
    gpointer value;
    guint64 sum = 0;

    g_hash_table_iter_init(&iter, st->exits);
    while (g_hash_table_iter_next(&iter, NULL, &value))
        sum += *(const guint64 *)value;
    return sum;
}

static guint64 u64_at(GArray *a, guint i)
{
    return g_array_index(a, guint64, i);
}

/* ---- the serial output ---- */

/* the highest N of the "tick N" lines so far (0 for none) */
static guint last_tick(const char *text)
{
    guint last = 0;

    for (const char *p = text; (p = strstr(p, "tick ")); p += 5) {
        char *end;
        guint64 n = g_ascii_strtoull(p + 5, &end, 10);

        if (end != p + 5 && (*end == '\r' || *end == '\n'))
            last = (guint)n;
    }
    return last;
}

static guint count(const char *text, const char *needle)
{
    guint n = 0;

    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* waits for a "tick N" line with N above @after; returns that N */
static guint wait_tick_after(VmmLive *live, guint after)
{
    g_autofree char *needle = g_strdup_printf("tick %u\r\n", after + 100);

    g_assert_true(vmm_live_wait_serial(live, needle, TIMEOUT));
    {
        g_autofree char *text = vmm_live_serial(live);

        return last_tick(text);
    }
}

/* waits until the timer guest started for the @n-th time and ticked */
static gboolean wait_boot(VmmLive *live, guint n)
{
    gint64 deadline = g_get_monotonic_time() + TIMEOUT * G_USEC_PER_SEC;

    while (g_get_monotonic_time() < deadline) {
        g_autofree char *out = vmm_live_serial(live);
        const char *last = g_strrstr(out, "timer started");

        if (count(out, "timer started") == n &&
            strstr(last, "tick 100\r\n"))
            return TRUE;
        g_usleep(10000);
    }
    {
        g_autofree char *out = vmm_live_serial(live);

        g_test_message("the guest did not start %u times:\n%s", n, out);
    }
    return FALSE;
}

static VmmLive *start(const char *guest, const char *cmdline, guint cpus,
                      const char *const *extra)
{
    g_autoptr(GError) error = NULL;
    VmmLive *live = vmm_live_start(guest, cmdline, cpus, extra, &error);

    g_assert_no_error(error);
    g_assert_nonnull(live);
    return live;
}

/* ---- the tests ---- */

static void test_properties(void)
{
    static const char uuid[] = "6b3d2a4e-1f0c-4b7e-9a55-0c1d2e3f4a5b";
    const char *extra[] = {"--uuid", uuid, NULL};
    g_autoptr(VmmLive) live = NULL;
    g_autoptr(GVariant) name = NULL, id = NULL, vcpus = NULL, mem = NULL;
    g_autoptr(GVariant) status = NULL, all = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *state = NULL;

    if (!vmm_test_have_kvm())
        return;
    live = start("timer", "forever=1", 2, extra);
    g_assert_true(vmm_live_wait_serial(live, "timer started", TIMEOUT));
    name = get_property(live, "Name");
    g_assert_cmpstr(g_variant_get_string(name, NULL), ==, "timer");
    id = get_property(live, "Uuid");
    g_assert_cmpstr(g_variant_get_string(id, NULL), ==, uuid);
    state = get_state(live);
    g_assert_cmpstr(state, ==, "running");
    vcpus = get_property(live, "Vcpus");
    g_assert_cmpuint(g_variant_get_uint32(vcpus), ==, 2);
    mem = get_property(live, "MemoryBytes");
    g_assert_cmpuint(g_variant_get_uint64(mem), ==, 32 * 1024 * 1024);
    g_assert_cmpuint(get_resets(live), ==, 0);
    status = get_property(live, "ExitStatus");
    g_assert_cmpint(g_variant_get_int32(status), ==, -1);

    /* GetAll has all seven; properties are read-only */
    all = g_dbus_connection_call_sync(
        live->conn, NULL, OBJECT_PATH, "org.freedesktop.DBus.Properties",
        "GetAll", g_variant_new("(s)", IFACE), G_VARIANT_TYPE("(a{sv})"),
        G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, &error);
    g_assert_no_error(error);
    {
        g_autoptr(GVariant) dict = g_variant_get_child_value(all, 0);

        g_assert_cmpuint(g_variant_n_children(dict), ==, 7);
    }
    {
        g_autoptr(GVariant) ret = g_dbus_connection_call_sync(
            live->conn, NULL, OBJECT_PATH, "org.freedesktop.DBus.Properties",
            "Set", g_variant_new("(ssv)", IFACE, "Name",
                                 g_variant_new_string("other")),
            NULL, G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, &error);

        g_assert_null(ret);
        g_assert_nonnull(error);
        g_clear_error(&error);
    }
    /* a random UUID without --uuid */
    {
        g_autoptr(VmmLive) other = start("timer", "forever=1", 1, NULL);
        g_autoptr(GVariant) v = get_property(other, "Uuid");

        g_assert_true(g_uuid_string_is_valid(g_variant_get_string(v, NULL)));
        g_assert_cmpstr(g_variant_get_string(v, NULL), !=, uuid);
    }
}

static void test_pause_resume(void)
{
    g_autoptr(VmmLive) live = NULL;
    g_autoptr(Signals) sig = NULL;
    g_autoptr(Stats) before = NULL, after = NULL;
    g_autofree char *out_before = NULL, *out_after = NULL;
    g_autofree char *state = NULL;
    guint tick;

    if (!vmm_test_have_kvm())
        return;
    live = start("timer", "forever=1", 1, NULL);
    sig = signals_watch(live);
    tick = wait_tick_after(live, 0);

    call_ok(live, "Pause");
    g_assert_true(signals_wait(sig, "paused", TIMEOUT));
    state = get_state(live);
    g_assert_cmpstr(state, ==, "paused");
    call_fails(live, "Pause", "the VM is paused, not running");
    call_fails(live, "PowerButton", "the VM is paused, not running");

    /* paused: not one more exit, byte of output or (almost) CPU time */
    out_before = vmm_live_serial(live);
    before = get_stats(live);
    dispatch_for(1500);
    out_after = vmm_live_serial(live);
    after = get_stats(live);
    g_assert_cmpstr(out_after, ==, out_before);
    g_assert_cmpuint(stats_total_exits(after), ==, stats_total_exits(before));
    g_assert_cmpuint(u64_at(after->vcpu_exits, 0), ==,
                     u64_at(before->vcpu_exits, 0));
    /* a waiting thread uses no CPU; a running timer guest here uses
     * most of a core */
    g_assert_cmpuint(u64_at(after->vcpu_time_ns, 0) -
                         u64_at(before->vcpu_time_ns, 0), <, 5000000);
    g_assert_cmpuint(after->uptime_ns, >, before->uptime_ns);

    call_ok(live, "Resume");
    g_assert_true(signals_wait(sig, "running", TIMEOUT));
    g_free(state);
    state = get_state(live);
    g_assert_cmpstr(state, ==, "running");
    call_fails(live, "Resume", "the VM is running, not paused");
    /* and the guest goes on from where it stopped */
    g_assert_cmpuint(last_tick(out_after), >=, tick);
    wait_tick_after(live, last_tick(out_after));
    g_clear_pointer(&after, stats_free);
    after = get_stats(live);
    g_assert_cmpuint(stats_total_exits(after), >, stats_total_exits(before));
}

static void test_power_button(void)
{
    g_autoptr(VmmLive) live = NULL;
    g_autoptr(Signals) sig = NULL;
    g_autofree char *out = NULL, *err = NULL;
    int running, stopped;

    if (!vmm_test_have_kvm())
        return;
    live = start("acpi-poweroff", NULL, 1, NULL);
    sig = signals_watch(live);
    g_assert_true(vmm_live_wait_serial(live, "waiting for the power button",
                                       TIMEOUT));
    call_ok(live, "PowerButton");
    g_assert_cmpint(vmm_live_wait_exit(live, TIMEOUT), ==, 0);
    out = vmm_live_serial(live);
    err = vmm_live_stderr(live);
    g_assert_nonnull(strstr(out, "power button pressed, powering off"));
    g_assert_null(strstr(out, "still running"));
    g_assert_nonnull(strstr(err, "powered off"));
    /* the VMM said so before it went */
    g_assert_true(signals_wait(sig, "stopped", TIMEOUT));
    running = signals_find(sig, "running", 0);
    stopped = signals_find(sig, "stopped", 0);
    g_assert_true(running < 0 || running < stopped);
    g_assert_false(g_file_test(live->control_path, G_FILE_TEST_EXISTS));
}

static void test_reset(void)
{
    g_autoptr(VmmLive) live = NULL;
    g_autoptr(Signals) sig = NULL;
    g_autofree char *state = NULL;
    g_autoptr(Stats) st = NULL;
    int starting;
    gint64 deadline;

    if (!vmm_test_have_kvm())
        return;
    live = start("timer", "forever=1", 1, NULL);
    sig = signals_watch(live);
    wait_tick_after(live, 0);
    call_ok(live, "Reset");
    /* the machine starts again from the kernel's entry point */
    g_assert_true(signals_wait(sig, "starting", TIMEOUT));
    g_assert_true(signals_wait(sig, "running", TIMEOUT));
    starting = signals_find(sig, "starting", 0);
    g_assert_cmpint(signals_find(sig, "running", (guint)starting), >,
                    starting);
    g_assert_true(wait_boot(live, 2));
    g_assert_cmpuint(get_resets(live), ==, 1);
    /* the new machine's vCPU ran */
    st = get_stats(live);
    g_assert_cmpuint(u64_at(st->vcpu_time_ns, 0), >, 0);

    /* a paused VM resets too, and runs after it */
    call_ok(live, "Pause");
    call_ok(live, "Reset");
    deadline = g_get_monotonic_time() + TIMEOUT * G_USEC_PER_SEC;
    while (get_resets(live) < 2 && g_get_monotonic_time() < deadline)
        dispatch_for(20);
    g_assert_cmpuint(get_resets(live), ==, 2);
    g_assert_true(wait_boot(live, 3));
    state = get_state(live);
    g_assert_cmpstr(state, ==, "running");
}

static void test_quit(void)
{
    g_autoptr(VmmLive) live = NULL;
    g_autoptr(Signals) sig = NULL;
    g_autofree char *err = NULL;

    if (!vmm_test_have_kvm())
        return;
    live = start("timer", "forever=1", 1, NULL);
    sig = signals_watch(live);
    wait_tick_after(live, 0);
    call_ok(live, "Quit");
    g_assert_cmpint(vmm_live_wait_exit(live, TIMEOUT), ==, 0);
    g_assert_true(signals_wait(sig, "stopped", TIMEOUT));
    g_assert_false(g_file_test(live->control_path, G_FILE_TEST_EXISTS));
    err = vmm_live_stderr(live);
    g_assert_null(strstr(err, "crashed"));

    /* a paused VM quits as well */
    {
        g_autoptr(VmmLive) paused = start("timer", "forever=1", 1, NULL);

        wait_tick_after(paused, 0);
        call_ok(paused, "Pause");
        call_ok(paused, "Quit");
        g_assert_cmpint(vmm_live_wait_exit(paused, TIMEOUT), ==, 0);
    }
}

static void test_stats(void)
{
    g_autoptr(VmmLive) live = NULL;
    g_autoptr(Stats) a = NULL, b = NULL;
    static const char *const reasons[] = {"io", "mmio", "hlt", "intr",
                                          "shutdown", "system-event", "other"};
    guint tick;

    if (!vmm_test_have_kvm())
        return;
    live = start("timer", "forever=1", 2, NULL);
    tick = wait_tick_after(live, 0);
    a = get_stats(live);
    tick = wait_tick_after(live, tick);
    b = get_stats(live);

    for (guint i = 0; i < G_N_ELEMENTS(reasons); i++)
        stats_exits(b, reasons[i]);
    g_assert_cmpuint(g_hash_table_size(b->exits), ==, G_N_ELEMENTS(reasons));
    g_assert_cmpuint(b->vcpu_time_ns->len, ==, 2);
    g_assert_cmpuint(b->vcpu_exits->len, ==, 2);
    /* the guest ran on vCPU 0 between the two: time, exits, uptime grew;
     * its port I/O (serial, PIC) shows as io exits */
    g_assert_cmpuint(b->uptime_ns, >, a->uptime_ns);
    g_assert_cmpuint(u64_at(b->vcpu_time_ns, 0), >, u64_at(a->vcpu_time_ns, 0));
    g_assert_cmpuint(u64_at(b->vcpu_exits, 0), >, u64_at(a->vcpu_exits, 0));
    g_assert_cmpuint(stats_exits(b, "io"), >, stats_exits(a, "io"));
    /* vCPU 1 waits for a SIPI that never comes: it uses no time */
    g_assert_cmpuint(u64_at(b->vcpu_time_ns, 1), <,
                     u64_at(b->vcpu_time_ns, 0));
    /* per-vCPU totals and totals by reason count the same exits */
    g_assert_cmpuint(u64_at(b->vcpu_exits, 0) + u64_at(b->vcpu_exits, 1), ==,
                     stats_total_exits(b));
}

/* gdbus, as a person would use it on a live VM */
static char *run_gdbus(VmmLive *live, const char *const *args)
{
    g_autofree char *gdbus = g_find_program_in_path("gdbus");
    g_autofree char *address = g_strconcat("unix:path=", live->control_path,
                                           NULL);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) error = NULL;
    char *out = NULL;
    g_autofree char *err = NULL;
    int status;

    g_ptr_array_add(argv, gdbus);
    g_ptr_array_add(argv, (gpointer)args[0]);
    g_ptr_array_add(argv, "--address");
    g_ptr_array_add(argv, address);
    g_ptr_array_add(argv, "--dest");
    g_ptr_array_add(argv, IFACE);
    g_ptr_array_add(argv, "--object-path");
    g_ptr_array_add(argv, OBJECT_PATH);
    for (args++; *args; args++)
        g_ptr_array_add(argv, (gpointer)*args);
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL,
                               G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, &error));
    g_assert_no_error(error);
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("gdbus %s failed:\n%s", (char *)argv->pdata[1], err);
    return out;
}

static void test_introspect(void)
{
    static const char *const introspect[] = {"introspect", NULL};
    static const char *const get_stats[] = {"call", "--method",
                                            IFACE ".GetStats", NULL};
    static const char *const shown[] = {
        "interface org.vireo.Vmm1 {", "Pause();", "Resume();",
        "PowerButton();", "Reset();", "Quit();",
        "InjectScancodes(in  ay scancodes);", "GetStats(out t uptime_ns,",
        "StateChanged(s state);", "readonly s Name = 'timer';",
        "readonly s State = 'running';", "readonly u Vcpus = 1;",
        "readonly t MemoryBytes = 33554432;",
        "interface org.freedesktop.DBus.Properties"};
    g_autoptr(VmmLive) live = NULL;
    g_autofree char *gdbus = g_find_program_in_path("gdbus");
    g_autofree char *out = NULL, *stats = NULL, *state = NULL, *err = NULL;

    if (!gdbus) {
        g_test_skip("gdbus (libglib2.0-bin) is not installed");
        return;
    }
    if (!vmm_test_have_kvm())
        return;
    live = start("timer", "forever=1", 1, NULL);
    out = run_gdbus(live, introspect);
    for (guint i = 0; i < G_N_ELEMENTS(shown); i++)
        if (!strstr(out, shown[i]))
            g_error("gdbus introspect does not show \"%s\":\n%s", shown[i],
                    out);
    stats = run_gdbus(live, get_stats);
    g_assert_true(g_str_has_prefix(stats, "(uint64 "));
    g_assert_nonnull(strstr(stats, "'io': uint64 "));

    /* the VM runs on, and our own connection still works */
    state = get_state(live);
    g_assert_cmpstr(state, ==, "running");
    /* with every client gone, the VMM ends cleanly on SIGTERM */
    g_dbus_connection_close_sync(live->conn, NULL, NULL);
    g_clear_object(&live->conn);
    dispatch_for(200);
    g_subprocess_send_signal(live->proc, SIGTERM);
    g_assert_cmpint(vmm_live_wait_exit(live, TIMEOUT), ==, 0);
    err = vmm_live_stderr(live);
    g_assert_null(strstr(err, "CRITICAL"));
    g_assert_null(strstr(err, "WARNING"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/vmm/control/properties", test_properties);
    g_test_add_func("/vmm/control/pause-resume", test_pause_resume);
    g_test_add_func("/vmm/control/power-button", test_power_button);
    g_test_add_func("/vmm/control/reset", test_reset);
    g_test_add_func("/vmm/control/quit", test_quit);
    g_test_add_func("/vmm/control/stats", test_stats);
    g_test_add_func("/vmm/control/introspect", test_introspect);
    return g_test_run();
}
