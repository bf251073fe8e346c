/* test-embedded-screen.c: the graphical console of an embedded VM
 *
 * The testcard guest draws known colour bars on its framebuffer; the test
 * opens the VM's screen through libvireo (vireo_domain_open_graphics_*,
 * as the app does), reads it with gvnc, checks pixels exactly, types on
 * the VNC keyboard and sees the keys on the serial port and on the screen.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gvnc.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "vireo-embedded-connection.h"
#include "vireo-test-util.h"

#define WAIT_S 60

typedef struct {
    VncConnection *conn;
    guint32 *pixels;
    int width, height;
    gboolean ready, closed;
    guint tick;
} Screen;

static const VncPixelFormat xrgb = {
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
attach_framebuffer(Screen *screen)
{
    screen->width = vnc_connection_get_width(screen->conn);
    screen->height = vnc_connection_get_height(screen->conn);
    g_free(screen->pixels);
    screen->pixels = g_new0(guint32, (gsize)screen->width * screen->height);
    VncBaseFramebuffer *fb =
        vnc_base_framebuffer_new((guint8 *)screen->pixels, screen->width, screen->height,
                                 screen->width * 4, &xrgb, &xrgb);
    vnc_connection_set_framebuffer(screen->conn, VNC_FRAMEBUFFER(fb));
    g_object_unref(fb);
    vnc_connection_framebuffer_update_request(screen->conn, FALSE, 0, 0, screen->width,
                                              screen->height);
}

static void
on_initialized(VncConnection *conn, Screen *screen)
{
    gint32 encodings[] = {VNC_CONNECTION_ENCODING_RAW, VNC_CONNECTION_ENCODING_DESKTOP_RESIZE};

    vnc_connection_set_pixel_format(conn, &xrgb);
    vnc_connection_set_encodings(conn, G_N_ELEMENTS(encodings), encodings);
    attach_framebuffer(screen);
    screen->ready = TRUE;
}

static void
on_resize(VncConnection *conn, int width, int height, Screen *screen)
{
    attach_framebuffer(screen);
}

static void
on_choose_type(VncConnection *conn, GValueArray *types, Screen *screen)
{
    vnc_connection_set_auth_type(conn, VNC_CONNECTION_AUTH_NONE);
}

static void
on_disconnected(VncConnection *conn, Screen *screen)
{
    screen->closed = TRUE;
}

/* Incremental updates, as a viewer asks for them. */
static gboolean
request_updates(gpointer user_data)
{
    Screen *screen = user_data;

    if (screen->ready && !screen->closed)
        vnc_connection_framebuffer_update_request(screen->conn, TRUE, 0, 0, screen->width,
                                                  screen->height);
    return G_SOURCE_CONTINUE;
}

static Screen *
screen_open(int fd)
{
    Screen *screen = g_new0(Screen, 1);

    screen->conn = vnc_connection_new();
    g_signal_connect(screen->conn, "vnc-initialized", G_CALLBACK(on_initialized), screen);
    g_signal_connect(screen->conn, "vnc-desktop-resize", G_CALLBACK(on_resize), screen);
    g_signal_connect(screen->conn, "vnc-auth-choose-type", G_CALLBACK(on_choose_type), screen);
    g_signal_connect(screen->conn, "vnc-disconnected", G_CALLBACK(on_disconnected), screen);
    vnc_connection_set_shared(screen->conn, TRUE);
    g_assert_true(vnc_connection_open_fd(screen->conn, fd));
    screen->tick = g_timeout_add(100, request_updates, screen);
    return screen;
}

static gboolean
screen_closed(gpointer user_data)
{
    return ((Screen *)user_data)->closed;
}

static void
screen_close(Screen *screen)
{
    g_clear_handle_id(&screen->tick, g_source_remove);
    vnc_connection_shutdown(screen->conn);
    /* gvnc's coroutine ends on the main loop: let it, then drop it */
    vt_wait_until(screen_closed, screen, WAIT_S);
    g_signal_handlers_disconnect_by_data(screen->conn, screen);
    g_object_unref(screen->conn);
    g_free(screen->pixels);
    g_free(screen);
}

static guint32
pixel(Screen *screen, int x, int y)
{
    if (!screen->pixels || x >= screen->width || y >= screen->height)
        return 0xdeadbeef;
    return screen->pixels[y * screen->width + x] & 0xffffff;
}

typedef struct {
    Screen *screen;
    int x, y;
    guint32 colour;
} PixelWait;

static gboolean
pixel_is(gpointer user_data)
{
    PixelWait *wait = user_data;
    return wait->screen->closed || pixel(wait->screen, wait->x, wait->y) == wait->colour;
}

static void
expect_pixel(Screen *screen, int x, int y, guint32 colour)
{
    PixelWait wait = {screen, x, y, colour};

    if (!vt_wait_until(pixel_is, &wait, WAIT_S) || screen->closed)
        g_error("pixel (%d, %d) is %06x, not %06x", x, y, pixel(screen, x, y), colour);
}

static void
type_key(Screen *screen, guint keysym)
{
    vnc_connection_key_event(screen->conn, TRUE, keysym, 0);
    vnc_connection_key_event(screen->conn, FALSE, keysym, 0);
}

static gboolean
serial_has(int fd, GString *seen, const char *needle)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_S * G_USEC_PER_SEC;

    while (!strstr(seen->str, needle) && g_get_monotonic_time() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        char buffer[256];

        /* the VNC connection needs the main loop meanwhile */
        g_main_context_iteration(NULL, FALSE);
        if (poll(&p, 1, 20) <= 0)
            continue;
        ssize_t n = read(fd, buffer, sizeof(buffer));
        if (n <= 0)
            break;
        g_string_append_len(seen, buffer, n);
    }
    return strstr(seen->str, needle) != NULL;
}

static int
open_console(VireoDomain *domain, gboolean graphics, GError **error)
{
    g_autoptr(GAsyncResult) result = NULL;

    if (graphics)
        vireo_domain_open_graphics_async(domain, NULL, vt_store_result, &result);
    else
        vireo_domain_open_serial_async(domain, NULL, vt_store_result, &result);
    vt_await_result(&result, WAIT_S);
    return graphics ? vireo_domain_open_graphics_finish(domain, result, error)
                    : vireo_domain_open_serial_finish(domain, result, error);
}

static gboolean
screen_ready(gpointer user_data)
{
    Screen *screen = user_data;
    return screen->ready || screen->closed;
}

static void
test_testcard(void)
{
    g_autoptr(VireoConnection) connection = vt_connect("vireo:///session");
    g_autoptr(GError) error = NULL;
    g_autoptr(GAsyncResult) result = NULL;
    VireoKvmStatus kvm =
        vireo_embedded_connection_get_kvm_status(VIREO_EMBEDDED_CONNECTION(connection));

    if (kvm != VIREO_KVM_OK && kvm != VIREO_KVM_SLOW) {
        g_test_skip("KVM cannot run guests here");
        return;
    }
    g_autofree char *kernel = g_build_filename(g_getenv("VIREO_TEST_GUESTS"), "testcard.elf",
                                               NULL);
    g_autofree char *xml = g_strdup_printf(
        "<domain type='kvm'><name>card</name><memory unit='MiB'>32</memory>"
        "<os><type>hvm</type><kernel>%s</kernel></os><features><acpi/></features>"
        "<devices><serial type='pty'/><graphics type='vnc'/><video><model type='bochs'/>"
        "</video></devices></domain>",
        kernel);
    vireo_connection_define_xml_async(connection, xml, NULL, vt_store_result, &result);
    vt_await_result(&result, WAIT_S);
    g_autoptr(VireoDomain) domain = vireo_connection_define_xml_finish(connection, result,
                                                                       &error);
    g_assert_no_error(error);

    /* no screen while it is off */
    g_assert_cmpint(open_console(domain, TRUE, &error), ==, -1);
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_STATE);
    g_clear_error(&error);

    g_assert_true(vt_action(domain, VIREO_DOMAIN_ACTION_START, &error));
    g_assert_no_error(error);
    if (vireo_domain_get_notice(domain) && strstr(vireo_domain_get_notice(domain), "no screen")) {
        g_test_skip("this vireo-vmm has no display");
        vt_action(domain, VIREO_DOMAIN_ACTION_FORCE_OFF, NULL);
        return;
    }
    int serial = open_console(domain, FALSE, &error);
    g_assert_no_error(error);
    g_autoptr(GString) seen = g_string_new(NULL);
    g_assert_true(serial_has(serial, seen, "testcard ready (display 640x480)"));

    int fd = open_console(domain, TRUE, &error);
    g_assert_no_error(error);
    Screen *screen = screen_open(fd);
    g_assert_true(vt_wait_until(screen_ready, screen, WAIT_S));
    g_assert_false(screen->closed);
    g_assert_cmpint(screen->width, ==, 640);
    g_assert_cmpint(screen->height, ==, 480);

    /* the bars, the grey ramp, the title's box, the text area */
    static const guint32 bars[8] = {0xffffff, 0xffff00, 0x00ffff, 0x00ff00,
                                    0xff00ff, 0xff0000, 0x0000ff, 0x000000};
    for (int i = 0; i < 8; i++)
        expect_pixel(screen, i * 80 + 40, 60, bars[i]);
    for (int i = 0; i < 16; i++)
        expect_pixel(screen, i * 40 + 20, 340, (guint32)(17 * i) * 0x010101);
    expect_pixel(screen, 125, 135, 0x000000);
    expect_pixel(screen, 320, 420, 0x000040);
    expect_pixel(screen, 17, 377, 0x000040);

    /* keys typed on the VNC keyboard reach the guest, which echoes them on
     * the serial port and draws them: 'h' has its left column lit */
    type_key(screen, 'h');
    type_key(screen, 'i');
    g_assert_true(serial_has(serial, seen, "hi"));
    expect_pixel(screen, 17, 377, 0xffffff);

    screen_close(screen);
    close(serial);
    g_assert_true(vt_action(domain, VIREO_DOMAIN_ACTION_SHUTDOWN, &error));
    vt_wait_state(domain, VIREO_DOMAIN_STATE_SHUTOFF);
    vireo_connection_close(connection);
}

/* A VM without <graphics> says so, instead of showing nothing. */
static void
test_no_screen(void)
{
    g_autoptr(VireoConnection) connection = vt_connect("vireo:///session");
    g_autoptr(GError) error = NULL;
    g_autoptr(GAsyncResult) result = NULL;
    VireoKvmStatus kvm =
        vireo_embedded_connection_get_kvm_status(VIREO_EMBEDDED_CONNECTION(connection));

    if (kvm != VIREO_KVM_OK && kvm != VIREO_KVM_SLOW) {
        g_test_skip("KVM cannot run guests here");
        return;
    }
    g_autofree char *kernel = g_build_filename(g_getenv("VIREO_TEST_GUESTS"), "hello.elf", NULL);
    g_autofree char *xml = g_strdup_printf(
        "<domain><name>blind</name><memory unit='MiB'>16</memory><os><type>hvm</type>"
        "<kernel>%s</kernel><cmdline>wait=1</cmdline></os></domain>",
        kernel);
    vireo_connection_define_xml_async(connection, xml, NULL, vt_store_result, &result);
    vt_await_result(&result, WAIT_S);
    g_autoptr(VireoDomain) domain = vireo_connection_define_xml_finish(connection, result,
                                                                       &error);
    g_assert_true(vt_action(domain, VIREO_DOMAIN_ACTION_START, &error));
    g_assert_cmpint(open_console(domain, TRUE, &error), ==, -1);
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_NOT_SUPPORTED);
    g_assert_nonnull(strstr(error->message, "<graphics"));
    g_clear_error(&error);
    g_assert_cmpint(open_console(domain, FALSE, &error), ==, -1);
    g_assert_error(error, VIREO_ERROR, VIREO_ERROR_NOT_SUPPORTED);
    g_clear_error(&error);
    g_assert_true(vt_action(domain, VIREO_DOMAIN_ACTION_FORCE_OFF, &error));
    vireo_connection_close(connection);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/embedded/screen/testcard", test_testcard);
    g_test_add_func("/embedded/screen/none", test_no_screen);
    return g_test_run();
}
