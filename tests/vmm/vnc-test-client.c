/* vnc-test-client.c: libvncclient driven synchronously (see .h). */
#include "vnc-test-client.h"

#include <errno.h>
#include <gio/gio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <rfb/rfbclient.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct VncTestClient {
    rfbClient *rfb;
    char *password;
    guint updates, resizes;
    rfbBool (*malloc_fb)(rfbClient *);
};

static int tag;

static VncTestClient *self_of(rfbClient *rfb)
{
    return rfbClientGetClientData(rfb, &tag);
}

static void quiet_log(const char *fmt, ...)
{
    if (g_getenv("VIREO_TEST_VNC_DEBUG")) {
        va_list ap;

        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    }
}

static rfbBool on_malloc_fb(rfbClient *rfb)
{
    VncTestClient *c = self_of(rfb);

    /* the first is the initial size, the rest are desktop resizes */
    rfbBool ok;

    if (rfb->frameBuffer)
        c->resizes++;
    ok = c->malloc_fb(rfb);
    /* a colour no test draws: pixels the server never sent stand out */
    if (ok)
        memset(rfb->frameBuffer, 0x5a,
               (size_t)rfb->width * rfb->height * 4);
    return ok;
}

static void on_finished_update(rfbClient *rfb)
{
    self_of(rfb)->updates++;
}

static char *on_password(rfbClient *rfb)
{
    VncTestClient *c = self_of(rfb);

    return strdup(c->password ? c->password : "");
}

VncTestClient *vnc_test_client_new(int fd, const char *password,
                                   const char *encodings, GError **error)
{
    VncTestClient *c = g_new0(VncTestClient, 1);
    rfbClient *rfb;

    rfbClientLog = quiet_log;
    rfbClientErr = quiet_log;
    rfb = rfbGetClient(8, 3, 4);
    c->rfb = rfb;
    c->password = g_strdup(password);
    rfbClientSetClientData(rfb, &tag, c);
    /* pixels as 0x00RRGGBB words */
    rfb->format.redShift = 16;
    rfb->format.greenShift = 8;
    rfb->format.blueShift = 0;
    if (encodings)
        rfb->appData.encodingsString = encodings;
    /* lossless: the tests compare pixels exactly */
    rfb->appData.enableJPEG = FALSE;
    c->malloc_fb = rfb->MallocFrameBuffer;
    rfb->MallocFrameBuffer = on_malloc_fb;
    rfb->FinishedFrameBufferUpdate = on_finished_update;
    rfb->GetPassword = on_password;
    rfb->canHandleNewFBSize = TRUE;
    /* an existing connection: libvncclient must not connect itself */
    rfb->sock = fd;
    rfb->listenSpecified = TRUE;
    if (!rfbInitClient(rfb, NULL, NULL)) {
        /* rfbInitClient freed the client and closed the socket */
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "the VNC handshake failed");
        g_free(c->password);
        g_free(c);
        return NULL;
    }
    return c;
}

/* libvncclient always asks for ExtendedDesktopSize, and ignores the
 * screen id 0 QEMU's server sends with it (the desktop never resizes):
 * for such servers, ask again without it (NewFBSize only). */
gboolean vnc_test_client_no_ext_desktop_size(VncTestClient *c)
{
    static const int32_t encs[] = {
        rfbEncodingTight, rfbEncodingZRLE, rfbEncodingHextile,
        rfbEncodingZlib, rfbEncodingCopyRect, rfbEncodingRaw,
        rfbEncodingNewFBSize, rfbEncodingLastRect,
    };
    char msg[4 + 4 * G_N_ELEMENTS(encs)];

    msg[0] = rfbSetEncodings;
    msg[1] = 0;
    msg[2] = 0;
    msg[3] = (char)G_N_ELEMENTS(encs);
    for (guint i = 0; i < G_N_ELEMENTS(encs); i++) {
        uint32_t be = GUINT32_TO_BE((uint32_t)encs[i]);

        memcpy(msg + 4 + 4 * i, &be, 4);
    }
    return WriteToRFBServer(c->rfb, msg, sizeof(msg));
}

VncTestClient *vnc_test_client_new_unix(const char *path, GError **error)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot connect to %s: %s", path, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    return vnc_test_client_new(fd, NULL, NULL, error);
}

VncTestClient *vnc_test_client_new_tcp(const char *host, int port,
                                       const char *password,
                                       const char *encodings, GError **error)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;

    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || fd < 0 ||
        connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot connect to %s:%d: %s", host, port,
                    g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return vnc_test_client_new(fd, password, encodings, error);
}

void vnc_test_client_free(VncTestClient *c)
{
    if (!c)
        return;
    if (c->rfb) {
        free(c->rfb->frameBuffer);
        c->rfb->frameBuffer = NULL;
        rfbClientCleanup(c->rfb);
    }
    g_free(c->password);
    g_free(c);
}

gboolean vnc_test_client_pump(VncTestClient *c, guint timeout_ms)
{
    /* libvncclient reads ahead: a message may wait in its buffer while
     * the socket has nothing more to say */
    int n = c->rfb->buffered > 0 ? 1
                                 : WaitForMessage(c->rfb, timeout_ms * 1000);

    if (n < 0)
        return FALSE;
    if (n > 0 && !HandleRFBServerMessage(c->rfb))
        return FALSE;
    return TRUE;
}

gboolean vnc_test_client_wait(VncTestClient *c, VncTestPredicate pred,
                              gpointer data, guint timeout_s)
{
    gint64 deadline = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;

    if (pred(c, data))
        return TRUE;
    while (g_get_monotonic_time() < deadline) {
        if (!vnc_test_client_pump(c, 50))
            return pred(c, data);
        if (pred(c, data))
            return TRUE;
    }
    return FALSE;
}

int vnc_test_client_width(VncTestClient *c)
{
    return c->rfb->width;
}

int vnc_test_client_height(VncTestClient *c)
{
    return c->rfb->height;
}

uint32_t vnc_test_client_pixel(VncTestClient *c, int x, int y)
{
    const uint32_t *fb = (const uint32_t *)c->rfb->frameBuffer;

    return fb[(size_t)y * c->rfb->width + x] & 0xffffff;
}

guint vnc_test_client_updates(VncTestClient *c)
{
    return c->updates;
}

guint vnc_test_client_resizes(VncTestClient *c)
{
    return c->resizes;
}

const char *vnc_test_client_name(VncTestClient *c)
{
    return c->rfb->desktopName;
}

gboolean vnc_test_client_key(VncTestClient *c, uint32_t keysym,
                             gboolean down)
{
    return SendKeyEvent(c->rfb, keysym, down);
}

gboolean vnc_test_client_pointer(VncTestClient *c, int x, int y, int mask)
{
    return SendPointerEvent(c->rfb, x, y, mask);
}

int vnc_test_client_fd(VncTestClient *c)
{
    return c->rfb->sock;
}
