/* vnc.c: the VNC server: listeners, clients, keyboard and mouse.
 *
 * libvncserver runs in its threaded mode, but the VMM accepts the
 * connections itself (one accept thread for the Unix or loopback TCP
 * listener and for the socket pairs OpenVnc hands out), so it checks
 * who connects and how many, and can hand libvncserver any socket.
 * Each client then has libvncserver's two threads.  Input arrives on
 * them and reaches the i8042 under the device lock.
 */
#define _GNU_SOURCE
#include "display/display-private.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "devices/i8042.h"
#include "devices/scancode.h"
#include "sandbox.h"

typedef struct {
    VmmDisplay *d;
    gint64 connected_us;
    bool timed_out;
    bool have_pointer;
    int last_x, last_y;
} ClientData;

/* ---- libvncserver's log ---- */

static void vnc_err(const char *fmt, ...)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static gint64 window_us;
    static unsigned in_window;
    char buf[512];
    va_list ap;
    size_t n;
    bool quiet;
    gint64 now = g_get_monotonic_time();

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    /* setting TCP_NODELAY on a Unix socket is expected to fail */
    if (strstr(buf, "TCP_NODELAY"))
        return;
    /* a client that floods the log only costs a few lines a second */
    pthread_mutex_lock(&lock);
    if (now - window_us > G_USEC_PER_SEC) {
        window_us = now;
        in_window = 0;
    }
    quiet = ++in_window > 10;
    pthread_mutex_unlock(&lock);
    if (quiet)
        return;
    n = strlen(buf);
    while (n && buf[n - 1] == '\n')
        buf[--n] = '\0';
    fprintf(stderr, "vireo-vmm: vnc: %s\n", buf);
}

static void vnc_log(const char *fmt, ...)
{
    /* libvncserver's chatter (versions, encodings) only when asked */
    static int verbose = -1;
    va_list ap;

    if (verbose < 0)
        verbose = g_getenv("VIREO_VMM_VNC_DEBUG") != NULL;
    if (!verbose)
        return;
    va_start(ap, fmt);
    fputs("vireo-vmm: vnc: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

/* ---- the keyboard ---- */

static void send_key(VmmDisplay *d, unsigned key, bool down)
{
    int err;

    pthread_mutex_lock(&d->machine_lock);
    err = d->machine ? vmm_i8042_key(d->machine, key, down) : 0;
    pthread_mutex_unlock(&d->machine_lock);
    if (err == -ENOSPC) {
        uint64_t now = vmm_now_ns();

        if (now - d->dropped_logged_ns > 1000000000ULL) {
            d->dropped_logged_ns = now;
            fprintf(stderr, "vireo-vmm: the guest is not reading its "
                            "keyboard; key presses from VNC are dropped\n");
        }
    }
}

static bool key_held(VmmDisplay *d, uint16_t key)
{
    for (unsigned i = 0; i < d->n_pressed; i++)
        if (d->pressed[i].key == key)
            return true;
    return false;
}

static unsigned caps_lock(VmmDisplay *d)
{
    unsigned leds = 0;

    pthread_mutex_lock(&d->machine_lock);
    if (d->machine)
        leds = vmm_i8042_leds(d->machine);
    pthread_mutex_unlock(&d->machine_lock);
    return (leds & VMM_I8042_LED_CAPS) != 0;
}

/* Presses @k.key with the Shift and AltGr the layout wants for the
 * symbol, pressing or lifting them around it when the client's
 * modifiers say otherwise (a client with another layout, or one that
 * sends 'A' without Shift). */
static void press_layout_key(VmmDisplay *d, const struct vmm_keysym_key *k)
{
    static const uint16_t shifts[] = {0x2a, 0x36};
    bool want_shift = k->level & VMM_LEVEL_SHIFT;
    bool want_altgr = k->level & VMM_LEVEL_ALTGR;
    bool shift_held[2] = {key_held(d, shifts[0]), key_held(d, shifts[1])};
    bool has_shift = shift_held[0] || shift_held[1];
    bool has_altgr = key_held(d, VMM_KEY_E0 | 0x38);

    if (k->alpha && caps_lock(d))
        want_shift = !want_shift;
    if (want_shift && !has_shift)
        send_key(d, shifts[0], true);
    if (!want_shift && has_shift)
        for (int i = 0; i < 2; i++)
            if (shift_held[i])
                send_key(d, shifts[i], false);
    if (want_altgr != has_altgr)
        send_key(d, VMM_KEY_E0 | 0x38, want_altgr);
    send_key(d, k->key, true);
    if (want_altgr != has_altgr)
        send_key(d, VMM_KEY_E0 | 0x38, has_altgr);
    if (want_shift && !has_shift)
        send_key(d, shifts[0], false);
    if (!want_shift && has_shift)
        for (int i = 0; i < 2; i++)
            if (shift_held[i])
                send_key(d, shifts[i], true);
}

static void on_key(rfbBool down, rfbKeySym keysym, rfbClientPtr cl)
{
    ClientData *cd = cl->clientData;
    VmmDisplay *d = cd->d;
    struct vmm_keysym_key k;
    unsigned i;

    pthread_mutex_lock(&d->input_lock);
    for (i = 0; i < d->n_pressed; i++)
        if (d->pressed[i].keysym == keysym)
            break;
    if (!down) {
        /* the key this symbol went down on, whatever the modifiers
         * say now */
        if (i < d->n_pressed) {
            uint16_t key = d->pressed[i].key;

            d->pressed[i] = d->pressed[--d->n_pressed];
            send_key(d, key, false);
        } else if (vmm_keymap_lookup(d->cfg.keymap, keysym, &k)) {
            send_key(d, k.key, false);
        }
        goto out;
    }
    if (i < d->n_pressed) {
        /* auto-repeat: the client sends downs, the keyboard repeats
         * the make code */
        send_key(d, d->pressed[i].key, true);
        goto out;
    }
    if (!vmm_keymap_lookup(d->cfg.keymap, keysym, &k)) {
        vnc_err("no key on the \"%s\" layout gives keysym 0x%x; ignored "
                "(start the VM with another keymap= if the guest uses "
                "another layout)", vmm_keymap_name(d->cfg.keymap),
                (unsigned)keysym);
        goto out;
    }
    if (d->n_pressed == VMM_MAX_PRESSED) {
        vnc_err("more than %d keys held down; ignoring keysym 0x%x",
                VMM_MAX_PRESSED, (unsigned)keysym);
        goto out;
    }
    if (k.layout)
        press_layout_key(d, &k);
    else
        send_key(d, k.key, true);
    d->pressed[d->n_pressed++] = (struct vmm_pressed){keysym, k.key, cl};
out:
    pthread_mutex_unlock(&d->input_lock);
    vmm_display_kick(d, false, true);
}

/* a client that goes away lets go of what it held */
static void release_keys_of(VmmDisplay *d, rfbClientPtr cl)
{
    pthread_mutex_lock(&d->input_lock);
    for (unsigned i = 0; i < d->n_pressed;) {
        if (d->pressed[i].client == cl) {
            uint16_t key = d->pressed[i].key;

            d->pressed[i] = d->pressed[--d->n_pressed];
            send_key(d, key, false);
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&d->input_lock);
}

/* ---- the mouse: VNC is absolute, a PS/2 mouse relative ---- */

static void on_pointer(int mask, int x, int y, rfbClientPtr cl)
{
    ClientData *cd = cl->clientData;
    VmmDisplay *d = cd->d;
    /* VNC: 1 left, 2 middle, 4 right, 8 wheel up, 16 wheel down; PS/2:
     * 1 left, 2 right, 4 middle, the wheel in its own byte */
    unsigned buttons = (mask & 1) | ((mask & 4) ? 2 : 0) | ((mask & 2) ? 4 : 0);
    int dz = (mask & 8) ? -1 : (mask & 16) ? 1 : 0;
    int dx, dy;

    if (!cd->have_pointer) {
        cd->have_pointer = true;
        cd->last_x = x;
        cd->last_y = y;
    }
    dx = x - cd->last_x;
    dy = cd->last_y - y; /* PS/2 counts up */
    cd->last_x = x;
    cd->last_y = y;
    pthread_mutex_lock(&d->machine_lock);
    /* one packet for the buttons, more for a long way */
    do {
        int sx = CLAMP(dx, -255, 255), sy = CLAMP(dy, -255, 255);

        if (!d->machine || vmm_i8042_inject_mouse_wheel(d->machine, sx, sy,
                                                        dz, buttons) < 0)
            break;
        dx -= sx;
        dy -= sy;
        dz = 0;
    } while (dx || dy);
    pthread_mutex_unlock(&d->machine_lock);
    vmm_display_kick(d, false, true);
}

/* ---- clients ---- */

unsigned vmm_vnc_clients(VmmDisplay *d)
{
    unsigned n;

    pthread_mutex_lock(&d->clients_lock);
    n = d->n_clients;
    pthread_mutex_unlock(&d->clients_lock);
    return n;
}

static void on_client_gone(rfbClientPtr cl)
{
    ClientData *cd = cl->clientData;
    VmmDisplay *d = cd->d;

    release_keys_of(d, cl);
    cl->clientData = NULL;
    g_free(cd);
    pthread_mutex_lock(&d->clients_lock);
    d->n_clients--;
    pthread_cond_broadcast(&d->clients_cond);
    pthread_mutex_unlock(&d->clients_lock);
}

/* accept thread only, so the count cannot race */
static enum rfbNewClientAction on_new_client(rfbClientPtr cl)
{
    VmmDisplay *d = cl->screen->screenData;
    ClientData *cd;

    pthread_mutex_lock(&d->clients_lock);
    if (d->n_clients >= VMM_VNC_MAX_CLIENTS) {
        pthread_mutex_unlock(&d->clients_lock);
        fprintf(stderr, "vireo-vmm: refusing a VNC client: %d are connected "
                        "already, the most this VM serves\n",
                VMM_VNC_MAX_CLIENTS);
        return RFB_CLIENT_REFUSE;
    }
    d->n_clients++;
    pthread_mutex_unlock(&d->clients_lock);
    cd = g_new0(ClientData, 1);
    cd->d = d;
    cd->connected_us = g_get_monotonic_time();
    cl->clientData = cd;
    cl->clientGoneHook = on_client_gone;
    /* the new client needs the whole, current picture */
    vmm_display_kick(d, true, false);
    return RFB_CLIENT_ACCEPT;
}

static void start_client(VmmDisplay *d, int fd)
{
    rfbClientPtr cl = rfbNewClient(d->screen, fd);

    if (cl && !cl->onHold)
        rfbStartOnHoldClient(cl);
}

/* clients that never finish the handshake do not stay forever */
static void reap_stalled(VmmDisplay *d)
{
    rfbClientIteratorPtr it = rfbGetClientIterator(d->screen);
    gint64 now = g_get_monotonic_time();
    rfbClientPtr cl;

    while ((cl = rfbClientIteratorNext(it))) {
        ClientData *cd = cl->clientData;

        if (!cd || cd->timed_out || cl->state == RFB_NORMAL ||
            now - cd->connected_us < VMM_VNC_HANDSHAKE_S * G_USEC_PER_SEC)
            continue;
        cd->timed_out = true;
        fprintf(stderr, "vireo-vmm: a VNC client did not finish the "
                        "handshake in %d s; disconnected\n",
                VMM_VNC_HANDSHAKE_S);
        rfbCloseClient(cl);
    }
    rfbReleaseClientIterator(it);
}

static bool peer_is_us(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
           cred.uid == getuid();
}

static void *accept_main(void *opaque)
{
    VmmDisplay *d = opaque;

    pthread_setname_np(pthread_self(), "vmm-vnc-accept");
    /* before the first client; their threads inherit the filter */
    vmm_sandbox_enter(VMM_SANDBOX_DISPLAY);
    for (;;) {
        struct pollfd p[2] = {
            {.fd = d->wake_pipe[0], .events = POLLIN},
            {.fd = d->listen_fd, .events = POLLIN},
        };
        int n = poll(p, d->listen_fd >= 0 ? 2 : 1,
                     vmm_vnc_clients(d) ? 1000 : -1);

        if (n < 0 && errno != EINTR)
            break;
        if (p[0].revents & POLLIN) {
            int fd;

            if (read(d->wake_pipe[0], &fd, sizeof(fd)) != sizeof(fd) ||
                fd < 0)
                break; /* stop */
            start_client(d, fd);
        }
        if (d->listen_fd >= 0 && (p[1].revents & POLLIN)) {
            int fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC);

            if (fd >= 0 && d->listen_unix && !peer_is_us(fd)) {
                fprintf(stderr, "vireo-vmm: refusing a VNC connection from "
                                "another user\n");
                close(fd);
            } else if (fd >= 0) {
                start_client(d, fd);
            } else if (errno == EMFILE || errno == ENFILE) {
                fprintf(stderr, "vireo-vmm: cannot accept a VNC client: "
                                "%s\n", g_strerror(errno));
                g_usleep(100000);
            }
        }
        reap_stalled(d);
    }
    return NULL;
}

int display_open_client(VmmDisplay *d, GError **error)
{
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot create a socket pair: %s", g_strerror(errno));
        return -1;
    }
    if (write(d->wake_pipe[1], &sv[0], sizeof(sv[0])) != sizeof(sv[0])) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "the VNC server does not take clients: %s",
                    g_strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    return sv[1];
}

/* ---- resize: what rfbNewFramebuffer does, keeping our pixel format ---- */

void vmm_vnc_resize(VmmDisplay *d, uint32_t width, uint32_t height)
{
    rfbScreenInfoPtr s = d->screen;
    GPtrArray *clients = g_ptr_array_new();
    rfbClientIteratorPtr it;
    rfbClientPtr cl;

    /* hold every client's send lock: nobody encodes while the geometry
     * changes (the shadow itself never moves) */
    it = rfbGetClientIterator(s);
    while ((cl = rfbClientIteratorNext(it))) {
        rfbIncrClientRef(cl);
        g_ptr_array_add(clients, cl);
    }
    rfbReleaseClientIterator(it);
    for (guint i = 0; i < clients->len; i++) {
        struct timespec deadline;

        cl = clients->pdata[i];
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += VMM_VNC_STALL_S;
        if (pthread_mutex_timedlock(&cl->sendMutex, &deadline) == 0)
            continue;
        /* a client that does not read keeps its sender blocked in a
         * write: one client must not freeze the screen for the others */
        fprintf(stderr, "vireo-vmm: a VNC client stopped reading for %d s "
                        "while the guest changed its mode; disconnected\n",
                VMM_VNC_STALL_S);
        if (cl->sock >= 0)
            shutdown(cl->sock, SHUT_RDWR);
        rfbCloseClient(cl);
        pthread_mutex_lock(&cl->sendMutex);
    }
    pthread_mutex_lock(&s->cursorMutex);
    s->width = (int)width;
    s->height = (int)height;
    s->paddedWidthInBytes = (int)width * 4;
    if (s->cursorX >= s->width)
        s->cursorX = s->width - 1;
    if (s->cursorY >= s->height)
        s->cursorY = s->height - 1;
    pthread_mutex_unlock(&s->cursorMutex);
    for (guint i = 0; i < clients->len; i++) {
        cl = clients->pdata[i];
        pthread_mutex_lock(&cl->updateMutex);
        sraRgnDestroy(cl->modifiedRegion);
        cl->modifiedRegion = sraRgnCreateRect(0, 0, s->width, s->height);
        sraRgnMakeEmpty(cl->copyRegion);
        cl->copyDX = cl->copyDY = 0;
        if (cl->useNewFBSize)
            cl->newFBSizePending = TRUE;
        pthread_cond_signal(&cl->updateCond);
        pthread_mutex_unlock(&cl->updateMutex);
        pthread_mutex_unlock(&cl->sendMutex);
        if (!cl->useNewFBSize && cl->state == RFB_NORMAL) {
            fprintf(stderr, "vireo-vmm: a VNC client that cannot follow "
                            "desktop resizes was disconnected when the "
                            "guest changed its mode to %ux%u\n",
                    width, height);
            rfbCloseClient(cl);
        }
        rfbDecrClientRef(cl);
    }
    g_ptr_array_unref(clients);
}

/* ---- listeners ---- */

static gboolean read_password(VmmDisplay *d, GError **error)
{
    const char *path = d->cfg.password_file;
    g_autofree char *text = NULL;
    struct stat st;
    size_t n;

    if (!path)
        return TRUE;
    if (!g_file_get_contents(path, &text, NULL, error)) {
        g_prefix_error(error, "cannot read the VNC password file: ");
        return FALSE;
    }
    n = strcspn(text, "\r\n");
    text[n] = '\0';
    if (n == 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "the VNC password file %s is empty; put the password "
                    "on its first line", path);
        return FALSE;
    }
    if (n > 8)
        fprintf(stderr, "vireo-vmm: VNC passwords have at most 8 "
                        "characters; only the first 8 of the one in %s "
                        "count\n", path);
    if (stat(path, &st) == 0 && (st.st_mode & 077))
        fprintf(stderr, "vireo-vmm: the VNC password file %s can be read by "
                        "other users; chmod 600 it\n", path);
    d->password = g_steal_pointer(&text);
    d->passwords[0] = d->password;
    d->passwords[1] = NULL;
    return TRUE;
}

static gboolean listen_unix(VmmDisplay *d, GError **error)
{
    const char *path = d->cfg.unix_path;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;
    mode_t old;
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG,
                    "the socket path %s is longer than %zu bytes; choose a "
                    "shorter one", path, sizeof(sa.sun_path) - 1);
        return FALSE;
    }
    /* a stale socket from an earlier run may go; anything else stays */
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                        "%s exists and is not a socket; choose another "
                        "path", path);
            return FALSE;
        }
        unlink(path);
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    old = umask(0077); /* the socket is the user's alone */
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fd, 16) < 0) {
        int err = errno;

        umask(old);
        if (fd >= 0)
            close(fd);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "cannot listen on %s: %s", path, g_strerror(err));
        return FALSE;
    }
    umask(old);
    d->listen_fd = fd;
    d->listen_unix = true;
    d->listen_desc = g_strdup_printf("unix:%s", path);
    return TRUE;
}

static gboolean listen_tcp(VmmDisplay *d, GError **error)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV |
                                         AI_PASSIVE};
    struct addrinfo *ai = NULL;
    struct sockaddr_storage bound;
    socklen_t len = sizeof(bound);
    char port[8], host[NI_MAXHOST], serv[NI_MAXSERV];
    int fd = -1, one = 1, rc, err;

    snprintf(port, sizeof(port), "%d", d->cfg.tcp_port);
    rc = getaddrinfo(d->cfg.tcp_host, port, &hints, &ai);
    if (rc) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "cannot listen on %s: %s", d->cfg.tcp_host,
                    gai_strerror(rc));
        return FALSE;
    }
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
        listen(fd, 16) < 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &len) < 0) {
        err = errno;
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "cannot listen on %s port %d: %s", d->cfg.tcp_host,
                    d->cfg.tcp_port, g_strerror(err));
        return FALSE;
    }
    freeaddrinfo(ai);
    getnameinfo((struct sockaddr *)&bound, len, host, sizeof(host), serv,
                sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV);
    d->listen_fd = fd;
    d->listen_desc = g_strdup_printf(strchr(host, ':') ? "tcp:[%s]:%s"
                                                       : "tcp:%s:%s",
                                     host, serv);
    return TRUE;
}

gboolean vmm_vnc_init(VmmDisplay *d, GError **error)
{
    rfbScreenInfoPtr s;

    if (!read_password(d, error))
        return FALSE;
    if (d->cfg.unix_path ? !listen_unix(d, error) : !listen_tcp(d, error))
        return FALSE;
    if (pipe2(d->wake_pipe, O_CLOEXEC) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot create a pipe: %s", g_strerror(errno));
        return FALSE;
    }
    rfbLog = vnc_log;
    rfbErr = vnc_err;
    s = rfbGetScreen(NULL, NULL, 640, 480, 8, 3, 4);
    if (!s) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "libvncserver cannot create a screen");
        return FALSE;
    }
    d->screen = s;
    s->screenData = d;
    s->frameBuffer = (char *)d->shadow;
    /* the guest's x8r8g8b8, so tiles are copied as they are */
    s->serverFormat.redShift = 16;
    s->serverFormat.greenShift = 8;
    s->serverFormat.blueShift = 0;
    s->desktopName = d->name;
    s->alwaysShared = TRUE;       /* a new viewer does not evict the others */
    s->port = s->ipv6port = 0;    /* we listen ourselves */
    s->httpPort = s->http6Port = 0;
    s->cursor = NULL;             /* never drawn into the shadow */
    s->deferUpdateTime = 2;
    s->kbdAddEvent = on_key;
    s->ptrAddEvent = on_pointer;
    s->newClientHook = on_new_client;
    if (d->password) {
        s->authPasswdData = d->passwords;
        s->passwordCheck = rfbCheckPasswordByList;
    }
    rfbInitServer(s);
    if (d->password) {
        /* libgcrypt sets itself up (files, syslog) on its first use:
         * here, not on a client's thread under its seccomp filter */
        unsigned char challenge[CHALLENGESIZE];

        rfbRandomBytes(challenge);
        rfbEncryptBytes(challenge, d->password);
    }
    /* libvncserver's threaded mode, without its own listener thread */
    s->backgroundLoop = TRUE;
    return TRUE;
}

gboolean vmm_vnc_start(VmmDisplay *d, GError **error)
{
    int err = pthread_create(&d->accept_thread, NULL, accept_main, d);

    if (err) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "cannot start the VNC server's thread: %s",
                    g_strerror(err));
        return FALSE;
    }
    d->accept_started = true;
    fprintf(stderr, "vireo-vmm: VNC server on %s (keymap %s)\n",
            d->listen_desc, vmm_keymap_name(d->cfg.keymap));
    return TRUE;
}

void vmm_vnc_stop(VmmDisplay *d)
{
    rfbClientIteratorPtr it;
    rfbClientPtr cl;
    struct timespec deadline;
    int stop = -1;
    bool all_gone = true;

    if (d->accept_started) {
        if (write(d->wake_pipe[1], &stop, sizeof(stop)) == sizeof(stop))
            pthread_join(d->accept_thread, NULL);
    }
    if (d->screen) {
        /* end every client; their threads clean up after themselves */
        it = rfbGetClientIterator(d->screen);
        while ((cl = rfbClientIteratorNext(it))) {
            if (cl->sock >= 0)
                shutdown(cl->sock, SHUT_RDWR);
            rfbCloseClient(cl);
        }
        rfbReleaseClientIterator(it);
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 3;
        pthread_mutex_lock(&d->clients_lock);
        while (d->n_clients > 0)
            if (pthread_cond_timedwait(&d->clients_cond, &d->clients_lock,
                                       &deadline) == ETIMEDOUT) {
                all_gone = false;
                break;
            }
        pthread_mutex_unlock(&d->clients_lock);
        /* a client thread still stuck somewhere keeps the screen */
        if (all_gone) {
            /* there is no listener thread of libvncserver's to stop */
            d->screen->backgroundLoop = FALSE;
            rfbScreenCleanup(d->screen);
        }
        d->screen = NULL;
    }
    if (d->listen_fd >= 0)
        close(d->listen_fd);
    d->listen_fd = -1;
    if (d->listen_unix && d->cfg.unix_path)
        unlink(d->cfg.unix_path);
    for (int i = 0; i < 2; i++)
        if (d->wake_pipe[i] >= 0)
            close(d->wake_pipe[i]);
}
