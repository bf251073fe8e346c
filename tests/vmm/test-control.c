/* test-control.c: the org.vireo.Vmm1 control API on a running vireo-vmm.
 *
 * Each test starts a real VMM with a test guest under /dev/kvm and drives
 * it over D-Bus peer to peer, as libvireo does: the properties, pause (no
 * guest progress while paused, progress again after resume), the ACPI
 * power button (the acpi-poweroff guest shuts down cleanly), reset, quit,
 * the statistics, and `gdbus introspect` on the live socket; then the
 * races of the server's own thread with the main loop: a crowd of
 * clients calling at once while the VM runs, quits, gets SIGTERM or
 * powers off, and clients that stay silent, hang up mid-handshake or
 * read none of their answers as the VM ends.  The timer guest with
 * forever=1 prints "tick N" every 100 timer interrupts, which is the
 * progress the tests watch.
 */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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

/* the states StateChanged announced, in order, and whether the
 * connection closed (and had heard "stopped" by then) */
typedef struct {
    GDBusConnection *conn;
    guint id;
    GPtrArray *states;
    gboolean closed;
    gboolean stopped_at_close;
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

/* index of @state among the announced states from @from on, or -1 */
static int signals_find(Signals *s, const char *state, guint from)
{
    for (guint i = from; i < s->states->len; i++)
        if (g_str_equal(s->states->pdata[i], state))
            return (int)i;
    return -1;
}

/* "closed" comes through the connection's context after the signals
 * that arrived before it */
static void on_signals_closed(GDBusConnection *conn, gboolean vanished,
                              GError *error, Signals *s)
{
    s->closed = TRUE;
    s->stopped_at_close = signals_find(s, "stopped", 0) >= 0;
}

/* on @conn, through the calling thread's default context */
static Signals *signals_watch_conn(GDBusConnection *conn)
{
    Signals *s = g_new0(Signals, 1);

    s->conn = g_object_ref(conn);
    s->states = g_ptr_array_new_with_free_func(g_free);
    s->id = g_dbus_connection_signal_subscribe(
        conn, NULL, IFACE, "StateChanged", OBJECT_PATH, NULL,
        G_DBUS_SIGNAL_FLAGS_NONE, on_state_changed, s, NULL);
    g_signal_connect(conn, "closed", G_CALLBACK(on_signals_closed), s);
    return s;
}

static Signals *signals_watch(VmmLive *live)
{
    return signals_watch_conn(live->conn);
}

static void signals_free(Signals *s)
{
    g_signal_handlers_disconnect_by_data(s->conn, s);
    g_dbus_connection_signal_unsubscribe(s->conn, s->id);
    g_object_unref(s->conn);
    g_ptr_array_unref(s->states);
    g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Signals, signals_free)

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

/* GetStats' (tata{st}at) */
static Stats *stats_parse(GVariant *ret)
{
    g_autoptr(GVariant) times = NULL, exits = NULL, vcpu_exits = NULL;
    Stats *st = g_new0(Stats, 1);
    GVariantIter iter;
    const char *reason;
    guint64 n;

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

static Stats *get_stats(VmmLive *live)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) ret = g_dbus_connection_call_sync(
        live->conn, NULL, OBJECT_PATH, IFACE, "GetStats", NULL,
        G_VARIANT_TYPE("(tata{st}at)"), G_DBUS_CALL_FLAGS_NONE,
        CALL_TIMEOUT_MS, NULL, &error);

    g_assert_no_error(error);
    return stats_parse(ret);
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

static gboolean ticked_to(const char *text, gpointer n)
{
    return last_tick(text) >= GPOINTER_TO_UINT(n);
}

/* waits for a "tick N" line with N at least @after + 100; returns that
 * N.  (Not for "tick @after + 100" itself: the guest prints a line once
 * 100 more ticks came, with the count it has then, and after a pause
 * the PIT delivers the ticks it held back in a burst, so that a line can
 * say "tick 2101" and the next "tick 2200".) */
static guint wait_tick_after(VmmLive *live, guint after)
{
    g_autofree char *what = g_strdup_printf("\"tick N\" with N >= %u",
                                            after + 100);

    g_assert_true(vmm_live_wait_serial_until(
        live, ticked_to, GUINT_TO_POINTER(after + 100), what, TIMEOUT));
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

/* ---- bare sockets ---- */

static int raw_connect(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* FALSE once the peer is gone */
static gboolean raw_send(int fd, const void *data, gsize len)
{
    while (len) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        data = (const char *)data + n;
        len -= (gsize)n;
    }
    return TRUE;
}

/* the client's side of D-Bus' authentication, as GDBus does it */
static char *auth_lines(void)
{
    g_autofree char *uid = g_strdup_printf("%u", (unsigned)getuid());
    g_autoptr(GString) s = g_string_new(NULL);

    g_string_append_len(s, "\0AUTH EXTERNAL ", 15);
    for (const char *p = uid; *p; p++)
        g_string_append_printf(s, "%02x", (unsigned char)*p);
    g_string_append(s, "\r\n");
    return g_string_free(g_steal_pointer(&s), FALSE);
}

/* reads what @fd gets within @timeout_ms, up to @size - 1 bytes, or
 * until the peer closes (*eof) */
static gsize raw_read(int fd, char *buf, gsize size, int timeout_ms,
                      gboolean *eof)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000;
    gsize got = 0;

    *eof = FALSE;
    while (got + 1 < size && !*eof) {
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t n;

        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        n = recv(fd, buf + got, size - 1 - got, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            *eof = TRUE;
        else
            got += (gsize)n;
        /* an authentication reply is one line */
        if (memchr(buf, '\n', got))
            break;
    }
    buf[got] = '\0';
    return got;
}

/* ---- many clients at once ----
 *
 * The control server runs on a thread of its own and hands each method
 * to the main loop, which runs the VM's lifecycle; these tests race that
 * hand-over with itself and with the VM's end.  A crowd of clients, each
 * with a connection and a thread of its own, keeps WINDOW calls in
 * flight (GetStats, Pause, Resume, a State read) and checks every
 * answer: a result, a refusal for the VM's state, or, once the VM may be
 * ending, "The VM is ending" or a closed connection; never a call that
 * hangs, nor another error.  Beside them, for a VM that ends, a client
 * on a bare socket checks what went over the wire: the last StateChanged
 * before the end of the connection. */

#define N_CLIENTS 8
#define WINDOW 4
/* a call that takes this long hangs */
#define HANG_MS 8000
/* a VMM told to end ends within this (it takes well under a second) */
#define END_TIMEOUT 10

typedef enum {
    CALL_STATS,
    CALL_PAUSE,
    CALL_RESUME,
    CALL_STATE,
    N_CALLS,
} CallKind;

static const char *const call_names[N_CALLS] = {"GetStats", "Pause",
                                                "Resume", "Get(State)"};

/* what a client saw go wrong, for the test to tell once it is done */
typedef struct {
    char who[32];
    GString *problems;
} Report;

static void report(Report *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void report(Report *r, const char *fmt, ...)
{
    va_list ap;

    /* enough to tell what went wrong */
    if (r->problems->len > 4000)
        return;
    g_string_append_printf(r->problems, "%s: ", r->who);
    va_start(ap, fmt);
    g_string_append_vprintf(r->problems, fmt, ap);
    va_end(ap);
    g_string_append_c(r->problems, '\n');
}

typedef struct Crowd Crowd;

typedef struct {
    Crowd *crowd;
    guint index;
    GThread *thread;
    GMainContext *ctx; /* the thread's: calls, signals, "closed" */
    GDBusConnection *conn;
    Signals *sig;
    GRand *rand;
    guint in_flight;
    gboolean ended; /* a call was told the VM is ending */
    gboolean gone;  /* a call found the connection closed */
    Stats *last;    /* the latest GetStats of a live VM */
    guint n_ok[N_CALLS], n_refused, n_ending, n_closed;
    Report report;
} Client;

/* A client on a bare socket, beside the crowd of a VM that ends: it
 * keeps RAW_WINDOW calls in flight and reads all that comes until the
 * end of the connection, so that it sees what the VMM sent.  (A GDBus
 * client whose write fails as the VMM goes closes its connection at
 * once and may drop what it had still to read, StateChanged("stopped")
 * among it.) */
#define RAW_WINDOW 8

typedef struct {
    const char *path;
    GThread *thread;
    guint sent, answers, refusals, ending;
    gboolean stopped; /* StateChanged("stopped") came */
    Report report;
} RawClient;

/* one message from the VMM */
static void raw_received(RawClient *r, GDBusMessage *msg)
{
    GVariant *body = g_dbus_message_get_body(msg);
    const char *text = NULL;

    switch (g_dbus_message_get_message_type(msg)) {
    case G_DBUS_MESSAGE_TYPE_METHOD_RETURN:
        r->answers++;
        break;
    case G_DBUS_MESSAGE_TYPE_ERROR:
        if (body && g_variant_is_of_type(body, G_VARIANT_TYPE("(s)")))
            g_variant_get(body, "(&s)", &text);
        if (g_strcmp0(g_dbus_message_get_error_name(msg),
                      "org.freedesktop.DBus.Error.Failed") == 0 && text &&
            g_str_has_prefix(text, "Cannot "))
            r->refusals++;
        else if (g_strcmp0(text, "The VM is ending; it takes no more "
                                 "requests.") == 0)
            r->ending++;
        else
            report(&r->report, "error %s: %s", g_dbus_message_get_error_name(msg),
                        text ? text : "");
        break;
    case G_DBUS_MESSAGE_TYPE_SIGNAL:
        if (g_strcmp0(g_dbus_message_get_member(msg), "StateChanged") != 0)
            break;
        if (r->stopped)
            report(&r->report, "a StateChanged after \"stopped\"");
        g_variant_get(body, "(&s)", &text);
        r->stopped = g_str_equal(text, "stopped");
        break;
    case G_DBUS_MESSAGE_TYPE_METHOD_CALL:
    case G_DBUS_MESSAGE_TYPE_INVALID:
        report(&r->report, "a message of type %d",
                    g_dbus_message_get_message_type(msg));
        break;
    }
}

/* the D-Bus messages at the start of @in, taken from it */
static void raw_parse(RawClient *r, GByteArray *in)
{
    while (in->len >= 16) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusMessage) msg = NULL;
        gssize need = g_dbus_message_bytes_needed(in->data, in->len, &error);

        if (need < 0) {
            report(&r->report, "a bad message: %s", error->message);
            g_byte_array_set_size(in, 0);
            return;
        }
        if ((gsize)need > in->len)
            return;
        msg = g_dbus_message_new_from_blob(in->data, (gsize)need,
                                           G_DBUS_CAPABILITY_FLAGS_NONE,
                                           &error);
        if (msg)
            raw_received(r, msg);
        else
            report(&r->report, "a bad message: %s", error->message);
        g_byte_array_remove_range(in, 0, (guint)need);
    }
}

static GBytes *raw_call(guint32 serial)
{
    static const char *const methods[] = {"Pause", "GetStats", "Resume"};
    g_autoptr(GDBusMessage) msg = g_dbus_message_new_method_call(
        NULL, OBJECT_PATH, IFACE, methods[serial % 3]);
    guchar *blob;
    gsize size;

    g_dbus_message_set_serial(msg, serial);
    blob = g_dbus_message_to_blob(msg, &size, G_DBUS_CAPABILITY_FLAGS_NONE,
                                  NULL);
    g_assert_nonnull(blob);
    return g_bytes_new_take(blob, size);
}

/* @fd authenticated and past BEGIN; FALSE if the VMM would not */
static gboolean raw_authenticate(int fd)
{
    g_autofree char *auth = auth_lines();
    char buf[256];
    gboolean eof;

    if (!raw_send(fd, auth, strlen(auth + 1) + 1))
        return FALSE;
    raw_read(fd, buf, sizeof(buf), CALL_TIMEOUT_MS, &eof);
    if (!g_str_has_prefix(buf, "OK "))
        return FALSE;
    return raw_send(fd, "BEGIN\r\n", 7);
}

static gpointer raw_client_main(gpointer data)
{
    RawClient *r = data;
    g_autoptr(GByteArray) in = g_byte_array_new();
    g_autoptr(GBytes) out = NULL; /* the call being written */
    gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    gsize out_done = 0;
    gboolean writing = TRUE;
    int fd = raw_connect(r->path);

    if (fd < 0 || !raw_authenticate(fd)) {
        report(&r->report, "cannot connect");
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        char buf[16384];
        ssize_t n;

        if (g_get_monotonic_time() > deadline) {
            report(&r->report, "the connection never ended");
            break;
        }
        if (writing && !out && r->sent - r->answers - r->refusals -
                                       r->ending < RAW_WINDOW) {
            out = raw_call(++r->sent);
            out_done = 0;
        }
        if (out)
            p.events |= POLLOUT;
        if (poll(&p, 1, 100) <= 0)
            continue;
        if (p.revents & POLLOUT) {
            gsize size;
            const char *blob = g_bytes_get_data(out, &size);

            n = send(fd, blob + out_done, size - out_done,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0 && (out_done += (gsize)n) == size)
                g_clear_pointer(&out, g_bytes_unref);
            /* the VMM went: what it sent is still to read */
            if (n < 0 && errno != EAGAIN && errno != EINTR) {
                writing = FALSE;
                g_clear_pointer(&out, g_bytes_unref);
            }
        }
        if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        /* the end, or ECONNRESET, which comes after all there was to
         * read (the VMM left some of our calls unread) */
        if (n <= 0)
            break;
        g_byte_array_append(in, (const guint8 *)buf, (guint)n);
        raw_parse(r, in);
    }
    if (in->len)
        report(&r->report, "%u bytes of a message, then the end", in->len);
    if (!r->stopped)
        report(&r->report, "the connection ended without "
                    "StateChanged(\"stopped\") (%u answers, %u refusals, "
                    "%u \"ending\")", r->answers, r->refusals, r->ending);
    close(fd);
    return NULL;
}

struct Crowd {
    VmmLive *live;
    guint n_cpus;
    gboolean ending; /* the VM may end under the clients */
    gint stop;       /* atomic: send no more */
    GMutex lock;
    GCond cond;
    guint ready;
    gboolean go;
    Client clients[N_CLIENTS];
    RawClient raw; /* for a VM that ends */
};

/* @now came after @before on one connection: no counter went back, and
 * the per-vCPU totals count the same exits as the totals by reason */
static void check_stats(Client *c, Stats *before, Stats *now)
{
    GHashTableIter iter;
    gpointer key, value;
    guint64 sum = 0;

    if (now->vcpu_time_ns->len != c->crowd->n_cpus ||
        now->vcpu_exits->len != c->crowd->n_cpus) {
        report(&c->report, "GetStats has %u/%u vCPUs, not %u",
                       now->vcpu_time_ns->len, now->vcpu_exits->len,
                       c->crowd->n_cpus);
        return;
    }
    for (guint i = 0; i < now->vcpu_exits->len; i++)
        sum += u64_at(now->vcpu_exits, i);
    if (sum != stats_total_exits(now))
        report(&c->report, "GetStats: %" G_GUINT64_FORMAT " exits by vCPU, "
                       "%" G_GUINT64_FORMAT " by reason", sum,
                       stats_total_exits(now));
    if (!before)
        return;
    if (now->uptime_ns < before->uptime_ns)
        report(&c->report, "uptime went back from %" G_GUINT64_FORMAT
                       " to %" G_GUINT64_FORMAT, before->uptime_ns,
                       now->uptime_ns);
    for (guint i = 0; i < now->vcpu_exits->len; i++) {
        if (u64_at(now->vcpu_time_ns, i) < u64_at(before->vcpu_time_ns, i))
            report(&c->report, "vCPU %u's time went back from %"
                   G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT " ns", i,
                   u64_at(before->vcpu_time_ns, i),
                   u64_at(now->vcpu_time_ns, i));
        if (u64_at(now->vcpu_exits, i) < u64_at(before->vcpu_exits, i))
            report(&c->report, "vCPU %u's exits went back from %"
                   G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT, i,
                   u64_at(before->vcpu_exits, i),
                   u64_at(now->vcpu_exits, i));
    }
    g_hash_table_iter_init(&iter, before->exits);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        const guint64 *n = g_hash_table_lookup(now->exits, key);

        if (!n || *n < *(const guint64 *)value)
            report(&c->report, "the %s exits went back", (char *)key);
    }
}

static void client_ok(Client *c, CallKind kind, GVariant *ret)
{
    g_autoptr(GVariant) v = NULL;
    Stats *st;
    const char *state;

    /* after "ending" nothing reaches the main loop any more; a property
     * is the control thread's own */
    if ((c->ended || c->gone) && kind != CALL_STATE)
        report(&c->report, "%s went through after the VM said it was ending",
                       call_names[kind]);
    c->n_ok[kind]++;
    switch (kind) {
    case CALL_STATS:
        st = stats_parse(ret);
        /* a VM that has stopped has nothing to count */
        if (c->crowd->ending && st->uptime_ns == 0 &&
            st->vcpu_time_ns->len == 0) {
            stats_free(st);
            break;
        }
        check_stats(c, c->last, st);
        g_clear_pointer(&c->last, stats_free);
        c->last = st;
        break;
    case CALL_STATE:
        g_variant_get(ret, "(v)", &v);
        state = g_variant_get_string(v, NULL);
        if (!g_str_equal(state, "running") && !g_str_equal(state, "paused") &&
            !(c->crowd->ending && g_str_equal(state, "stopped")))
            report(&c->report, "State is \"%s\"", state);
        break;
    case CALL_PAUSE:
    case CALL_RESUME:
    case N_CALLS:
        break;
    }
}

/* the refusal @kind gets when the VM is in another state */
static gboolean refused(Client *c, CallKind kind, const char *message)
{
    const char *expect[2] = {NULL, NULL};

    if (kind == CALL_PAUSE) {
        expect[0] = "Cannot pause: the VM is paused, not running.";
        expect[1] = "Cannot pause: the VM is stopped, not running.";
    } else if (kind == CALL_RESUME) {
        expect[0] = "Cannot resume: the VM is running, not paused.";
        expect[1] = "Cannot resume: the VM is stopped, not paused.";
    }
    return (expect[0] && g_str_equal(message, expect[0])) ||
           (c->crowd->ending && expect[1] && g_str_equal(message, expect[1]));
}

static void client_error(Client *c, CallKind kind, GError *error)
{
    if (c->crowd->ending && g_error_matches(error, G_IO_ERROR,
                                            G_IO_ERROR_CLOSED)) {
        c->gone = TRUE;
        c->n_closed++;
        return;
    }
    if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_FAILED)) {
        g_dbus_error_strip_remote_error(error);
        if (c->crowd->ending && kind != CALL_STATE &&
            g_str_equal(error->message,
                        "The VM is ending; it takes no more requests.")) {
            c->ended = TRUE;
            c->n_ending++;
            return;
        }
        if (refused(c, kind, error->message)) {
            c->n_refused++;
            return;
        }
    }
    report(&c->report, "%s failed: %s (%s %d)%s", call_names[kind],
                   error->message, g_quark_to_string(error->domain),
                   error->code,
                   g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
                       ? ": the VMM hangs"
                       : "");
}

typedef struct {
    Client *client;
    CallKind kind;
} Pending;

static void client_send(Client *c);

static void on_client_reply(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autofree Pending *p = data;
    Client *c = p->client;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) ret = g_dbus_connection_call_finish(
        G_DBUS_CONNECTION(source), res, &error);

    c->in_flight--;
    if (ret)
        client_ok(c, p->kind, ret);
    else
        client_error(c, p->kind, error);
    while (!c->gone && !g_atomic_int_get(&c->crowd->stop) &&
           c->in_flight < WINDOW)
        client_send(c);
}

static void client_send(Client *c)
{
    Pending *p = g_new0(Pending, 1);
    gint32 r = g_rand_int_range(c->rand, 0, 100);
    const char *iface = IFACE, *method;
    GVariant *params = NULL;
    const GVariantType *type = NULL;

    p->client = c;
    /* mostly reads, and as many pauses as resumes */
    p->kind = r < 40 ? CALL_STATS
              : r < 65 ? CALL_PAUSE
              : r < 90 ? CALL_RESUME
                       : CALL_STATE;
    method = call_names[p->kind];
    if (p->kind == CALL_STATS) {
        type = G_VARIANT_TYPE("(tata{st}at)");
    } else if (p->kind == CALL_STATE) {
        iface = "org.freedesktop.DBus.Properties";
        method = "Get";
        params = g_variant_new("(ss)", IFACE, "State");
        type = G_VARIANT_TYPE("(v)");
    }
    c->in_flight++;
    g_dbus_connection_call(c->conn, NULL, OBJECT_PATH, iface, method, params,
                           type, G_DBUS_CALL_FLAGS_NONE, HANG_MS, NULL,
                           on_client_reply, p);
}

static gboolean wake_up(gpointer data)
{
    return G_SOURCE_CONTINUE;
}

static gpointer client_main(gpointer data)
{
    Client *c = data;
    Crowd *crowd = c->crowd;
    g_autoptr(GError) error = NULL;
    g_autoptr(GSource) tick = g_timeout_source_new(20);
    gint64 deadline = 0;

    g_main_context_push_thread_default(c->ctx);
    /* the connection's "closed" and its signals come here */
    c->conn = vmm_test_connect_control(crowd->live->control_path,
                                       crowd->live->proc, 20, &error);
    if (c->conn) {
        g_autoptr(GVariant) ret = NULL;

        c->sig = signals_watch_conn(c->conn);
        /* once this is answered, the server serves the connection (the
         * handshake ends on our side a moment before): the signals of
         * the other clients' calls reach it */
        ret = g_dbus_connection_call_sync(
            c->conn, NULL, OBJECT_PATH, "org.freedesktop.DBus.Properties",
            "Get", g_variant_new("(ss)", IFACE, "State"),
            G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, HANG_MS, NULL,
            &error);
        if (!ret)
            report(&c->report, "cannot read State: %s", error->message);
    } else {
        report(&c->report, "cannot connect: %s", error->message);
    }
    g_mutex_lock(&crowd->lock);
    crowd->ready++;
    g_cond_broadcast(&crowd->cond);
    while (!crowd->go)
        g_cond_wait(&crowd->cond, &crowd->lock);
    g_mutex_unlock(&crowd->lock);
    if (!c->conn)
        goto out;
    /* to look at the stop flag now and then */
    g_source_set_callback(tick, wake_up, NULL, NULL);
    g_source_attach(tick, c->ctx);
    while (c->in_flight < WINDOW)
        client_send(c);
    /* until every call is answered and, for a VM that ends, the
     * connection has closed */
    for (;;) {
        gboolean stop = g_atomic_int_get(&crowd->stop);

        if (!c->in_flight && (crowd->ending ? c->sig->closed : stop))
            break;
        if (stop && !deadline)
            deadline = g_get_monotonic_time() +
                       (HANG_MS + 2000) * G_GINT64_CONSTANT(1000);
        if (deadline && g_get_monotonic_time() > deadline) {
            report(&c->report, "%u calls unanswered%s", c->in_flight,
                           crowd->ending && !c->sig->closed
                               ? ", and the connection never closed"
                               : "");
            break;
        }
        g_main_context_iteration(c->ctx, TRUE);
    }
    g_source_destroy(tick);
out:
    g_main_context_pop_thread_default(c->ctx);
    return NULL;
}

/* @n_cpus: the VM's, which GetStats must show; @ending: the VM may end
 * while the clients call */
static Crowd *crowd_start(VmmLive *live, guint n_cpus, gboolean ending)
{
    Crowd *crowd = g_new0(Crowd, 1);

    crowd->live = live;
    crowd->n_cpus = n_cpus;
    crowd->ending = ending;
    g_mutex_init(&crowd->lock);
    g_cond_init(&crowd->cond);
    for (guint i = 0; i < N_CLIENTS; i++) {
        Client *c = &crowd->clients[i];

        c->crowd = crowd;
        c->index = i;
        c->ctx = g_main_context_new();
        c->rand = g_rand_new_with_seed(g_test_rand_int());
        g_snprintf(c->report.who, sizeof(c->report.who), "client %u", i);
        c->report.problems = g_string_new(NULL);
        c->thread = g_thread_new("vmm-test-client", client_main, c);
    }
    if (ending) {
        crowd->raw.path = live->control_path;
        g_strlcpy(crowd->raw.report.who, "the bare client",
                  sizeof(crowd->raw.report.who));
        crowd->raw.report.problems = g_string_new(NULL);
        crowd->raw.thread = g_thread_new("vmm-test-raw", raw_client_main,
                                         &crowd->raw);
    }
    /* all connected (or failed to), then all at once */
    g_mutex_lock(&crowd->lock);
    while (crowd->ready < N_CLIENTS)
        g_cond_wait(&crowd->cond, &crowd->lock);
    crowd->go = TRUE;
    g_cond_broadcast(&crowd->cond);
    g_mutex_unlock(&crowd->lock);
    return crowd;
}

/* the clients send no more; returns once every call has its answer
 * (and, for a VM that ended, every connection has closed) */
static void crowd_stop(Crowd *crowd)
{
    g_atomic_int_set(&crowd->stop, 1);
    for (guint i = 0; i < N_CLIENTS; i++) {
        Client *c = &crowd->clients[i];

        if (c->thread)
            g_thread_join(c->thread);
        c->thread = NULL;
    }
    /* (it ends with the connection) */
    if (crowd->raw.thread)
        g_thread_join(crowd->raw.thread);
    crowd->raw.thread = NULL;
}

/* no client saw anything wrong, and each got answers */
static void crowd_check(Crowd *crowd)
{
    g_autoptr(GString) problems = g_string_new(NULL);
    guint n[N_CALLS] = {0}, refusals = 0, ending = 0, closed = 0;

    for (guint i = 0; i < N_CLIENTS; i++) {
        Client *c = &crowd->clients[i];
        guint answered = c->n_refused + c->n_ending + c->n_closed;

        for (int k = 0; k < N_CALLS; k++) {
            n[k] += c->n_ok[k];
            answered += c->n_ok[k];
        }
        refusals += c->n_refused;
        ending += c->n_ending;
        closed += c->n_closed;
        g_string_append(problems, c->report.problems->str);
        if (!c->report.problems->len && c->n_ok[CALL_STATS] == 0)
            g_string_append_printf(problems, "client %u: no GetStats went "
                                   "through (%u answers)\n", i, answered);
    }
    g_test_message("%u GetStats, %u Pause, %u Resume, %u State; %u refused, "
                   "%u \"ending\", %u closed", n[CALL_STATS], n[CALL_PAUSE],
                   n[CALL_RESUME], n[CALL_STATE], refusals, ending, closed);
    if (problems->len)
        g_error("%s", problems->str);
}

/* the VM ended under the crowd: every connection closed; the bare
 * client heard that the VM stopped before its connection ended, and
 * the GDBus clients that heard it (see RawClient) heard it last */
static void crowd_check_end(Crowd *crowd)
{
    guint missed = 0;

    if (crowd->raw.report.problems->len)
        g_error("%s", crowd->raw.report.problems->str);
    g_test_message("the bare client: %u calls, %u answers, %u refusals, "
                   "%u \"ending\"", crowd->raw.sent, crowd->raw.answers,
                   crowd->raw.refusals, crowd->raw.ending);
    for (guint i = 0; i < N_CLIENTS; i++) {
        Client *c = &crowd->clients[i];
        GPtrArray *states = c->sig->states;
        int stopped;

        g_assert_true(c->sig->closed);
        while (g_main_context_iteration(c->ctx, FALSE))
            ;
        stopped = signals_find(c->sig, "stopped", 0);
        if (stopped < 0)
            missed++;
        else if (stopped != (int)states->len - 1)
            g_error("client %u heard StateChanged(\"%s\") after "
                    "\"stopped\"", i, (char *)states->pdata[stopped + 1]);
    }
    g_test_message("%u of %u GDBus clients lost StateChanged(\"stopped\") "
                   "as their connection failed", missed, N_CLIENTS);
}

/* @sig, on a connection that was quiet when the VM ended, heard that
 * it stopped before the connection closed */
static void assert_told_stopped(Signals *sig)
{
    gint64 deadline = g_get_monotonic_time() + TIMEOUT * G_USEC_PER_SEC;

    while (!sig->closed && g_get_monotonic_time() < deadline)
        dispatch_for(10);
    g_assert_true(sig->closed);
    if (!sig->stopped_at_close)
        g_error("the connection closed before StateChanged(\"stopped\") "
                "came (%u changes heard)", sig->states->len);
}

static void crowd_free(Crowd *crowd)
{
    crowd_stop(crowd);
    for (guint i = 0; i < N_CLIENTS; i++) {
        Client *c = &crowd->clients[i];

        g_clear_pointer(&c->sig, signals_free);
        if (c->conn)
            g_dbus_connection_close_sync(c->conn, NULL, NULL);
        g_clear_object(&c->conn);
        /* what the connection still had for this context */
        while (g_main_context_iteration(c->ctx, FALSE))
            ;
        g_main_context_unref(c->ctx);
        g_clear_pointer(&c->last, stats_free);
        g_rand_free(c->rand);
        g_string_free(c->report.problems, TRUE);
    }
    if (crowd->raw.report.problems)
        g_string_free(crowd->raw.report.problems, TRUE);
    g_mutex_clear(&crowd->lock);
    g_cond_clear(&crowd->cond);
    g_free(crowd);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Crowd, crowd_free)

/* waits for the VMM to end, which it must do by exiting with @status
 * within END_TIMEOUT seconds */
static void assert_ends(VmmLive *live, int status)
{
    gint64 start = g_get_monotonic_time();
    int got = vmm_live_wait_exit(live, END_TIMEOUT);
    double took = (g_get_monotonic_time() - start) / 1e6;
    g_autofree char *err = vmm_live_stderr(live);

    if (got == status) {
        g_test_message("vireo-vmm ended in %.2f s", took);
        return;
    }
    if (got < 0 && took >= END_TIMEOUT)
        g_error("vireo-vmm did not end within %d s; it said:\n%s",
                END_TIMEOUT, err);
    if (got < 0)
        g_error("vireo-vmm died of signal %d; it said:\n%s",
                g_subprocess_get_term_sig(live->proc), err);
    g_error("vireo-vmm exited with %d, not %d; it said:\n%s", got, status,
            err);
}

/* what vireo-vmm said holds no GLib warning nor a crash */
static void assert_quiet(VmmLive *live)
{
    g_autofree char *err = vmm_live_stderr(live);

    if (strstr(err, "CRITICAL") || strstr(err, "WARNING") ||
        strstr(err, "crashed") || strstr(err, "SIGSYS"))
        g_error("vireo-vmm complained:\n%s", err);
}

/* the announced states: @n of them, paused and running by turns, as
 * every successful Pause and Resume changes the state once */
static void assert_turns(Signals *s, guint n, const char *who)
{
    g_autofree char *seen = NULL;
    gboolean ok = s->states->len == n;

    for (guint i = 0; ok && i < n; i++)
        ok = g_str_equal(s->states->pdata[i], i % 2 ? "running" : "paused");
    if (ok)
        return;
    g_ptr_array_add(s->states, NULL);
    seen = g_strjoinv(", ", (char **)s->states->pdata);
    g_ptr_array_remove_index(s->states, s->states->len - 1);
    g_error("%s heard %u state changes, not %u by turns: %s", who,
            s->states->len, n, seen);
}

static void test_crowd_hammer(void)
{
    g_autoptr(VmmLive) live = NULL;
    g_autoptr(Signals) sig = NULL;
    g_autoptr(Crowd) crowd = NULL;
    g_autofree char *state = NULL;
    guint pauses = 0, resumes = 0, n;
    gint64 deadline;
    gboolean all;

    if (!vmm_test_have_kvm())
        return;
    live = start("timer", "forever=1", 2, NULL);
    sig = signals_watch(live);
    wait_tick_after(live, 0);
    crowd = crowd_start(live, 2, FALSE);
    dispatch_for(2000);
    crowd_stop(crowd);
    crowd_check(crowd);

    for (guint i = 0; i < N_CLIENTS; i++) {
        pauses += crowd->clients[i].n_ok[CALL_PAUSE];
        resumes += crowd->clients[i].n_ok[CALL_RESUME];
    }
    /* the main loop took them one at a time: by turns */
    g_assert_cmpuint(pauses, >, 0);
    g_assert_true(pauses == resumes || pauses == resumes + 1);
    /* and every connection heard each change once, in order */
    n = pauses + resumes;
    deadline = g_get_monotonic_time() + TIMEOUT * G_USEC_PER_SEC;
    do {
        all = sig->states->len >= n;
        g_main_context_iteration(NULL, FALSE);
        for (guint i = 0; i < N_CLIENTS; i++) {
            Client *c = &crowd->clients[i];

            g_main_context_iteration(c->ctx, FALSE);
            all = all && c->sig->states->len >= n;
        }
        if (!all)
            g_usleep(2000);
    } while (!all && g_get_monotonic_time() < deadline);
    /* (none more after that) */
    dispatch_for(100);
    for (guint i = 0; i < N_CLIENTS; i++) {
        Client *c = &crowd->clients[i];
        g_autofree char *who = g_strdup_printf("client %u", i);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) ret = NULL, v = NULL;

        while (g_main_context_iteration(c->ctx, FALSE))
            ;
        assert_turns(c->sig, n, who);
        /* each connection reads the same State */
        ret = g_dbus_connection_call_sync(
            c->conn, NULL, OBJECT_PATH, "org.freedesktop.DBus.Properties",
            "Get", g_variant_new("(ss)", IFACE, "State"),
            G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS,
            NULL, &error);
        g_assert_no_error(error);
        g_variant_get(ret, "(v)", &v);
        g_assert_cmpstr(g_variant_get_string(v, NULL), ==,
                        pauses > resumes ? "paused" : "running");
    }
    assert_turns(sig, n, "the main connection");
    state = get_state(live);
    g_assert_cmpstr(state, ==, pauses > resumes ? "paused" : "running");

    /* the vCPUs are where State says */
    if (pauses > resumes) {
        g_autoptr(Stats) before = get_stats(live), after = NULL;

        dispatch_for(300);
        after = get_stats(live);
        g_assert_cmpuint(stats_total_exits(after), ==,
                         stats_total_exits(before));
        call_ok(live, "Resume");
    }
    {
        g_autofree char *out = vmm_live_serial(live);

        wait_tick_after(live, last_tick(out));
    }
    assert_quiet(live);
}

/* the crowd calls, and the VM is told to end: @how */
typedef enum {
    END_QUIT,
    END_SIGTERM,
} EndHow;

static void crowd_end(EndHow how)
{
    g_autoptr(VmmLive) live = NULL;
    g_autoptr(Signals) sig = NULL;
    g_autoptr(Crowd) crowd = NULL;
    g_autofree char *err = NULL;

    if (!vmm_test_have_kvm())
        return;
    live = start("timer", "forever=1", 2, NULL);
    sig = signals_watch(live);
    wait_tick_after(live, 0);
    crowd = crowd_start(live, 2, TRUE);
    /* some time into the storm, in its thick */
    dispatch_for((guint)g_test_rand_int_range(150, 600));
    if (how == END_QUIT)
        call_ok(live, "Quit");
    else
        g_subprocess_send_signal(live->proc, SIGTERM);
    assert_ends(live, 0);
    crowd_stop(crowd);
    crowd_check(crowd);
    crowd_check_end(crowd);
    /* Quit's caller, quiet since */
    assert_told_stopped(sig);
    g_assert_false(g_file_test(live->control_path, G_FILE_TEST_EXISTS));
    assert_quiet(live);
    err = vmm_live_stderr(live);
    if (how == END_SIGTERM)
        g_assert_nonnull(strstr(err, "terminated by a signal"));
}

static void test_crowd_quit(void)
{
    crowd_end(END_QUIT);
}

static void test_crowd_sigterm(void)
{
    crowd_end(END_SIGTERM);
}

/* the guest ends by itself under the crowd: the timer guest's debug-exit
 * after its ticks (status (0 << 1) | 1), or the ACPI guest's power-off
 * once the power button is pressed (status 0) */
static void test_crowd_guest_exit(void)
{
    g_autoptr(VmmLive) live = NULL;
    g_autoptr(Signals) sig = NULL;
    g_autoptr(Crowd) crowd = NULL;

    if (!vmm_test_have_kvm())
        return;
    /* 2 s of running: the crowd's pauses make it longer */
    live = start("timer", "ticks=2000", 1, NULL);
    sig = signals_watch(live);
    g_assert_true(vmm_live_wait_serial(live, "timer started", TIMEOUT));
    crowd = crowd_start(live, 1, TRUE);
    assert_ends(live, 1);
    crowd_stop(crowd);
    crowd_check(crowd);
    crowd_check_end(crowd);
    assert_told_stopped(sig);
    /* it counted its 2000 ticks (and a few more that came in a burst
     * after a pause, see wait_tick_after) */
    {
        g_autofree char *out = vmm_live_serial(live);
        const char *line = strstr(out, " timer interrupts");
        const char *start = line;

        g_assert_nonnull(line);
        while (start > out && g_ascii_isdigit(start[-1]))
            start--;
        g_assert_cmpuint(g_ascii_strtoull(start, NULL, 10), >=, 2000);
    }
    assert_quiet(live);
}

static void test_crowd_power_off(void)
{
    g_autoptr(VmmLive) live = NULL;
    g_autoptr(Signals) sig = NULL;
    g_autoptr(Crowd) crowd = NULL;
    g_autofree char *err = NULL;
    gint64 deadline;

    if (!vmm_test_have_kvm())
        return;
    live = start("acpi-poweroff", NULL, 1, NULL);
    sig = signals_watch(live);
    g_assert_true(vmm_live_wait_serial(live, "waiting for the power button",
                                       TIMEOUT));
    crowd = crowd_start(live, 1, TRUE);
    dispatch_for((guint)g_test_rand_int_range(150, 600));
    /* pressed once the crowd leaves the VM running for a moment */
    deadline = g_get_monotonic_time() + TIMEOUT * G_USEC_PER_SEC;
    for (;;) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) ret = call(live, "PowerButton", &error);

        if (ret)
            break;
        g_assert_error(error, G_DBUS_ERROR, G_DBUS_ERROR_FAILED);
        g_assert_nonnull(strstr(error->message, "the VM is paused"));
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
    }
    assert_ends(live, 0);
    crowd_stop(crowd);
    crowd_check(crowd);
    crowd_check_end(crowd);
    assert_told_stopped(sig);
    err = vmm_live_stderr(live);
    g_assert_nonnull(strstr(err, "powered off"));
    assert_quiet(live);
}

/* ---- clients that do not play along ---- */

typedef struct {
    const char *path;
    char *auth;
    gint stop;
    guint n;
} Churn;

/* connects, sends a part of the handshake, hangs up; again and again */
static gpointer churn_main(gpointer data)
{
    Churn *ch = data;
    gsize len = strlen(ch->auth + 1) + 1;

    while (!g_atomic_int_get(&ch->stop)) {
        int fd = raw_connect(ch->path);

        if (fd < 0)
            break;
        raw_send(fd, ch->auth, (gsize)g_random_int_range(0, (gint32)len));
        close(fd);
        ch->n++;
        g_usleep(500);
    }
    return NULL;
}

static void test_silent_clients(void)
{
    enum { SILENT, HALF_LINE, AUTHENTICATED, BEGUN, N_KINDS, PER_KIND = 2 };
    static const char *const kinds[] = {"silent", "half a line",
                                        "authenticated", "begun"};
    g_autoptr(VmmLive) live = NULL;
    g_autofree char *auth = auth_lines();
    int fds[N_KINDS][PER_KIND];
    Churn churn = {0};
    GThread *thread;

    if (!vmm_test_have_kvm())
        return;
    live = start("timer", "forever=1", 1, NULL);
    wait_tick_after(live, 0);
    for (int k = 0; k < N_KINDS; k++) {
        for (int i = 0; i < PER_KIND; i++) {
            char buf[256];
            gboolean eof;
            int fd = raw_connect(live->control_path);

            g_assert_cmpint(fd, >=, 0);
            fds[k][i] = fd;
            if (k == HALF_LINE)
                g_assert_true(raw_send(fd, auth, 8));
            if (k < AUTHENTICATED)
                continue;
            /* the server is in the middle of these handshakes */
            g_assert_true(raw_send(fd, auth, strlen(auth + 1) + 1));
            raw_read(fd, buf, sizeof(buf), CALL_TIMEOUT_MS, &eof);
            if (!g_str_has_prefix(buf, "OK "))
                g_error("AUTH EXTERNAL got \"%s\"%s", buf,
                        eof ? " and the end" : "");
            if (k == BEGUN)
                g_assert_true(raw_send(fd, "BEGIN\r\n", 7));
        }
    }
    churn.path = live->control_path;
    churn.auth = auth;
    thread = g_thread_new("vmm-test-churn", churn_main, &churn);
    dispatch_for((guint)g_test_rand_int_range(50, 300));
    /* the VM still serves the well-behaved */
    {
        g_autofree char *state = get_state(live);

        g_assert_cmpstr(state, ==, "running");
    }
    call_ok(live, "Quit");
    assert_ends(live, 0);
    g_atomic_int_set(&churn.stop, 1);
    g_thread_join(thread);
    g_test_message("%u connections came and went", churn.n);
    g_assert_cmpuint(churn.n, >, 0);
    /* and every one of them was let go */
    for (int k = 0; k < N_KINDS; k++) {
        for (int i = 0; i < PER_KIND; i++) {
            char buf[4096];
            gboolean eof = FALSE;

            while (!eof && raw_read(fds[k][i], buf, sizeof(buf), 2000, &eof))
                ;
            if (!eof)
                g_error("a %s client's connection stayed open", kinds[k]);
            close(fds[k][i]);
        }
    }
    assert_quiet(live);
}

/* a client that sends calls and reads none of the answers: the server's
 * queue to it only grows, and the VMM still ends when told to */
static void test_deaf_client(void)
{
    g_autoptr(VmmLive) live = NULL;
    guint sent = 0;
    int fd;

    if (!vmm_test_have_kvm())
        return;
    live = start("timer", "forever=1", 1, NULL);
    fd = raw_connect(live->control_path);
    g_assert_cmpint(fd, >=, 0);
    g_assert_true(raw_authenticate(fd));
    /* until the server stops reading, as its answers fill the socket */
    for (guint serial = 1; serial <= 20000; serial++) {
        g_autoptr(GBytes) blob = raw_call(serial);
        struct pollfd p = {.fd = fd, .events = POLLOUT};

        if (poll(&p, 1, 500) <= 0)
            break;
        g_assert_true(raw_send(fd, g_bytes_get_data(blob, NULL),
                               g_bytes_get_size(blob)));
        sent++;
    }
    g_test_message("%u calls sent, none of the answers read", sent);
    call_ok(live, "Quit");
    assert_ends(live, 0);
    close(fd);
    assert_quiet(live);
}

/* SIGTERM as soon as the control socket is there, while the VM is still
 * booting and the server not yet up: the VMM ends as it does for any
 * SIGTERM, and takes its socket with it */
static void test_sigterm_at_start(void)
{
    if (!vmm_test_have_kvm())
        return;
    for (guint round = 0; round < 6; round++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VmmLive) live = vmm_live_spawn("timer", "forever=1", 1,
                                                 NULL, &error);
        g_autofree char *err = NULL;
        gint64 deadline = g_get_monotonic_time() + TIMEOUT * G_USEC_PER_SEC;

        g_assert_no_error(error);
        while (!g_file_test(live->control_path, G_FILE_TEST_EXISTS)) {
            g_assert_nonnull(g_subprocess_get_identifier(live->proc));
            g_assert_cmpint(g_get_monotonic_time(), <, deadline);
            g_usleep(200);
        }
        /* at once, then a little later each round */
        g_usleep(round * 1000 + (guint)g_test_rand_int_range(0, 1000));
        g_subprocess_send_signal(live->proc, SIGTERM);
        assert_ends(live, 0);
        err = vmm_live_stderr(live);
        g_assert_nonnull(strstr(err, "terminated by a signal"));
        g_assert_false(g_file_test(live->control_path, G_FILE_TEST_EXISTS));
        assert_quiet(live);
    }
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
    g_test_add_func("/vmm/control/crowd/hammer", test_crowd_hammer);
    g_test_add_func("/vmm/control/crowd/quit", test_crowd_quit);
    g_test_add_func("/vmm/control/crowd/sigterm", test_crowd_sigterm);
    g_test_add_func("/vmm/control/crowd/guest-exit", test_crowd_guest_exit);
    g_test_add_func("/vmm/control/crowd/power-off", test_crowd_power_off);
    g_test_add_func("/vmm/control/silent-clients", test_silent_clients);
    g_test_add_func("/vmm/control/deaf-client", test_deaf_client);
    g_test_add_func("/vmm/control/sigterm-at-start", test_sigterm_at_start);
    return g_test_run();
}
