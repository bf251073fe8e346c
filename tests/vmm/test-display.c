/* test-display.c: the bochs-display and the VNC server under real KVM.
 *
 * The display guest draws known pictures from user mode and moves on a
 * step at a key press; a VNC client (libvncclient) connected through the
 * Unix socket, OpenVnc's descriptor or TCP checks every pixel, sees mode
 * changes arrive as desktop resizes and types.  The scancodes guest
 * echoes every byte the keyboard controller gives it, so typing every
 * key of the US and German layouts checks the translation.  Hostile
 * clients and guest modes must leave the VM running and say what went
 * wrong.  The same guest also runs under QEMU's bochs-display.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <rfb/keysym.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../guests/patterns.h"
#include "vmm-test-util.h"
#include "vnc-test-client.h"

#define PASS 1
#define BOOT_TIMEOUT 60
#define PICTURE_TIMEOUT 60

/* ---- a VM with a display, its serial output and its messages ---- */

typedef struct {
    GSubprocess *proc;
    char *dir;
    char *vnc_path, *control_path, *serial_path, *err_path;
    GDBusConnection *conn;
    char *name;
} Vm;

static void vm_free(Vm *vm)
{
    if (!vm)
        return;
    if (vm->conn) {
        g_dbus_connection_close_sync(vm->conn, NULL, NULL);
        g_object_unref(vm->conn);
    }
    if (vm->proc) {
        if (g_subprocess_get_identifier(vm->proc))
            g_subprocess_force_exit(vm->proc);
        g_subprocess_wait(vm->proc, NULL, NULL);
        g_object_unref(vm->proc);
    }
    if (vm->dir) {
        g_autoptr(GDir) d = g_dir_open(vm->dir, 0, NULL);
        const char *n;

        while (d && (n = g_dir_read_name(d))) {
            g_autofree char *p = g_build_filename(vm->dir, n, NULL);

            g_unlink(p);
        }
        g_rmdir(vm->dir);
    }
    g_free(vm->vnc_path);
    g_free(vm->control_path);
    g_free(vm->serial_path);
    g_free(vm->err_path);
    g_free(vm->dir);
    g_free(vm->name);
    g_free(vm);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Vm, vm_free)

static char *vm_file(Vm *vm, const char *path)
{
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return g_strdup("");
    return text;
}

static char *vm_serial(Vm *vm)
{
    return vm_file(vm, vm->serial_path);
}

static char *vm_stderr(Vm *vm)
{
    return vm_file(vm, vm->err_path);
}

static gboolean vm_running(Vm *vm)
{
    return g_subprocess_get_identifier(vm->proc) != NULL;
}

static gboolean wait_file(Vm *vm, const char *path, const char *needle,
                          guint timeout_s)
{
    gint64 deadline = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;

    while (g_get_monotonic_time() < deadline) {
        g_autofree char *text = vm_file(vm, path);

        if (strstr(text, needle))
            return TRUE;
        if (!vm_running(vm))
            break;
        g_usleep(10000);
    }
    {
        g_autofree char *text = vm_file(vm, path);

        return strstr(text, needle) != NULL;
    }
}

static gboolean vm_wait_serial(Vm *vm, const char *needle, guint timeout_s)
{
    if (wait_file(vm, vm->serial_path, needle, timeout_s))
        return TRUE;
    {
        g_autofree char *out = vm_serial(vm);
        g_autofree char *err = vm_stderr(vm);

        g_test_message("no \"%s\" on the serial port\n--- serial ---\n%s\n"
                       "--- stderr ---\n%s", needle, out, err);
    }
    return FALSE;
}

static gboolean vm_wait_stderr(Vm *vm, const char *needle, guint timeout_s)
{
    return wait_file(vm, vm->err_path, needle, timeout_s);
}

static int vm_wait_exit(Vm *vm, guint timeout_s)
{
    gint64 deadline = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;

    while (vm_running(vm) && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(5000);
    }
    if (vm_running(vm))
        return -1;
    g_subprocess_wait(vm->proc, NULL, NULL);
    return g_subprocess_get_if_exited(vm->proc)
               ? g_subprocess_get_exit_status(vm->proc)
               : -1;
}

/* @display: NULL for "vnc=unix:<dir>/vnc.sock", or a --display value in
 * which "@VNC@" stands for that path */
static Vm *vm_start(const char *guest, const char *cmdline,
                    const char *display)
{
    g_autoptr(Vm) vm = g_new0(Vm, 1);
    g_autoptr(GSubprocessLauncher) l =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE);
    g_autoptr(GError) error = NULL;
    g_autofree char *bin = vmm_test_binary();
    g_autofree char *kernel = vmm_test_guest(guest);
    g_autofree char *control = NULL, *serial = NULL, *disp = NULL;

    vm->dir = g_dir_make_tmp("vireo-display-XXXXXX", &error);
    g_assert_no_error(error);
    vm->name = g_strdup_printf("display-test-%s", guest);
    vm->vnc_path = g_build_filename(vm->dir, "vnc.sock", NULL);
    vm->control_path = g_build_filename(vm->dir, "control.sock", NULL);
    vm->serial_path = g_build_filename(vm->dir, "serial.log", NULL);
    vm->err_path = g_build_filename(vm->dir, "stderr.log", NULL);
    control = g_strconcat("unix:", vm->control_path, NULL);
    serial = g_strconcat("file:", vm->serial_path, NULL);
    if (display) {
        g_auto(GStrv) parts = g_strsplit(display, "@VNC@", -1);

        disp = g_strjoinv(vm->vnc_path, parts);
    } else {
        disp = g_strconcat("vnc=unix:", vm->vnc_path, NULL);
    }
    g_subprocess_launcher_set_stderr_file_path(l, vm->err_path);
    g_subprocess_launcher_set_child_setup(l, vmm_test_die_with_parent, NULL,
                                          NULL);
    vm->proc = g_subprocess_launcher_spawn(
        l, &error, bin, "--name", vm->name, "--memory", "64M", "--kernel",
        kernel, "--serial", serial, "--control", control, "--display", disp,
        "--cmdline", cmdline ? cmdline : "", NULL);
    g_assert_no_error(error);
    vm->conn = vmm_test_connect_control(vm->control_path, vm->proc, 20,
                                        &error);
    g_assert_no_error(error);
    return g_steal_pointer(&vm);
}

/* OpenVnc: a connected client socket from the control API */
static int vm_open_vnc(Vm *vm, GError **error)
{
    g_autoptr(GUnixFDList) fds = NULL;
    g_autoptr(GVariant) ret = NULL;
    gint32 handle;

    ret = g_dbus_connection_call_with_unix_fd_list_sync(
        vm->conn, NULL, "/org/vireo/Vmm1", "org.vireo.Vmm1", "OpenVnc", NULL,
        G_VARIANT_TYPE("(h)"), G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &fds,
        NULL, error);
    if (!ret)
        return -1;
    g_variant_get(ret, "(h)", &handle);
    return g_unix_fd_list_get(fds, handle, error);
}

static VncTestClient *connect_unix(Vm *vm)
{
    g_autoptr(GError) error = NULL;
    VncTestClient *c = vnc_test_client_new_unix(vm->vnc_path, &error);

    g_assert_no_error(error);
    return c;
}

static VncTestClient *connect_open_vnc(Vm *vm)
{
    g_autoptr(GError) error = NULL;
    int fd = vm_open_vnc(vm, &error);
    VncTestClient *c;

    g_assert_no_error(error);
    c = vnc_test_client_new(fd, NULL, NULL, &error);
    g_assert_no_error(error);
    return c;
}

/* ---- pictures ---- */

typedef uint32_t (*Picture)(uint32_t x, uint32_t y, gconstpointer data);

typedef struct {
    int width, height;
    Picture pixel;
    gconstpointer data;
    /* the first difference, for the failure message */
    int bad_x, bad_y;
    uint32_t bad_got, bad_want;
} Expect;

/* the clients a test has open: while it looks at one, the others read
 * too (a client that stops reading is, rightly, disconnected) */
static VncTestClient *open_clients[4];

static gboolean picture_matches(VncTestClient *c, gpointer data)
{
    Expect *e = data;

    for (guint i = 0; i < G_N_ELEMENTS(open_clients); i++)
        if (open_clients[i] && open_clients[i] != c)
            for (int n = 0; n < 8; n++)
                vnc_test_client_pump(open_clients[i], 0);

    e->bad_x = -1;
    if (vnc_test_client_width(c) != e->width ||
        vnc_test_client_height(c) != e->height)
        return FALSE;
    for (int y = 0; y < e->height; y++)
        for (int x = 0; x < e->width; x++) {
            uint32_t want = e->pixel((uint32_t)x, (uint32_t)y, e->data);
            uint32_t got = vnc_test_client_pixel(c, x, y);

            if (got != want) {
                e->bad_x = x;
                e->bad_y = y;
                e->bad_got = got;
                e->bad_want = want;
                return FALSE;
            }
        }
    return TRUE;
}

static void assert_picture(VncTestClient *c, int w, int h, Picture pixel,
                           gconstpointer data, const char *what)
{
    Expect e = {w, h, pixel, data, -1, -1, 0, 0};

    if (vnc_test_client_wait(c, picture_matches, &e, PICTURE_TIMEOUT))
        return;
    if (e.bad_x < 0)
        g_error("%s: the VNC desktop is %dx%d, not %dx%d", what,
                vnc_test_client_width(c), vnc_test_client_height(c), w, h);
    g_error("%s: pixel (%d, %d) is %06x, not %06x", what, e.bad_x, e.bad_y,
            e.bad_got, e.bad_want);
}

static uint32_t pic_a(uint32_t x, uint32_t y, gconstpointer d)
{
    return pattern_a(x, y);
}

static uint32_t pic_b(uint32_t x, uint32_t y, gconstpointer d)
{
    return pattern_b(x, y);
}

static uint32_t pic_c(uint32_t x, uint32_t y, gconstpointer d)
{
    return rgb565_to_888(pattern_c565(x, y));
}

static uint32_t pic_big(uint32_t x, uint32_t y, gconstpointer d)
{
    return pattern_big(x, y);
}

static uint32_t pic_black(uint32_t x, uint32_t y, gconstpointer d)
{
    return 0;
}

/* the animation's frame *d: the square over pattern_b */
static uint32_t pic_anim(uint32_t x, uint32_t y, gconstpointer d)
{
    uint32_t sx, sy;

    anim_pos(*(const uint32_t *)d, &sx, &sy);
    if (x >= sx && x < sx + ANIM_SQUARE && y >= sy && y < sy + ANIM_SQUARE)
        return ANIM_COLOUR;
    return pattern_b(x, y);
}

static void press(VncTestClient *c, uint32_t keysym)
{
    g_assert_true(vnc_test_client_key(c, keysym, TRUE));
    g_assert_true(vnc_test_client_key(c, keysym, FALSE));
}

/* the last "frame N" of step 4, once its line is complete */
static gboolean anim_last_frame(const char *serial, uint32_t *frame)
{
    const char *p = strstr(serial, "step 4 ready, frame ");

    if (!p || !strchr(p, '\n'))
        return FALSE;
    *frame = (uint32_t)g_ascii_strtoull(p + strlen("step 4 ready, frame "),
                                        NULL, 10);
    return TRUE;
}

/* ---- the steps, through the Unix socket and OpenVnc at once ---- */

static void test_steps(void)
{
    g_autoptr(Vm) vm = NULL;
    g_autoptr(VncTestClient) c = NULL;
    g_autoptr(VncTestClient) c2 = NULL;
    g_autofree char *serial = NULL;
    g_autofree char *err = NULL;
    guint resizes, updates;
    uint32_t last;

    if (!vmm_test_have_kvm())
        return;
    vm = vm_start("display", "bad=1 big=1", NULL);
    g_assert_true(vm_wait_serial(vm, "step 1 ready", BOOT_TIMEOUT));
    c = connect_unix(vm);
    c2 = connect_open_vnc(vm);
    open_clients[0] = c;
    open_clients[1] = c2;
    g_assert_cmpstr(vnc_test_client_name(c), ==, vm->name);
    assert_picture(c, 640, 480, pic_a, NULL, "step 1 (Unix socket)");
    assert_picture(c2, 640, 480, pic_a, NULL, "step 1 (OpenVnc)");

    /* a mode change is a desktop resize */
    resizes = vnc_test_client_resizes(c);
    press(c, XK_n);
    g_assert_true(vm_wait_serial(vm, "step 2 ready", BOOT_TIMEOUT));
    assert_picture(c, 1024, 768, pic_b, NULL, "step 2 (1280 wide, offset)");
    assert_picture(c2, 1024, 768, pic_b, NULL, "step 2 (OpenVnc)");
    g_assert_cmpuint(vnc_test_client_resizes(c), >, resizes);

    press(c2, XK_n);
    g_assert_true(vm_wait_serial(vm, "step 3 ready", BOOT_TIMEOUT));
    assert_picture(c, 800, 600, pic_c, NULL, "step 3 (16 bpp)");
    press(c, XK_n);
    g_assert_true(vm_wait_serial(vm, "big ready", BOOT_TIMEOUT));
    assert_picture(c, 1920, 1200, pic_big, NULL, "1920x1200x32");

    /* the animation: updates keep coming (at least a few, however
     * loaded the machine), and the last frame is exact */
    updates = vnc_test_client_updates(c);
    press(c, XK_n);
    while (!anim_last_frame((serial = vm_serial(vm)), &last)) {
        g_clear_pointer(&serial, g_free);
        g_assert_true(vm_running(vm));
        g_assert_true(vnc_test_client_pump(c, 20));
        for (int n = 0; n < 8; n++)
            vnc_test_client_pump(c2, 0);
    }
    assert_picture(c, ANIM_W, ANIM_H, pic_anim, &last, "step 4 (last frame)");
    g_test_message("%u updates during %u frames of animation",
                   vnc_test_client_updates(c) - updates, last + 1);
    g_assert_cmpuint(vnc_test_client_updates(c) - updates, >=, 3);

    /* modes the display cannot show: it says so and shows black */
    press(c, XK_n);
    g_assert_true(vm_wait_serial(vm, "bad mode 1", BOOT_TIMEOUT));
    assert_picture(c, 640, 480, pic_black, NULL, "too wide a mode");
    g_assert_true(vm_wait_stderr(vm, "9000x480 is out of range", 10));
    press(c, XK_n);
    g_assert_true(vm_wait_serial(vm, "bad mode 2", BOOT_TIMEOUT));
    g_assert_true(vm_wait_stderr(vm, "24 bits per pixel is not supported",
                                 10));
    press(c, XK_n);
    g_assert_true(vm_wait_serial(vm, "bad mode 3", BOOT_TIMEOUT));
    g_assert_true(vm_wait_stderr(vm, "bytes of video memory; the device has",
                                 10));
    assert_picture(c, 640, 480, pic_black, NULL, "a picture past the end");
    press(c, XK_n);
    g_assert_true(vm_wait_serial(vm, "step 5 ready", BOOT_TIMEOUT));
    assert_picture(c, 640, 480, pic_a, NULL, "step 5 (good mode again)");
    assert_picture(c2, 640, 480, pic_a, NULL, "step 5 (OpenVnc)");

    press(c, XK_n);
    g_assert_cmpint(vm_wait_exit(vm, BOOT_TIMEOUT), ==, PASS);
    err = vm_stderr(vm);
    g_assert_null(strstr(err, "crashed"));
    g_assert_null(strstr(err, "stopped reading"));
    memset(open_clients, 0, sizeof(open_clients));
}

/* a guest reset keeps the clients: the screen goes dark and comes back */
static void test_reset(void)
{
    g_autoptr(Vm) vm = NULL;
    g_autoptr(VncTestClient) c = NULL;
    g_autoptr(GVariant) ret = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *out = NULL;
    gint64 deadline;

    if (!vmm_test_have_kvm())
        return;
    vm = vm_start("display", NULL, NULL);
    g_assert_true(vm_wait_serial(vm, "step 1 ready", BOOT_TIMEOUT));
    c = connect_unix(vm);
    press(c, XK_n);
    g_assert_true(vm_wait_serial(vm, "step 2 ready", BOOT_TIMEOUT));
    assert_picture(c, 1024, 768, pic_b, NULL, "before the reset");
    ret = g_dbus_connection_call_sync(vm->conn, NULL, "/org/vireo/Vmm1",
                                      "org.vireo.Vmm1", "Reset", NULL, NULL,
                                      G_DBUS_CALL_FLAGS_NONE, 10000, NULL,
                                      &error);
    g_assert_no_error(error);
    /* the machine boots again and draws step 1 once more */
    deadline = g_get_monotonic_time() + BOOT_TIMEOUT * G_USEC_PER_SEC;
    for (;;) {
        const char *first;

        g_clear_pointer(&out, g_free);
        out = vm_serial(vm);
        first = strstr(out, "step 1 ready");
        if (first && strstr(first + 1, "step 1 ready"))
            break;
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_assert_true(vnc_test_client_pump(c, 20));
    }
    assert_picture(c, 640, 480, pic_a, NULL, "after the reset");
    g_assert_true(vm_running(vm));
}

/* ---- hostile clients: garbage, hang-ups, too many at once ---- */

static int raw_connect(Vm *vm)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_strlcpy(sa.sun_path, vm->vnc_path, sizeof(sa.sun_path));
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    return fd;
}

/* reads until the server closes; TRUE if it did within @timeout_s */
static gboolean closed_by_server(int fd, guint timeout_s)
{
    gint64 deadline = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;
    char buf[4096];

    fcntl(fd, F_SETFL, O_NONBLOCK);
    while (g_get_monotonic_time() < deadline) {
        ssize_t n = read(fd, buf, sizeof(buf));

        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return TRUE;
        if (n < 0)
            g_usleep(10000);
    }
    return FALSE;
}

static void test_bad_clients(void)
{
    g_autoptr(Vm) vm = NULL;
    g_autoptr(VncTestClient) c = NULL;
    int fds[40];
    char version[12];

    if (!vmm_test_have_kvm())
        return;
    vm = vm_start("display", NULL, NULL);
    g_assert_true(vm_wait_serial(vm, "step 1 ready", BOOT_TIMEOUT));

    /* garbage instead of a protocol version */
    for (int i = 0; i < 3; i++) {
        int fd = raw_connect(vm);
        static const char junk[] = "GARBAGE\x01\x02\x03\xff\xfe\n, not RFB";

        g_assert_cmpint(read(fd, version, sizeof(version)), ==, 12);
        g_assert_true(memcmp(version, "RFB 003.", 8) == 0);
        g_assert_cmpint(write(fd, junk, sizeof(junk)), ==, sizeof(junk));
        g_assert_true(closed_by_server(fd, 30));
        close(fd);
    }
    g_assert_true(vm_wait_stderr(vm, "not a valid RFB client", 10));

    /* hang up in the middle of a big raw update, again and again */
    for (int i = 0; i < 5; i++) {
        g_autoptr(GError) error = NULL;
        int fd = raw_connect(vm);
        VncTestClient *hang = vnc_test_client_new(fd, NULL, "raw", &error);

        g_assert_no_error(error);
        vnc_test_client_pump(hang, 1);
        /* shut the socket hard: the server is half way through 1.2 MB */
        shutdown(vnc_test_client_fd(hang), SHUT_RDWR);
        vnc_test_client_free(hang);
    }

    /* more clients than it serves, none of which finishes the handshake */
    for (guint i = 0; i < G_N_ELEMENTS(fds); i++)
        fds[i] = raw_connect(vm);
    g_assert_true(vm_wait_stderr(vm, "refusing a VNC client", 30));
    /* they are dropped once the handshake times out ... */
    for (guint i = 0; i < G_N_ELEMENTS(fds); i++) {
        g_assert_true(closed_by_server(fds[i], 60));
        close(fds[i]);
    }
    g_assert_true(vm_wait_stderr(vm, "did not finish the handshake", 10));
    /* ... and the VM, and its screen, carried on */
    g_assert_true(vm_running(vm));
    c = connect_unix(vm);
    assert_picture(c, 640, 480, pic_a, NULL, "after the hostile clients");
}

/* ---- TCP with a password; what --display refuses ---- */

static int listening_port(Vm *vm)
{
    g_autofree char *err = NULL;
    const char *p;

    g_assert_true(vm_wait_stderr(vm, "VNC server on tcp:127.0.0.1:", 20));
    err = vm_stderr(vm);
    p = strstr(err, "VNC server on tcp:127.0.0.1:");
    return (int)g_ascii_strtoll(p + strlen("VNC server on tcp:127.0.0.1:"),
                                NULL, 10);
}

static void test_tcp_password(void)
{
    g_autoptr(Vm) vm = NULL;
    g_autoptr(VncTestClient) c = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("vireo-vnc-pw-XXXXXX", NULL);
    g_autofree char *pwfile = g_build_filename(dir, "password", NULL);
    g_autofree char *display = NULL;
    VncTestClient *wrong;
    int port;

    if (!vmm_test_have_kvm())
        return;
    g_assert_true(g_file_set_contents(pwfile, "s3cret\n", -1, NULL));
    g_chmod(pwfile, 0600);
    display = g_strdup_printf("vnc=tcp:127.0.0.1:0,password-file=%s", pwfile);
    vm = vm_start("display", NULL, display);
    port = listening_port(vm);
    g_assert_cmpint(port, >, 0);
    g_assert_true(vm_wait_serial(vm, "step 1 ready", BOOT_TIMEOUT));
    wrong = vnc_test_client_new_tcp("127.0.0.1", port, "guess", NULL, &error);
    g_assert_null(wrong);
    g_clear_error(&error);
    c = vnc_test_client_new_tcp("127.0.0.1", port, "s3cret", NULL, &error);
    g_assert_no_error(error);
    assert_picture(c, 640, 480, pic_a, NULL, "over TCP with a password");
    g_assert_true(vm_running(vm));
    g_unlink(pwfile);
    g_rmdir(dir);
}

static void test_bad_options(void)
{
    static const struct {
        const char *display, *message;
    } cases[] = {
        {"vnc=tcp:0.0.0.0:5900", "add ,password-file=FILE"},
        {"vnc=tcp:localhost:5900", "is not an IP address"},
        {"vnc=tcp:127.0.0.1", "is not tcp:ADDRESS:PORT"},
        {"vnc=tcp:127.0.0.1:99999", "is not tcp:ADDRESS:PORT"},
        {"vnc=unix:/tmp/x.sock,keymap=fr", "there is no keymap \"fr\""},
        {"vnc=unix:/tmp/x.sock,colour=red", "unknown VNC option"},
        {"vnc=unix:/tmp/x.sock,password-file=/dev/null", "tcp: only"},
        {"vnc=unix:", "neither unix:PATH nor tcp:ADDRESS:PORT"},
        {"spice", "is not a display"},
    };
    g_autofree char *kernel = vmm_test_guest("hello");

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *args[] = {"--kernel", kernel, "--display",
                              cases[i].display, NULL};
        g_autoptr(VmmRun) run = vmm_run(args, 30);

        g_assert_cmpint(run->status, ==, 2);
        if (!strstr(run->err, cases[i].message))
            g_error("--display %s said \"%s\", not \"%s\"", cases[i].display,
                    run->err, cases[i].message);
        g_assert_true(g_str_has_prefix(run->err, "vireo-vmm: --display: "));
    }
}

/* a --display none VM has no screen to open */
static void test_open_vnc_without_display(void)
{
    g_autoptr(VmmLive) live = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) ret = NULL;

    if (!vmm_test_have_kvm())
        return;
    live = vmm_live_start("timer", "forever=1", 1, NULL, &error);
    g_assert_no_error(error);
    ret = g_dbus_connection_call_with_unix_fd_list_sync(
        live->conn, NULL, "/org/vireo/Vmm1", "org.vireo.Vmm1", "OpenVnc",
        NULL, G_VARIANT_TYPE("(h)"), G_DBUS_CALL_FLAGS_NONE, 10000, NULL,
        NULL, NULL, &error);
    g_assert_null(ret);
    g_assert_error(error, G_DBUS_ERROR, G_DBUS_ERROR_NOT_SUPPORTED);
    g_assert_nonnull(strstr(error->message, "--display none"));
}

/* ---- the keyboard: every key of two layouts, as scan codes ---- */

/* the bytes the scancodes guest echoed as "key XX" (or "aux XX") */
static GByteArray *echoed(Vm *vm, const char *kind)
{
    g_autofree char *out = vm_serial(vm);
    g_autofree char *prefix = g_strconcat(kind, " ", NULL);
    GByteArray *bytes = g_byte_array_new();
    const char *p = strstr(out, "scancodes ready");

    for (p = p ? p : out; (p = strstr(p, prefix)); p += strlen(prefix)) {
        char *end;
        guint8 b = (guint8)strtoul(p + strlen(prefix), &end, 16);

        if (end != p + strlen(prefix) + 2 || (*end != '\r' && *end != '\n'))
            break; /* the line is not complete yet */
        g_byte_array_append(bytes, &b, 1);
    }
    return bytes;
}

static char *hex(const guint8 *b, guint n)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < n; i++)
        g_string_append_printf(s, "%s%02x", i ? " " : "", b[i]);
    return g_string_free(s, FALSE);
}

/* waits until the guest echoed as many bytes as @want, then compares */
static void expect_echo(Vm *vm, VncTestClient *c, const char *kind,
                        GByteArray *want, const char *what)
{
    gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
    g_autoptr(GByteArray) got = NULL;

    for (;;) {
        g_clear_pointer(&got, g_byte_array_unref);
        got = echoed(vm, kind);
        if (got->len >= want->len || g_get_monotonic_time() > deadline ||
            !vm_running(vm))
            break;
        vnc_test_client_pump(c, 10);
    }
    for (guint i = 0; i < want->len; i++)
        if (i >= got->len || got->data[i] != want->data[i]) {
            g_autofree char *w = hex(want->data, want->len);
            g_autofree char *g = hex(got->data, got->len);

            g_error("%s: the guest got\n  %s\nnot\n  %s\n(first difference "
                    "at byte %u)", what, g, w, i);
        }
    if (got->len > want->len) {
        g_autofree char *g = hex(got->data + want->len,
                                 got->len - want->len);

        g_error("%s: the guest got more than it should: %s", what, g);
    }
}

static void add_bytes(GByteArray *a, const char *hexes)
{
    g_auto(GStrv) parts = g_strsplit(hexes, " ", -1);

    for (int i = 0; parts[i]; i++) {
        guint8 b;

        if (!*parts[i])
            continue;
        b = (guint8)strtoul(parts[i], NULL, 16);
        g_byte_array_append(a, &b, 1);
    }
}

/* a key, by what the VNC client sends and the set 1 code it must give */
typedef struct {
    uint32_t keysym;
    guint level;       /* 0 plain, 1 with Shift, 2 with AltGr */
    guint16 code;      /* set 1 make code, 0x100 for an e0 prefix */
} TypedKey;

static void add_make_break(GByteArray *a, guint16 code, gboolean down)
{
    guint8 b = (guint8)((code & 0x7f) | (down ? 0 : 0x80));
    static const guint8 e0 = 0xe0;

    if (code & 0x100)
        g_byte_array_append(a, &e0, 1);
    g_byte_array_append(a, &b, 1);
}

/* types @keys the way a client with that layout does: its own Shift or
 * AltGr (ISO_Level3_Shift) around the key, so no fix-up is needed */
static void type_keys(Vm *vm, VncTestClient *c, const TypedKey *keys, guint n,
                      GByteArray *want, const char *layout)
{
    static const uint32_t mod_sym[] = {0, XK_Shift_L, XK_ISO_Level3_Shift};
    static const guint16 mod_code[] = {0, 0x2a, 0x138};

    for (guint i = 0; i < n; i++) {
        const TypedKey *k = &keys[i];
        g_autofree char *what = g_strdup_printf("%s keysym 0x%x", layout,
                                                k->keysym);

        if (k->level) {
            vnc_test_client_key(c, mod_sym[k->level], TRUE);
            add_make_break(want, mod_code[k->level], TRUE);
        }
        vnc_test_client_key(c, k->keysym, TRUE);
        vnc_test_client_key(c, k->keysym, FALSE);
        add_make_break(want, k->code, TRUE);
        add_make_break(want, k->code, FALSE);
        if (k->level) {
            vnc_test_client_key(c, mod_sym[k->level], FALSE);
            add_make_break(want, mod_code[k->level], FALSE);
        }
        /* a row at a time, well inside the keyboard's buffer */
        if (i % 12 == 11 || i + 1 == n)
            expect_echo(vm, c, "key", want, what);
    }
}

/* a row of plain keys and the same row with Shift: characters in
 * keysym order (Latin-1 keysyms are the characters) */
static guint add_row(TypedKey *out, const char *plain, const char *shifted,
                     const guint16 *codes)
{
    guint n = 0;

    for (guint i = 0; plain[i]; i++)
        out[n++] = (TypedKey){(guchar)plain[i], 0, codes[i]};
    for (guint i = 0; shifted && shifted[i]; i++)
        out[n++] = (TypedKey){(guchar)shifted[i], 1, codes[i]};
    return n;
}

static const guint16 row_e[] = {0x29, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d};
static const guint16 row_d[] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
                                0x17, 0x18, 0x19, 0x1a, 0x1b, 0x2b};
static const guint16 row_c[] = {0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24,
                                0x25, 0x26, 0x27, 0x28, 0x2b};
static const guint16 row_b[] = {0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32,
                                0x33, 0x34, 0x35};

/* keys that are the same on every layout */
static const TypedKey shared_keys[] = {
    {XK_Escape, 0, 0x01}, {XK_BackSpace, 0, 0x0e}, {XK_Tab, 0, 0x0f},
    {XK_Return, 0, 0x1c}, {XK_space, 0, 0x39}, {XK_Caps_Lock, 0, 0x3a},
    {XK_Num_Lock, 0, 0x45}, {XK_Scroll_Lock, 0, 0x46},
    {XK_Shift_L, 0, 0x2a}, {XK_Shift_R, 0, 0x36}, {XK_Control_L, 0, 0x1d},
    {XK_Control_R, 0, 0x11d}, {XK_Alt_L, 0, 0x38}, {XK_Alt_R, 0, 0x138},
    {XK_Super_L, 0, 0x15b}, {XK_Super_R, 0, 0x15c}, {XK_Menu, 0, 0x15d},
    {XK_Insert, 0, 0x152}, {XK_Delete, 0, 0x153}, {XK_Home, 0, 0x147},
    {XK_End, 0, 0x14f}, {XK_Page_Up, 0, 0x149}, {XK_Page_Down, 0, 0x151},
    {XK_Up, 0, 0x148}, {XK_Down, 0, 0x150}, {XK_Left, 0, 0x14b},
    {XK_Right, 0, 0x14d},
    {XK_F1, 0, 0x3b}, {XK_F2, 0, 0x3c}, {XK_F3, 0, 0x3d}, {XK_F4, 0, 0x3e},
    {XK_F5, 0, 0x3f}, {XK_F6, 0, 0x40}, {XK_F7, 0, 0x41}, {XK_F8, 0, 0x42},
    {XK_F9, 0, 0x43}, {XK_F10, 0, 0x44}, {XK_F11, 0, 0x57},
    {XK_F12, 0, 0x58}, {XK_F13, 0, 0x64}, {XK_F14, 0, 0x65},
    {XK_F15, 0, 0x66}, {XK_F16, 0, 0x67}, {XK_F17, 0, 0x68},
    {XK_F18, 0, 0x69}, {XK_F19, 0, 0x6a}, {XK_F20, 0, 0x6b},
    {XK_F21, 0, 0x6c}, {XK_F22, 0, 0x6d}, {XK_F23, 0, 0x6e},
    {XK_F24, 0, 0x76},
    {XK_KP_0, 0, 0x52}, {XK_KP_1, 0, 0x4f}, {XK_KP_2, 0, 0x50},
    {XK_KP_3, 0, 0x51}, {XK_KP_4, 0, 0x4b}, {XK_KP_5, 0, 0x4c},
    {XK_KP_6, 0, 0x4d}, {XK_KP_7, 0, 0x47}, {XK_KP_8, 0, 0x48},
    {XK_KP_9, 0, 0x49}, {XK_KP_Decimal, 0, 0x53}, {XK_KP_Add, 0, 0x4e},
    {XK_KP_Subtract, 0, 0x4a}, {XK_KP_Multiply, 0, 0x37},
    {XK_KP_Divide, 0, 0x135}, {XK_KP_Enter, 0, 0x11c},
    {XK_KP_Home, 0, 0x47}, {XK_KP_End, 0, 0x4f}, {XK_KP_Insert, 0, 0x52},
    {XK_KP_Delete, 0, 0x53},
};

static Vm *start_scancodes(const char *cmdline, const char *keymap)
{
    g_autofree char *display = g_strdup_printf("vnc=unix:@VNC@%s%s",
                                               keymap ? ",keymap=" : "",
                                               keymap ? keymap : "");
    Vm *vm = vm_start("scancodes", cmdline, display);

    g_assert_true(vm_wait_serial(vm, "scancodes ready", BOOT_TIMEOUT));
    return vm;
}

static void test_keyboard_us(void)
{
    g_autoptr(Vm) vm = NULL;
    g_autoptr(VncTestClient) c = NULL;
    g_autoptr(GByteArray) want = g_byte_array_new();
    g_autofree char *out = NULL;
    TypedKey keys[128];
    guint n = 0;

    if (!vmm_test_have_kvm())
        return;
    vm = start_scancodes(NULL, NULL);
    out = vm_serial(vm);
    /* set 2 as seen through the controller's translation */
    g_assert_nonnull(strstr(out, "keyboard reports set 41 (xlate 1)"));
    c = connect_unix(vm);
    n += add_row(keys + n, "`1234567890-=", "~!@#$%^&*()_+", row_e);
    n += add_row(keys + n, "qwertyuiop[]\\", "QWERTYUIOP{}|", row_d);
    n += add_row(keys + n, "asdfghjkl;'", "ASDFGHJKL:\"", row_c);
    n += add_row(keys + n, "zxcvbnm,./", "ZXCVBNM<>?", row_b);
    type_keys(vm, c, keys, n, want, "us");
    type_keys(vm, c, shared_keys, G_N_ELEMENTS(shared_keys), want, "us");

    /* Print Screen, alone and as Alt+SysRq; Pause, alone and as Break */
    press(c, XK_Print);
    add_bytes(want, "e0 2a e0 37 e0 b7 e0 aa");
    vnc_test_client_key(c, XK_Alt_L, TRUE);
    press(c, XK_Print);
    vnc_test_client_key(c, XK_Alt_L, FALSE);
    add_bytes(want, "38 54 d4 b8");
    press(c, XK_Pause);
    add_bytes(want, "e1 1d 45 e1 9d c5");
    vnc_test_client_key(c, XK_Control_L, TRUE);
    press(c, XK_Pause);
    vnc_test_client_key(c, XK_Control_L, FALSE);
    add_bytes(want, "1d e0 46 e0 c6 9d");
    expect_echo(vm, c, "key", want, "Print and Pause");

    /* auto-repeat as the client sends it: downs, then one up */
    for (int i = 0; i < 3; i++)
        vnc_test_client_key(c, XK_a, TRUE);
    vnc_test_client_key(c, XK_a, FALSE);
    add_bytes(want, "1e 1e 1e 9e");
    /* a client that sends 'A' without Shift gets a Shift for it, one
     * that sends '1' with Shift held gets it lifted */
    press(c, XK_A);
    add_bytes(want, "2a 1e aa 9e");
    vnc_test_client_key(c, XK_Shift_R, TRUE);
    press(c, XK_1);
    vnc_test_client_key(c, XK_Shift_R, FALSE);
    add_bytes(want, "36 b6 02 36 82 b6");
    /* a key released after its modifier still breaks the key it made */
    vnc_test_client_key(c, XK_Shift_L, TRUE);
    vnc_test_client_key(c, XK_exclam, TRUE);
    vnc_test_client_key(c, XK_Shift_L, FALSE);
    vnc_test_client_key(c, XK_1, FALSE);
    add_bytes(want, "2a 02 aa 82");
    expect_echo(vm, c, "key", want, "repeat and fix-ups");
}

static void test_keyboard_de(void)
{
    static const TypedKey de_keys[] = {
        {XK_dead_circumflex, 0, 0x29}, {XK_degree, 1, 0x29},
        {XK_1, 0, 0x02}, {XK_exclam, 1, 0x02}, {XK_onesuperior, 2, 0x02},
        {XK_2, 0, 0x03}, {XK_quotedbl, 1, 0x03}, {XK_twosuperior, 2, 0x03},
        {XK_3, 0, 0x04}, {XK_section, 1, 0x04},
        {XK_threesuperior, 2, 0x04}, {XK_4, 0, 0x05}, {XK_dollar, 1, 0x05},
        {XK_5, 0, 0x06}, {XK_percent, 1, 0x06}, {XK_6, 0, 0x07},
        {XK_ampersand, 1, 0x07}, {XK_7, 0, 0x08}, {XK_slash, 1, 0x08},
        {XK_braceleft, 2, 0x08}, {XK_8, 0, 0x09}, {XK_parenleft, 1, 0x09},
        {XK_bracketleft, 2, 0x09}, {XK_9, 0, 0x0a},
        {XK_parenright, 1, 0x0a}, {XK_bracketright, 2, 0x0a},
        {XK_0, 0, 0x0b}, {XK_equal, 1, 0x0b}, {XK_braceright, 2, 0x0b},
        {XK_ssharp, 0, 0x0c}, {XK_question, 1, 0x0c},
        {XK_backslash, 2, 0x0c}, {XK_dead_acute, 0, 0x0d},
        {XK_dead_grave, 1, 0x0d},
        {XK_q, 0, 0x10}, {XK_Q, 1, 0x10}, {XK_at, 2, 0x10},
        {XK_w, 0, 0x11}, {XK_e, 0, 0x12}, {XK_EuroSign, 2, 0x12},
        {XK_r, 0, 0x13}, {XK_t, 0, 0x14}, {XK_z, 0, 0x15}, {XK_Z, 1, 0x15},
        {XK_u, 0, 0x16}, {XK_i, 0, 0x17}, {XK_o, 0, 0x18}, {XK_p, 0, 0x19},
        {XK_udiaeresis, 0, 0x1a}, {XK_Udiaeresis, 1, 0x1a},
        {XK_plus, 0, 0x1b}, {XK_asterisk, 1, 0x1b},
        {XK_asciitilde, 2, 0x1b},
        {XK_a, 0, 0x1e}, {XK_s, 0, 0x1f}, {XK_d, 0, 0x20}, {XK_f, 0, 0x21},
        {XK_g, 0, 0x22}, {XK_h, 0, 0x23}, {XK_j, 0, 0x24}, {XK_k, 0, 0x25},
        {XK_l, 0, 0x26}, {XK_odiaeresis, 0, 0x27},
        {XK_Odiaeresis, 1, 0x27}, {XK_adiaeresis, 0, 0x28},
        {XK_Adiaeresis, 1, 0x28}, {XK_numbersign, 0, 0x2b},
        {XK_apostrophe, 1, 0x2b},
        {XK_less, 0, 0x56}, {XK_greater, 1, 0x56}, {XK_bar, 2, 0x56},
        {XK_y, 0, 0x2c}, {XK_Y, 1, 0x2c}, {XK_x, 0, 0x2d}, {XK_c, 0, 0x2e},
        {XK_v, 0, 0x2f}, {XK_b, 0, 0x30}, {XK_n, 0, 0x31}, {XK_m, 0, 0x32},
        {XK_mu, 2, 0x32}, {XK_comma, 0, 0x33}, {XK_semicolon, 1, 0x33},
        {XK_period, 0, 0x34}, {XK_colon, 1, 0x34}, {XK_minus, 0, 0x35},
        {XK_underscore, 1, 0x35}, {XK_KP_Separator, 0, 0x53},
    };
    g_autoptr(Vm) vm = NULL;
    g_autoptr(VncTestClient) c = NULL;
    g_autoptr(GByteArray) want = g_byte_array_new();

    if (!vmm_test_have_kvm())
        return;
    vm = start_scancodes(NULL, "de");
    g_assert_true(vm_wait_stderr(vm, "(keymap de)", 10));
    c = connect_unix(vm);
    type_keys(vm, c, de_keys, G_N_ELEMENTS(de_keys), want, "de");
    type_keys(vm, c, shared_keys, G_N_ELEMENTS(shared_keys), want, "de");
    /* a US client typing '@' (Shift+2 on its side) on a German guest:
     * Shift goes up, AltGr+Q goes down, and Shift comes back */
    vnc_test_client_key(c, XK_Shift_L, TRUE);
    press(c, XK_at);
    vnc_test_client_key(c, XK_Shift_L, FALSE);
    add_bytes(want, "2a aa e0 38 10 e0 b8 2a 90 aa");
    expect_echo(vm, c, "key", want, "'@' from another layout");
}

/* scan code set 2 without translation, and set 1 */
static void test_keyboard_sets(void)
{
    static const struct {
        uint32_t keysym;
        const char *bytes;
    } set2[] = {
        {XK_a, "1c f0 1c"},
        {XK_Up, "e0 75 e0 f0 75"},
        {XK_F7, "83 f0 83"},
        {XK_Shift_R, "59 f0 59"},
        {XK_KP_Enter, "e0 5a e0 f0 5a"},
        {XK_Print, "e0 12 e0 7c e0 f0 7c e0 f0 12"},
        {XK_Pause, "e1 14 77 e1 f0 14 f0 77"},
        {XK_F24, "5f f0 5f"},
    };

    if (!vmm_test_have_kvm())
        return;
    {
        g_autoptr(Vm) vm = start_scancodes("set=2 xlate=0", NULL);
        g_autoptr(VncTestClient) c = connect_unix(vm);
        g_autoptr(GByteArray) want = g_byte_array_new();
        g_autofree char *out = vm_serial(vm);

        g_assert_nonnull(strstr(out, "keyboard reports set 2 (xlate 0)"));
        for (guint i = 0; i < G_N_ELEMENTS(set2); i++) {
            press(c, set2[i].keysym);
            add_bytes(want, set2[i].bytes);
        }
        expect_echo(vm, c, "key", want, "scan code set 2");
    }
    {
        g_autoptr(Vm) vm = start_scancodes("set=1 xlate=0", NULL);
        g_autoptr(VncTestClient) c = connect_unix(vm);
        g_autoptr(GByteArray) want = g_byte_array_new();
        g_autofree char *out = vm_serial(vm);

        g_assert_nonnull(strstr(out, "keyboard reports set 1 (xlate 0)"));
        press(c, XK_a);
        press(c, XK_Up);
        add_bytes(want, "1e 9e e0 48 e0 c8");
        expect_echo(vm, c, "key", want, "scan code set 1");
    }
}

/* the pointer drives the PS/2 mouse: relative moves, buttons */
static void test_mouse(void)
{
    g_autoptr(Vm) vm = NULL;
    g_autoptr(VncTestClient) c = NULL;
    g_autoptr(GByteArray) want = g_byte_array_new();

    if (!vmm_test_have_kvm())
        return;
    vm = start_scancodes("mouse=1", NULL);
    c = connect_unix(vm);
    vnc_test_client_pointer(c, 100, 100, 0);   /* where the pointer starts */
    add_bytes(want, "08 00 00");
    vnc_test_client_pointer(c, 110, 95, 1);    /* right 10, up 5, left */
    add_bytes(want, "09 0a 05");
    vnc_test_client_pointer(c, 110, 95, 4);    /* the right button */
    add_bytes(want, "0a 00 00");
    vnc_test_client_pointer(c, 90, 400, 2);    /* middle; 305 down: two */
    add_bytes(want, "3c ec 01 2c 00 ce");
    /* no wheel on a plain PS/2 mouse: a scroll is only a packet */
    vnc_test_client_pointer(c, 90, 400, 8);
    add_bytes(want, "08 00 00");
    expect_echo(vm, c, "aux", want, "the PS/2 mouse");
}

/* the wheel, once the guest knocks the mouse into IntelliMouse mode */
static void test_mouse_wheel(void)
{
    g_autoptr(Vm) vm = NULL;
    g_autoptr(VncTestClient) c = NULL;
    g_autoptr(GByteArray) want = g_byte_array_new();
    g_autofree char *out = NULL;

    if (!vmm_test_have_kvm())
        return;
    vm = start_scancodes("mouse=2", NULL);
    out = vm_serial(vm);
    g_assert_nonnull(strstr(out, "mouse ID 3"));
    c = connect_unix(vm);
    vnc_test_client_pointer(c, 50, 50, 0);
    add_bytes(want, "08 00 00 00");
    vnc_test_client_pointer(c, 50, 50, 8);     /* wheel up: press ... */
    vnc_test_client_pointer(c, 50, 50, 0);     /* ... and release */
    add_bytes(want, "08 00 00 0f 08 00 00 00");
    vnc_test_client_pointer(c, 51, 50, 16);    /* wheel down, and a move */
    add_bytes(want, "08 01 00 01");
    expect_echo(vm, c, "aux", want, "the IntelliMouse wheel");
}

/* ---- the same guest under QEMU's bochs-display ---- */

static void test_qemu_compat(void)
{
    g_autofree char *qemu = g_find_program_in_path("qemu-system-x86_64");
    g_autofree char *kernel = vmm_test_guest("display");
    g_autofree char *dir = NULL;
    g_autofree char *vnc = NULL, *vnc_arg = NULL, *serial_arg = NULL;
    g_autoptr(Vm) vm = g_new0(Vm, 1);
    g_autoptr(GError) error = NULL;
    g_autoptr(VncTestClient) c = NULL;
    g_autofree char *serial = NULL;
    gint64 deadline;
    uint32_t last;

    if (!qemu) {
        g_test_skip("qemu-system-x86_64 is not installed");
        return;
    }
    dir = g_dir_make_tmp("vireo-qemu-display-XXXXXX", &error);
    g_assert_no_error(error);
    vm->dir = g_strdup(dir);
    vm->vnc_path = g_build_filename(dir, "vnc.sock", NULL);
    vm->serial_path = g_build_filename(dir, "serial.log", NULL);
    vm->err_path = g_build_filename(dir, "stderr.log", NULL);
    vnc_arg = g_strconcat("unix:", vm->vnc_path, NULL);
    serial_arg = g_strconcat("file:", vm->serial_path, NULL);
    {
        g_autoptr(GSubprocessLauncher) l =
            g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE);

        g_subprocess_launcher_set_stderr_file_path(l, vm->err_path);
        g_subprocess_launcher_set_child_setup(l, vmm_test_die_with_parent, NULL,
                                          NULL);
        /* TCG: fine for a compatibility check */
        vm->proc = g_subprocess_launcher_spawn(
            l, &error, qemu, "-M", "pc", "-accel", "tcg", "-cpu", "max",
            "-m", "64M", "-nodefaults", "-no-user-config", "-display", "none",
            "-vnc", vnc_arg, "-device", "bochs-display", "-device",
            "isa-debug-exit,iobase=0xf4,iosize=4", "-serial", serial_arg,
            "-kernel", kernel, "-append", "big=1", NULL);
    }
    g_assert_no_error(error);
    deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
    while (!g_file_test(vm->vnc_path, G_FILE_TEST_EXISTS)) {
        g_assert_true(vm_running(vm));
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(10000);
    }
    g_assert_true(vm_wait_serial(vm, "step 1 ready", 120));
    c = connect_unix(vm);
    g_assert_true(vnc_test_client_no_ext_desktop_size(c));
    assert_picture(c, 640, 480, pic_a, NULL, "QEMU step 1");
    press(c, XK_n);
    g_assert_true(vm_wait_serial(vm, "step 2 ready", 60));
    assert_picture(c, 1024, 768, pic_b, NULL, "QEMU step 2");
    press(c, XK_n);
    g_assert_true(vm_wait_serial(vm, "step 3 ready", 60));
    assert_picture(c, 800, 600, pic_c, NULL, "QEMU step 3");
    press(c, XK_n);
    g_assert_true(vm_wait_serial(vm, "big ready", 60));
    assert_picture(c, 1920, 1200, pic_big, NULL, "QEMU 1920x1200x32");
    press(c, XK_n);
    g_assert_true(vm_wait_serial(vm, "step 4 ready", 120));
    g_assert_true(vm_wait_serial(vm, "step 4 ready, frame 119\r", 10));
    serial = vm_serial(vm);
    g_assert_true(anim_last_frame(serial, &last));
    assert_picture(c, ANIM_W, ANIM_H, pic_anim, &last, "QEMU step 4");
    press(c, XK_n);
    g_assert_cmpint(vm_wait_exit(vm, 60), ==, PASS);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    signal(SIGPIPE, SIG_IGN);
    g_test_add_func("/vmm/display/steps", test_steps);
    g_test_add_func("/vmm/display/reset", test_reset);
    g_test_add_func("/vmm/display/bad-clients", test_bad_clients);
    g_test_add_func("/vmm/display/tcp-password", test_tcp_password);
    g_test_add_func("/vmm/display/bad-options", test_bad_options);
    g_test_add_func("/vmm/display/open-vnc-without-display",
                    test_open_vnc_without_display);
    g_test_add_func("/vmm/display/keyboard-us", test_keyboard_us);
    g_test_add_func("/vmm/display/keyboard-de", test_keyboard_de);
    g_test_add_func("/vmm/display/keyboard-sets", test_keyboard_sets);
    g_test_add_func("/vmm/display/mouse", test_mouse);
    g_test_add_func("/vmm/display/mouse-wheel", test_mouse_wheel);
    g_test_add_func("/vmm/display/qemu-compat", test_qemu_compat);
    return g_test_run();
}
