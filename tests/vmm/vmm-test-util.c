/* vmm-test-util.c: spawning vireo-vmm with a hard timeout (SIGKILL). */
#include "vmm-test-util.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

char *vmm_test_binary(void)
{
    return g_build_filename(g_getenv("VIREO_BUILD_ROOT"), "src", "vmm",
                            "vireo-vmm", NULL);
}

char *vmm_test_guest(const char *name)
{
    g_autofree char *file = g_strconcat(name, ".elf", NULL);

    return g_build_filename(g_getenv("VIREO_BUILD_ROOT"), "tests", "guests",
                            file, NULL);
}

gboolean vmm_test_have_kvm(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        g_autofree char *msg = g_strdup_printf(
            "/dev/kvm cannot be opened (%s): these tests need KVM",
            g_strerror(errno));
        g_test_skip(msg);
        return FALSE;
    }
    close(fd);
    return TRUE;
}

typedef struct {
    GMainLoop *loop;
    gboolean timed_out;
    GSubprocess *proc;
    char *out, *err;
    gboolean done;
} Wait;

static void on_communicated(GObject *src, GAsyncResult *res, gpointer data)
{
    Wait *w = data;
    g_autoptr(GError) error = NULL;

    g_subprocess_communicate_utf8_finish(G_SUBPROCESS(src), res, &w->out,
                                         &w->err, &error);
    w->done = TRUE;
    g_main_loop_quit(w->loop);
}

static gboolean on_timeout(gpointer data)
{
    Wait *w = data;

    w->timed_out = TRUE;
    g_subprocess_force_exit(w->proc); /* SIGKILL */
    return G_SOURCE_REMOVE;
}

VmmRun *vmm_run(const char *const *args, guint timeout_s)
{
    return vmm_run_wrapped(NULL, args, timeout_s);
}

VmmRun *vmm_run_wrapped(const char *const *wrapper, const char *const *args,
                        guint timeout_s)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_autoptr(GMainContext) ctx = g_main_context_new();
    VmmRun *run = g_new0(VmmRun, 1);
    Wait w = {0};
    GSource *timer;

    for (; wrapper && *wrapper; wrapper++)
        g_ptr_array_add(argv, g_strdup(*wrapper));
    g_ptr_array_add(argv, vmm_test_binary());
    for (; *args; args++)
        g_ptr_array_add(argv, g_strdup(*args));
    g_ptr_array_add(argv, NULL);

    g_main_context_push_thread_default(ctx);
    w.loop = g_main_loop_new(ctx, FALSE);
    {
        g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(
            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
            G_SUBPROCESS_FLAGS_STDIN_PIPE);

        g_subprocess_launcher_set_child_setup(l, vmm_test_die_with_parent,
                                              NULL, NULL);
        w.proc = g_subprocess_launcher_spawnv(
            l, (const char *const *)argv->pdata, &error);
    }
    g_assert_no_error(error);
    g_subprocess_communicate_utf8_async(w.proc, NULL, NULL, on_communicated,
                                        &w);
    timer = g_timeout_source_new_seconds(timeout_s);
    g_source_set_callback(timer, on_timeout, &w, NULL);
    g_source_attach(timer, ctx);
    if (!w.done)
        g_main_loop_run(w.loop);
    g_source_destroy(timer);
    g_source_unref(timer);
    g_subprocess_wait(w.proc, NULL, NULL);
    run->out = w.out ? w.out : g_strdup("");
    run->err = w.err ? w.err : g_strdup("");
    run->timed_out = w.timed_out;
    run->status = g_subprocess_get_if_exited(w.proc)
                      ? g_subprocess_get_exit_status(w.proc)
                      : -1;
    if (run->timed_out || run->status < 0 || g_test_verbose())
        g_test_message("vireo-vmm %s: status %d%s\n--- serial ---\n%s\n"
                       "--- stderr ---\n%s", (char *)argv->pdata[1],
                       run->status, run->timed_out ? " (timed out)" : "",
                       run->out, run->err);
    g_object_unref(w.proc);
    g_main_loop_unref(w.loop);
    g_main_context_pop_thread_default(ctx);
    return run;
}

VmmRun *vmm_run_guest(const char *guest, const char *cmdline, guint cpus,
                      guint timeout_s)
{
    g_autofree char *kernel = vmm_test_guest(guest);
    g_autofree char *ncpus = g_strdup_printf("%u", cpus);
    const char *args[] = {"--name", guest, "--memory", "32M", "--cpus", ncpus,
                          "--kernel", kernel, "--serial", "stdio",
                          "--cmdline", cmdline ? cmdline : "", NULL};

    return vmm_run(args, timeout_s);
}

void vmm_run_free(VmmRun *run)
{
    g_free(run->out);
    g_free(run->err);
    g_free(run);
}

/* ---- live VMs ---- */

void vmm_test_die_with_parent(gpointer data)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

GDBusConnection *vmm_test_connect_control(const char *path, GSubprocess *proc,
                                          guint timeout_s, GError **error)
{
    g_autofree char *escaped = g_dbus_address_escape_value(path);
    g_autofree char *address = g_strconcat("unix:path=", escaped, NULL);
    gint64 deadline = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;

    for (;;) {
        g_autoptr(GError) local = NULL;
        GDBusConnection *conn = NULL;

        if (g_file_test(path, G_FILE_TEST_EXISTS))
            conn = g_dbus_connection_new_for_address_sync(
                address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL,
                NULL, &local);
        if (conn)
            return conn;
        if (!g_subprocess_get_identifier(proc)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                        "vireo-vmm ended before its control socket %s took "
                        "connections", path);
            return NULL;
        }
        if (g_get_monotonic_time() > deadline) {
            if (local)
                g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                           "%s never took connections: ",
                                           path);
            else
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                            "vireo-vmm did not create its control socket %s",
                            path);
            return NULL;
        }
        g_usleep(5000);
    }
}

VmmLive *vmm_live_spawn(const char *guest, const char *cmdline, guint cpus,
                        const char *const *extra_args, GError **error)
{
    g_autoptr(VmmLive) live = g_new0(VmmLive, 1);
    g_autoptr(GSubprocessLauncher) l =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE);
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);

    live->dir = g_dir_make_tmp("vireo-vmm-XXXXXX", error);
    if (!live->dir)
        return NULL;
    live->control_path = g_build_filename(live->dir, "control.sock", NULL);
    live->serial_path = g_build_filename(live->dir, "serial.log", NULL);
    live->err_path = g_build_filename(live->dir, "stderr.log", NULL);
    g_ptr_array_add(argv, vmm_test_binary());
    g_ptr_array_add(argv, g_strdup("--name"));
    g_ptr_array_add(argv, g_path_get_basename(guest));
    g_ptr_array_add(argv, g_strdup("--memory"));
    g_ptr_array_add(argv, g_strdup("32M"));
    g_ptr_array_add(argv, g_strdup("--cpus"));
    g_ptr_array_add(argv, g_strdup_printf("%u", cpus));
    g_ptr_array_add(argv, g_strdup("--kernel"));
    g_ptr_array_add(argv, strchr(guest, '/') ? g_strdup(guest)
                                             : vmm_test_guest(guest));
    g_ptr_array_add(argv, g_strdup("--serial"));
    g_ptr_array_add(argv, g_strconcat("file:", live->serial_path, NULL));
    g_ptr_array_add(argv, g_strdup("--control"));
    g_ptr_array_add(argv, g_strconcat("unix:", live->control_path, NULL));
    g_ptr_array_add(argv, g_strdup("--cmdline"));
    g_ptr_array_add(argv, g_strdup(cmdline ? cmdline : ""));
    for (; extra_args && *extra_args; extra_args++)
        g_ptr_array_add(argv, g_strdup(*extra_args));
    g_ptr_array_add(argv, NULL);
    g_subprocess_launcher_set_stderr_file_path(l, live->err_path);
    g_subprocess_launcher_set_child_setup(l, vmm_test_die_with_parent, NULL,
                                          NULL);
    live->proc = g_subprocess_launcher_spawnv(
        l, (const char *const *)argv->pdata, error);
    if (!live->proc)
        return NULL;
    return g_steal_pointer(&live);
}

VmmLive *vmm_live_start(const char *guest, const char *cmdline, guint cpus,
                        const char *const *extra_args, GError **error)
{
    g_autoptr(VmmLive) live = vmm_live_spawn(guest, cmdline, cpus,
                                             extra_args, error);

    if (!live)
        return NULL;
    live->conn = vmm_test_connect_control(live->control_path, live->proc, 20,
                                          error);
    if (!live->conn) {
        g_autofree char *err = vmm_live_stderr(live);

        g_test_message("vireo-vmm said:\n%s", err);
        return NULL;
    }
    return g_steal_pointer(&live);
}

static char *file_text(const char *path)
{
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return g_strdup("");
    return text;
}

char *vmm_live_serial(VmmLive *live)
{
    return file_text(live->serial_path);
}

char *vmm_live_stderr(VmmLive *live)
{
    return file_text(live->err_path);
}

gboolean vmm_live_wait_serial_until(VmmLive *live, VmmSerialDone done,
                                    gpointer data, const char *what,
                                    guint timeout_s)
{
    gint64 deadline = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;
    gboolean running = TRUE;

    /* one last look after the VMM ended: its output is complete then */
    while (running && g_get_monotonic_time() < deadline) {
        g_autofree char *text = NULL;

        running = g_subprocess_get_identifier(live->proc) != NULL;
        text = vmm_live_serial(live);
        if (done(text, data))
            return TRUE;
        g_main_context_iteration(NULL, FALSE);
        g_usleep(10000);
    }
    {
        g_autofree char *out = vmm_live_serial(live);
        g_autofree char *err = vmm_live_stderr(live);

        g_test_message("no %s on the serial port\n--- serial ---\n%s\n"
                       "--- stderr ---\n%s", what, out, err);
    }
    return FALSE;
}

static gboolean has_needle(const char *text, gpointer needle)
{
    return strstr(text, needle) != NULL;
}

gboolean vmm_live_wait_serial(VmmLive *live, const char *needle,
                              guint timeout_s)
{
    g_autofree char *what = g_strdup_printf("\"%s\"", needle);

    return vmm_live_wait_serial_until(live, has_needle, (gpointer)needle,
                                      what, timeout_s);
}

int vmm_live_wait_exit(VmmLive *live, guint timeout_s)
{
    gint64 deadline = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;

    while (g_get_monotonic_time() < deadline) {
        /* g_subprocess_get_if_exited needs the wait to have happened */
        if (g_subprocess_get_identifier(live->proc) == NULL) {
            g_subprocess_wait(live->proc, NULL, NULL);
            return g_subprocess_get_if_exited(live->proc)
                       ? g_subprocess_get_exit_status(live->proc)
                       : -1;
        }
        g_main_context_iteration(NULL, FALSE);
        g_usleep(5000);
    }
    g_subprocess_force_exit(live->proc);
    g_subprocess_wait(live->proc, NULL, NULL);
    return -1;
}

void vmm_live_free(VmmLive *live)
{
    if (!live)
        return;
    if (live->conn) {
        g_dbus_connection_close_sync(live->conn, NULL, NULL);
        g_object_unref(live->conn);
    }
    if (live->proc) {
        if (g_subprocess_get_identifier(live->proc))
            g_subprocess_force_exit(live->proc);
        g_subprocess_wait(live->proc, NULL, NULL);
        g_object_unref(live->proc);
    }
    if (live->dir) {
        if (live->serial_path)
            g_unlink(live->serial_path);
        if (live->err_path)
            g_unlink(live->err_path);
        if (live->control_path)
            g_unlink(live->control_path);
        g_rmdir(live->dir);
    }
    g_free(live->err_path);
    g_free(live->serial_path);
    g_free(live->control_path);
    g_free(live->dir);
    g_free(live);
}
