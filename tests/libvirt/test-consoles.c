/* test-consoles.c: consoles of real QEMU guests, locally and over SSH
 *
 * Run by tests/libvirt/harness.py (real libvirtd, sshd on loopback, the
 * Linux test guest).  Every console is opened through libvireo, as the app
 * opens it; the VNC side is read with gvnc (gtk-vnc's protocol library):
 * pixels of the guest's screen, keys typed on its tty1 that come out of its
 * serial port.  Over qemu+ssh:// the sshd log proves one login for the
 * connection and all its consoles.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <glib-unix.h>
#include <gvnc.h>
#include <string.h>
#include <unistd.h>

#include "vireo-libvirt-test.h"

static char *
domain_name(const char *what)
{
    g_autofree char *console = g_strconcat("console-", what, NULL);

    return lt_name(console);
}

/* A domain: @kernel boots the test guest (otherwise QEMU runs the BIOS,
 * which is enough for a VNC server); @graphics is the <graphics> element or
 * NULL for none. */
static char *
domain_xml(const char *name, gboolean kernel, const char *graphics)
{
    g_autofree char *os = kernel ? lt_guest_os() : NULL;

    return g_strdup_printf(
        "<domain type='qemu'><name>%s</name>"
        "<memory unit='MiB'>256</memory><vcpu>1</vcpu>"
        "<os><type arch='x86_64' machine='pc'>hvm</type>%s</os>"
        "<features><acpi/><apic/></features>"
        "<devices><serial type='pty'/>%s<video><model type='vga'/></video></devices>"
        "</domain>",
        name, os ? os : "", graphics ? graphics : "");
}

static VireoDomain *
define_and_start(VireoConnection *connection, const char *name, gboolean kernel,
                 const char *graphics)
{
    g_autofree char *xml = domain_xml(name, kernel, graphics);
    g_autoptr(GError) error = NULL;
    g_autoptr(VireoDomain) domain = lt_define(connection, xml);
    g_assert_true(vt_action(domain, VIREO_DOMAIN_ACTION_START, &error));
    g_assert_no_error(error);
    vt_wait_state(domain, VIREO_DOMAIN_STATE_RUNNING);
    return g_steal_pointer(&domain);
}

static void
delete_domain(VireoDomain *domain)
{
    lt_delete(domain, VIREO_DOMAIN_DELETE_NONE);
}

static int
open_console(VireoDomain *domain, gboolean graphics, GError **error)
{
    g_autoptr(GAsyncResult) result = NULL;

    if (graphics)
        vireo_domain_open_graphics_async(domain, NULL, vt_store_result, &result);
    else
        vireo_domain_open_serial_async(domain, NULL, vt_store_result, &result);
    vt_await_result(&result, LT_IO_SECONDS);
    return graphics ? vireo_domain_open_graphics_finish(domain, result, error)
                    : vireo_domain_open_serial_finish(domain, result, error);
}

/* ---- the serial side ---- */

typedef struct {
    int fd;
    GString *seen;
    gboolean closed;
    guint source;
} Serial;

static gboolean
serial_readable(int fd, GIOCondition condition, gpointer user_data)
{
    Serial *serial = user_data;
    char buffer[4096];
    ssize_t n;

    while ((n = read(fd, buffer, sizeof buffer)) > 0)
        g_string_append_len(serial->seen, buffer, n);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        serial->closed = TRUE;
        serial->source = 0;
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void
serial_open(Serial *serial, VireoDomain *domain)
{
    g_autoptr(GError) error = NULL;

    serial->seen = g_string_new(NULL);
    serial->fd = open_console(domain, FALSE, &error);
    g_assert_no_error(error);
    g_assert_cmpint(serial->fd, >=, 0);
    g_assert_true(g_unix_set_fd_nonblocking(serial->fd, TRUE, NULL));
    serial->source = g_unix_fd_add(serial->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, serial_readable,
                                   serial);
}

static void
serial_close(Serial *serial)
{
    g_clear_handle_id(&serial->source, g_source_remove);
    close(serial->fd);
    g_string_free(serial->seen, TRUE);
}

typedef struct {
    Serial *serial;
    const char *needle;
} SerialWait;

static gboolean
serial_contains(gpointer user_data)
{
    SerialWait *wait = user_data;

    return strstr(wait->serial->seen->str, wait->needle) != NULL || wait->serial->closed;
}

/* Iterates until @needle shows up on @serial (or it closes). */
static gboolean
serial_wait(Serial *serial, const char *needle, guint seconds)
{
    SerialWait wait = {serial, needle};

    vt_wait_until(serial_contains, &wait, seconds);
    return strstr(serial->seen->str, needle) != NULL;
}

static void
serial_write(Serial *serial, const char *text)
{
    g_assert_cmpint(write(serial->fd, text, strlen(text)), ==, (ssize_t)strlen(text));
}

/* Asks the shell on ttyS0 for arithmetic until it answers: the guest booted
 * and the serial console goes both ways.  The answer differs from what is
 * typed, so an echo of the input does not count. */
static void
serial_wait_for_shell(Serial *serial)
{
    gint64 deadline = g_get_monotonic_time() + LT_BOOT_SECONDS * G_USEC_PER_SEC;

    while (g_get_monotonic_time() < deadline) {
        serial_write(serial, "echo VIREO-SERIAL-$((6*7))\n");
        if (serial_wait(serial, "VIREO-SERIAL-42", 3))
            return;
        g_assert_false(serial->closed);
    }
    g_error("the guest's shell on ttyS0 never answered; it printed:\n%s", serial->seen->str);
}

/* ---- the VNC side, with gvnc ---- */

typedef struct {
    VncConnection *conn;
    guint8 *pixels;
    int width, height;
    guint updates;
    gboolean initialized;
    gboolean failed;
    char *error;
    gboolean auth_failed;
    const char *password;
    guint tick;
} Vnc;

static const VncPixelFormat rgb32 = {
    .bits_per_pixel = 32,
    .depth = 24,
    .byte_order = G_LITTLE_ENDIAN,
    .true_color_flag = 1,
    .red_max = 255,
    .green_max = 255,
    .blue_max = 255,
    .red_shift = 16,
    .green_shift = 8,
    .blue_shift = 0,
};

static void
vnc_set_framebuffer(Vnc *vnc)
{
    vnc->width = vnc_connection_get_width(vnc->conn);
    vnc->height = vnc_connection_get_height(vnc->conn);
    g_free(vnc->pixels);
    vnc->pixels = g_malloc0((gsize)vnc->width * vnc->height * 4);
    VncBaseFramebuffer *fb = vnc_base_framebuffer_new(vnc->pixels, vnc->width, vnc->height,
                                                      vnc->width * 4, &rgb32, &rgb32);
    vnc_connection_set_framebuffer(vnc->conn, VNC_FRAMEBUFFER(fb));
    g_object_unref(fb);
    vnc_connection_framebuffer_update_request(vnc->conn, FALSE, 0, 0, vnc->width, vnc->height);
}

static void
on_initialized(VncConnection *conn, Vnc *vnc)
{
    /* Plain key events (no QEMU scancodes): the server maps keysyms. */
    gint32 encodings[] = {VNC_CONNECTION_ENCODING_RAW, VNC_CONNECTION_ENCODING_DESKTOP_RESIZE};

    vnc_connection_set_pixel_format(conn, &rgb32);
    vnc_connection_set_encodings(conn, G_N_ELEMENTS(encodings), encodings);
    vnc_set_framebuffer(vnc);
    vnc->initialized = TRUE;
}

static void
on_update(VncConnection *conn, int x, int y, int w, int h, Vnc *vnc)
{
    vnc->updates++;
}

static void
on_resize(VncConnection *conn, int width, int height, Vnc *vnc)
{
    vnc_set_framebuffer(vnc);
}

static void
on_choose_type(VncConnection *conn, GValueArray *types, Vnc *vnc)
{
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS
    for (guint i = 0; i < types->n_values; i++) {
        guint type = g_value_get_enum(g_value_array_get_nth(types, i));
        if (type == VNC_CONNECTION_AUTH_NONE || type == VNC_CONNECTION_AUTH_VNC) {
            vnc_connection_set_auth_type(conn, type);
            return;
        }
    }
    G_GNUC_END_IGNORE_DEPRECATIONS
    vnc->failed = TRUE;
}

static void
on_credential(VncConnection *conn, GValueArray *credentials, Vnc *vnc)
{
    vnc_connection_set_credential(conn, VNC_CONNECTION_CREDENTIAL_PASSWORD,
                                  vnc->password ? vnc->password : "");
}

static void
on_auth_failure(VncConnection *conn, const char *reason, Vnc *vnc)
{
    vnc->auth_failed = TRUE;
}

static void
on_error(VncConnection *conn, const char *message, Vnc *vnc)
{
    g_free(vnc->error);
    vnc->error = g_strdup(message);
}

static void
on_disconnected(VncConnection *conn, Vnc *vnc)
{
    vnc->failed = TRUE;
}

static gboolean vnc_tick(gpointer user_data);

static Vnc *
vnc_open(int fd, const char *password)
{
    Vnc *vnc = g_new0(Vnc, 1);

    vnc->password = password;
    vnc->conn = vnc_connection_new();
    g_signal_connect(vnc->conn, "vnc-initialized", G_CALLBACK(on_initialized), vnc);
    g_signal_connect(vnc->conn, "vnc-framebuffer-update", G_CALLBACK(on_update), vnc);
    g_signal_connect(vnc->conn, "vnc-desktop-resize", G_CALLBACK(on_resize), vnc);
    g_signal_connect(vnc->conn, "vnc-auth-choose-type", G_CALLBACK(on_choose_type), vnc);
    g_signal_connect(vnc->conn, "vnc-auth-credential", G_CALLBACK(on_credential), vnc);
    g_signal_connect(vnc->conn, "vnc-auth-failure", G_CALLBACK(on_auth_failure), vnc);
    g_signal_connect(vnc->conn, "vnc-error", G_CALLBACK(on_error), vnc);
    g_signal_connect(vnc->conn, "vnc-disconnected", G_CALLBACK(on_disconnected), vnc);
    /* Other viewers stay connected (as in the app). */
    vnc_connection_set_shared(vnc->conn, TRUE);
    g_assert_true(vnc_connection_open_fd(vnc->conn, fd));
    vnc->tick = g_timeout_add(200, vnc_tick, vnc);
    return vnc;
}

static void
vnc_free(Vnc *vnc)
{
    g_clear_handle_id(&vnc->tick, g_source_remove);
    vnc_connection_shutdown(vnc->conn);
    vt_spin(50);
    g_object_unref(vnc->conn);
    g_free(vnc->pixels);
    g_free(vnc->error);
    g_free(vnc);
}

/* Distinct colours on the screen (up to a few). */
static guint
vnc_colours(Vnc *vnc)
{
    guint32 seen[8];
    guint n = 0;

    for (int i = 0; vnc->pixels && i < vnc->width * vnc->height && n < G_N_ELEMENTS(seen); i++) {
        guint32 p = ((guint32 *)vnc->pixels)[i] & 0xffffff;
        gboolean known = FALSE;
        for (guint k = 0; k < n && !known; k++)
            known = seen[k] == p;
        if (!known)
            seen[n++] = p;
    }
    return n;
}

static gboolean
vnc_shows_text(gpointer user_data)
{
    Vnc *vnc = user_data;

    return vnc->failed || vnc->auth_failed || (vnc->updates > 0 && vnc_colours(vnc) >= 2);
}

/* Asks for what changed, as a viewer does; also wakes the waiting loop. */
static gboolean
vnc_tick(gpointer user_data)
{
    Vnc *vnc = user_data;

    if (vnc->initialized && !vnc->failed)
        vnc_connection_framebuffer_update_request(vnc->conn, TRUE, 0, 0, vnc->width,
                                                  vnc->height);
    return G_SOURCE_CONTINUE;
}

/* Types ASCII @text as a US keyboard would, Shift included: the server
 * maps each keysym to a key and does not press Shift by itself. */
static void
vnc_type(Vnc *vnc, const char *text)
{
    const guint32 shift = 0xffe1, enter = 0xff0d;

    for (const char *p = text; *p; p++) {
        guint32 keysym = *p == '\n' ? enter : (guint32)(guchar)*p;
        gboolean shifted = g_ascii_isupper(*p) || strchr("~!@#$%^&*()_+{}|:\"<>?", *p);
        if (shifted)
            vnc_connection_key_event(vnc->conn, TRUE, shift, 0);
        vnc_connection_key_event(vnc->conn, TRUE, keysym, 0);
        vnc_connection_key_event(vnc->conn, FALSE, keysym, 0);
        if (shifted)
            vnc_connection_key_event(vnc->conn, FALSE, shift, 0);
    }
}

static gboolean
vnc_failed(gpointer user_data)
{
    return ((Vnc *)user_data)->failed;
}

/* ---- fixtures ---- */

typedef struct {
    VireoConnection *connection;
    VireoDomain *guest; /* boots Linux: shells on ttyS0 and tty1 */
} Fixture;

static void
fixture_setup(Fixture *fixture, gconstpointer data)
{
    const char *uri_var = data;

    if (!lt_have_harness())
        return;
    fixture->connection = vt_connect(lt_env(uri_var));
    g_autofree char *name = domain_name("guest");
    fixture->guest = define_and_start(fixture->connection, name, TRUE,
                                      "<graphics type='vnc' listen='127.0.0.1' autoport='yes'/>");
}

static void
fixture_teardown(Fixture *fixture, gconstpointer data)
{
    if (fixture->guest) {
        delete_domain(fixture->guest);
        g_clear_object(&fixture->guest);
    }
    if (fixture->connection) {
        vireo_connection_close(fixture->connection);
        g_clear_object(&fixture->connection);
    }
}

/* ---- tests ---- */

/* Screen and serial port of one guest: pixels arrive, keys typed over VNC on
 * tty1 come out of ttyS0 through the serial console. */
static void
test_screen_and_serial(Fixture *fixture, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    if (!fixture->guest)
        return;

    Serial serial = {0};
    serial_open(&serial, fixture->guest);
    serial_wait_for_shell(&serial);

    int fd = open_console(fixture->guest, TRUE, &error);
    g_assert_no_error(error);
    g_assert_cmpint(fd, >=, 0);
    Vnc *vnc = vnc_open(fd, NULL);
    g_assert_true(vt_wait_until(vnc_shows_text, vnc, LT_IO_SECONDS));
    g_assert_false(vnc->failed);
    g_test_message("VNC %dx%d, %u updates, %u colours", vnc->width, vnc->height, vnc->updates,
                   vnc_colours(vnc));
    g_assert_cmpint(vnc->width, >=, 320);

    /* tty1's shell prints what we type over VNC to the serial port. */
    gint64 deadline = g_get_monotonic_time() + LT_BOOT_SECONDS * G_USEC_PER_SEC;
    gboolean arrived = FALSE;
    while (!arrived && g_get_monotonic_time() < deadline) {
        vnc_type(vnc, "echo VIREO-VNC-$((6*7)) >/dev/ttyS0\n");
        arrived = serial_wait(&serial, "VIREO-VNC-42", 10);
    }
    g_assert_true(arrived);

    vnc_free(vnc);
    serial_close(&serial);
}

/* A console that disappears: forcing the VM off ends both streams. */
static void
test_console_disappears(Fixture *fixture, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    if (!fixture->guest)
        return;
    Serial serial = {0};
    serial_open(&serial, fixture->guest);
    int fd = open_console(fixture->guest, TRUE, &error);
    g_assert_no_error(error);
    Vnc *vnc = vnc_open(fd, NULL);
    g_assert_true(vt_wait_until(vnc_shows_text, vnc, LT_IO_SECONDS));

    g_assert_true(vt_action(fixture->guest, VIREO_DOMAIN_ACTION_FORCE_OFF, &error));
    g_assert_no_error(error);
    /* The serial stream ends (nothing will ever print this). */
    serial_wait(&serial, "\x01", LT_IO_SECONDS);
    g_assert_true(serial.closed);
    g_assert_true(vt_wait_until(vnc_failed, vnc, LT_IO_SECONDS));
    vt_wait_state(fixture->guest, VIREO_DOMAIN_STATE_SHUTOFF);

    /* And a new open says why not. */
    g_assert_cmpint(open_console(fixture->guest, TRUE, &error), ==, -1);
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_STATE);

    vnc_free(vnc);
    serial_close(&serial);
}

/* Over qemu+ssh://: one SSH login for the connection and every console. */
static void
test_ssh_one_login(Fixture *fixture, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    if (!fixture->guest)
        return;
    g_assert_nonnull(lt_env("VIREO_TEST_SSH_LOG"));
    guint before = lt_ssh_logins();
    g_autoptr(VireoConnection) ssh = vt_connect(lt_env("VIREO_TEST_SSH_URI"));
    VireoDomain *guest = vireo_connection_lookup_domain_by_name(
        ssh, vireo_domain_get_name(fixture->guest));
    g_assert_nonnull(guest);

    Serial serial = {0};
    serial_open(&serial, guest);
    serial_wait_for_shell(&serial);

    Vnc *vncs[3];
    for (guint i = 0; i < G_N_ELEMENTS(vncs); i++) {
        int fd = open_console(guest, TRUE, &error);
        g_assert_no_error(error);
        vncs[i] = vnc_open(fd, NULL);
    }
    for (guint i = 0; i < G_N_ELEMENTS(vncs); i++)
        g_assert_true(vt_wait_until(vnc_shows_text, vncs[i], LT_IO_SECONDS) && !vncs[i]->failed);
    vnc_type(vncs[1], "echo VIREO-SSH-$((6*7)) >/dev/ttyS0\n");
    g_assert_true(serial_wait(&serial, "VIREO-SSH-42", LT_IO_SECONDS));

    guint after = lt_ssh_logins();
    g_test_message("ssh logins: %u before, %u after the connection, a serial and 3 VNC consoles",
                   before, after);
    g_assert_cmpuint(after, ==, before + 1);

    for (guint i = 0; i < G_N_ELEMENTS(vncs); i++)
        vnc_free(vncs[i]);
    serial_close(&serial);
    vireo_connection_close(ssh);
}

/* VMs whose console cannot be shown say why, at once. */
static void
test_no_graphics(gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    if (!lt_have_harness())
        return;
    g_autoptr(VireoConnection) connection = vt_connect(lt_env(data));
    g_autofree char *name = domain_name("nographics");
    g_autoptr(VireoDomain) domain = define_and_start(connection, name, FALSE, NULL);

    g_assert_cmpint(open_console(domain, TRUE, &error), ==, -1);
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_NOT_SUPPORTED);
    g_assert_nonnull(strstr(error->message, "no graphical display"));
    delete_domain(domain);
    vireo_connection_close(connection);
}

/* A display on a Unix socket of the host (no TCP port at all): libvirt's
 * fd locally, an SSH forwarding to the socket remotely. */
static void
test_vnc_unix_socket(gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    if (!lt_have_harness())
        return;
    g_autoptr(VireoConnection) connection = vt_connect(lt_env(data));
    g_autofree char *name = domain_name("unixvnc");
    g_autoptr(VireoDomain) domain =
        define_and_start(connection, name, FALSE, "<graphics type='vnc'><listen type='socket'/>"
                                                  "</graphics>");

    int fd = open_console(domain, TRUE, &error);
    g_assert_no_error(error);
    Vnc *vnc = vnc_open(fd, NULL);
    g_assert_true(vt_wait_until(vnc_shows_text, vnc, LT_IO_SECONDS));
    g_assert_false(vnc->failed);
    g_test_message("VNC on a Unix socket: %dx%d", vnc->width, vnc->height);
    vnc_free(vnc);

    delete_domain(domain);
    vireo_connection_close(connection);
}

/* A VNC password: the server asks, a wrong one is refused, the right one
 * shows the screen. */
static void
test_vnc_password(gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    if (!lt_have_harness())
        return;
    g_autoptr(VireoConnection) connection = vt_connect(lt_env(data));
    g_autofree char *name = domain_name("password");
    g_autoptr(VireoDomain) domain = define_and_start(
        connection, name, FALSE,
        "<graphics type='vnc' listen='127.0.0.1' autoport='yes' passwd='vireo-pw'/>");

    int fd = open_console(domain, TRUE, &error);
    g_assert_no_error(error);
    Vnc *wrong = vnc_open(fd, "not-it");
    g_assert_true(vt_wait_until(vnc_shows_text, wrong, LT_IO_SECONDS));
    g_assert_true(wrong->auth_failed);
    vnc_free(wrong);

    fd = open_console(domain, TRUE, &error);
    g_assert_no_error(error);
    Vnc *right = vnc_open(fd, "vireo-pw");
    g_assert_true(vt_wait_until(vnc_shows_text, right, LT_IO_SECONDS));
    g_assert_false(right->auth_failed);
    g_assert_false(right->failed);
    vnc_free(right);

    delete_domain(domain);
    vireo_connection_close(connection);
}

/* An SSH forwarding to nothing, a refused key, a closed port: each ends at
 * once with ssh's reason. */
static void
test_ssh_tunnel_failures(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GAsyncResult) result = NULL;

    if (!lt_have_harness())
        return;

    g_autoptr(VireoSshMux) mux = vireo_ssh_mux_get_for_uri(lt_env("VIREO_TEST_SSH_URI"), &error);
    g_assert_no_error(error);
    vireo_ssh_mux_open_async(mux, "127.0.0.1:1", NULL, vt_store_result, &result);
    vt_await_result(&result, LT_IO_SECONDS);
    int fd = vireo_ssh_mux_open_finish(mux, result, &error);
    g_assert_no_error(error);
    char byte;
    g_assert_cmpint(read(fd, &byte, 1), ==, 0); /* nothing listens there */
    close(fd);
    g_autofree char *reason = vireo_ssh_mux_dup_last_error(mux);
    g_test_message("forwarding to a closed port: %s", reason);
    g_assert_nonnull(reason);
    g_assert_nonnull(strstr(reason, "Connection refused"));

    /* A key the host refuses. */
    g_autofree char *wrong_uri = g_strdup_printf(
        "qemu+ssh://root@127.0.0.1:%s/system?keyfile=%s&command=%s", lt_env("VIREO_TEST_SSH_PORT"),
        lt_env("VIREO_TEST_SSH_WRONG_KEY"), lt_env("VIREO_TEST_SSH_COMMAND"));
    g_autoptr(VireoSshMux) refused = vireo_ssh_mux_get_for_uri(wrong_uri, &error);
    g_assert_no_error(error);
    g_clear_object(&result);
    vireo_ssh_mux_start_async(refused, NULL, vt_store_result, &result);
    vt_await_result(&result, LT_IO_SECONDS);
    g_assert_false(vireo_ssh_mux_start_finish(refused, result, &error));
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_AUTH_FAILED);
    g_assert_nonnull(strstr(error->message, "Permission denied"));
    g_clear_error(&error);

    /* No sshd at all. */
    guint16 free_port = lt_free_port();
    g_autofree char *closed_uri =
        g_strdup_printf("qemu+ssh://root@127.0.0.1:%u/system?keyfile=%s&command=%s", free_port,
                        lt_env("VIREO_TEST_SSH_KEY"), lt_env("VIREO_TEST_SSH_COMMAND"));
    g_autoptr(VireoSshMux) nobody = vireo_ssh_mux_get_for_uri(closed_uri, &error);
    g_assert_no_error(error);
    g_clear_object(&result);
    vireo_ssh_mux_start_async(nobody, NULL, vt_store_result, &result);
    vt_await_result(&result, LT_IO_SECONDS);
    g_assert_false(vireo_ssh_mux_start_finish(nobody, result, &error));
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_UNREACHABLE);
    g_assert_nonnull(strstr(error->message, "Connection refused"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    vireo_core_init();

    g_test_add("/libvirt/console/screen-and-serial", Fixture, "VIREO_TEST_LIBVIRT_URI",
               fixture_setup, test_screen_and_serial, fixture_teardown);
    g_test_add("/libvirt/console/disappears", Fixture, "VIREO_TEST_LIBVIRT_URI", fixture_setup,
               test_console_disappears, fixture_teardown);
    g_test_add("/libvirt/console/ssh-one-login", Fixture, "VIREO_TEST_LIBVIRT_URI",
               fixture_setup, test_ssh_one_login, fixture_teardown);
    g_test_add_data_func("/libvirt/console/no-graphics", "VIREO_TEST_LIBVIRT_URI",
                         test_no_graphics);
    g_test_add_data_func("/libvirt/console/no-graphics-ssh", "VIREO_TEST_SSH_URI",
                         test_no_graphics);
    g_test_add_data_func("/libvirt/console/vnc-password", "VIREO_TEST_LIBVIRT_URI",
                         test_vnc_password);
    g_test_add_data_func("/libvirt/console/vnc-password-ssh", "VIREO_TEST_SSH_URI",
                         test_vnc_password);
    g_test_add_data_func("/libvirt/console/vnc-unix-socket", "VIREO_TEST_LIBVIRT_URI",
                         test_vnc_unix_socket);
    g_test_add_data_func("/libvirt/console/vnc-unix-socket-ssh", "VIREO_TEST_SSH_URI",
                         test_vnc_unix_socket);
    g_test_add_func("/libvirt/console/ssh-tunnel-failures", test_ssh_tunnel_failures);
    return g_test_run();
}
