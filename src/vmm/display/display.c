/* display.c: video memory, the --display option and the refresh thread.
 *
 * Refresh: the thread asks the device for its registers and the pages
 * the guest wrote (KVM's dirty log), compares the tiles those pages
 * cover with the shadow copy the VNC server sends from, and tells
 * libvncserver only about the rectangles that changed.  It runs every
 * VMM_REFRESH_MIN_MS while the picture changes or the user types, backs
 * off toward VMM_REFRESH_MAX_MS while nothing changes, and sleeps while
 * no client is connected; the guest's mode changes wake it at once.
 */
#define _GNU_SOURCE
#include "display/display-private.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"

/* ---- --display ---- */

void vmm_display_config_clear(struct vmm_display_config *cfg)
{
    g_free(cfg->unix_path);
    g_free(cfg->tcp_host);
    g_free(cfg->password_file);
    memset(cfg, 0, sizeof(*cfg));
}

static gboolean is_loopback(const char *host)
{
    g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(host);

    return addr && g_inet_address_get_is_loopback(addr);
}

static gboolean parse_tcp(const char *value, struct vmm_display_config *cfg,
                          GError **error)
{
    const char *colon;
    g_autofree char *host = NULL;
    char *end;
    long port;

    if (value[0] == '[') {
        const char *close = strchr(value, ']');

        if (!close || close[1] != ':')
            goto bad;
        host = g_strndup(value + 1, (gsize)(close - value - 1));
        colon = close + 1;
    } else {
        colon = strrchr(value, ':');
        if (!colon)
            goto bad;
        host = g_strndup(value, (gsize)(colon - value));
    }
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (errno || *end || colon[1] == '\0' || port < 0 || port > 65535)
        goto bad;
    {
        g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(host);

        if (!addr) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "\"%s\" is not an IP address; give the address to "
                        "listen on as numbers, e.g. 127.0.0.1.", host);
            return FALSE;
        }
    }
    cfg->tcp_host = g_steal_pointer(&host);
    cfg->tcp_port = (int)port;
    return TRUE;
bad:
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "\"tcp:%s\" is not tcp:ADDRESS:PORT (e.g. tcp:127.0.0.1:5901, "
                "port 0 for any free one).", value);
    return FALSE;
}

gboolean vmm_display_config_parse(const char *spec,
                                  struct vmm_display_config *cfg,
                                  GError **error)
{
    g_auto(GStrv) parts = NULL;

    memset(cfg, 0, sizeof(*cfg));
    cfg->keymap = vmm_keymap_find("us");
    if (!g_str_has_prefix(spec, "vnc=")) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "\"%s\" is not a display; use vnc=unix:PATH, "
                    "vnc=tcp:127.0.0.1:PORT[,password-file=FILE] or none.",
                    spec);
        return FALSE;
    }
    parts = g_strsplit(spec + 4, ",", -1);
    if (g_str_has_prefix(parts[0], "unix:") && parts[0][5]) {
        cfg->unix_path = g_strdup(parts[0] + 5);
    } else if (g_str_has_prefix(parts[0], "tcp:")) {
        if (!parse_tcp(parts[0] + 4, cfg, error))
            goto fail;
    } else {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "\"%s\" is neither unix:PATH nor tcp:ADDRESS:PORT.",
                    parts[0]);
        goto fail;
    }
    for (int i = 1; parts[i]; i++) {
        if (g_str_has_prefix(parts[i], "password-file=") && parts[i][14]) {
            g_free(cfg->password_file);
            cfg->password_file = g_strdup(parts[i] + 14);
        } else if (g_str_has_prefix(parts[i], "keymap=")) {
            cfg->keymap = vmm_keymap_find(parts[i] + 7);
            if (!cfg->keymap) {
                g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                            "there is no keymap \"%s\"; the keymaps are %s.",
                            parts[i] + 7, vmm_keymap_list());
                goto fail;
            }
        } else {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "unknown VNC option \"%s\"; the options are "
                        "password-file=FILE and keymap=us|de.", parts[i]);
            goto fail;
        }
    }
    if (cfg->tcp_host && !cfg->password_file && !is_loopback(cfg->tcp_host)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "listening on %s would let anyone on the network take "
                    "over this VM's keyboard; add ,password-file=FILE or "
                    "listen on 127.0.0.1.", cfg->tcp_host);
        goto fail;
    }
    if (cfg->unix_path && cfg->password_file) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "a Unix socket is the user's alone (0600); password-file "
                    "is for tcp: only.");
        goto fail;
    }
    return TRUE;
fail:
    vmm_display_config_clear(cfg);
    return FALSE;
}

gboolean display_spec_valid(const char *spec, GError **error)
{
    struct vmm_display_config cfg;

    if (g_str_equal(spec, "none"))
        return TRUE;
    if (!vmm_display_config_parse(spec, &cfg, error))
        return FALSE;
    vmm_display_config_clear(&cfg);
    return TRUE;
}

/* ---- kicks: from vCPUs (mode changes), clients, input ---- */

void vmm_display_kick(VmmDisplay *d, bool full, bool input)
{
    pthread_mutex_lock(&d->kick_lock);
    if (input) {
        /* the guest is likely to answer on screen: look again soon */
        d->interval_ms = VMM_REFRESH_MIN_MS;
    } else {
        d->kicked = true;
    }
    d->full_refresh |= full;
    pthread_cond_signal(&d->kick_cond);
    pthread_mutex_unlock(&d->kick_lock);
}

/* device: registers changed (dev_lock held, so only the kick lock) */
static void on_fb_changed(void *opaque)
{
    vmm_display_kick(opaque, false, false);
}

/* ---- refresh ---- */

static void add_rect(void *opaque, uint32_t x, uint32_t y, uint32_t w,
                     uint32_t h)
{
    sraRegionPtr one = sraRgnCreateRect((int)x, (int)y, (int)(x + w),
                                      (int)(y + h));

    sraRgnOr(opaque, one);
    sraRgnDestroy(one);
}

/* The "no signal" picture: black, at a size every client takes. */
static void show_no_signal(VmmDisplay *d)
{
    if (!d->showing_mode && d->screen->width == 640 &&
        d->screen->height == 480)
        return;
    d->showing_mode = false;
    vmm_fbdiff_clear(&d->diff);
    memset(d->shadow, 0, 640 * 480 * 4);
    vmm_vnc_resize(d, 640, 480);
}

static void log_bad_mode(VmmDisplay *d, const uint16_t regs[], const char *why)
{
    if (memcmp(regs, d->bad_regs, sizeof(d->bad_regs)) == 0)
        return; /* said so already */
    memcpy(d->bad_regs, regs, sizeof(d->bad_regs));
    g_printerr("vireo-vmm: the guest set a display mode this display cannot "
               "show: %s; the screen stays dark until it sets another\n",
               why);
}

/* Returns true when the picture changed. */
static bool refresh(VmmDisplay *d, bool full)
{
    uint16_t regs[VBE_DISPI_NUM_REGS];
    struct vmm_fb_mode mode;
    size_t n_pages = (size_t)(d->vram_size / VMM_FB_PAGE);
    sraRegionPtr region;
    char why[200];
    size_t changed;
    int err;

    pthread_mutex_lock(&d->machine_lock);
    err = d->machine ? vmm_bochs_poll(d->machine, regs, d->dirty) : -ENODEV;
    pthread_mutex_unlock(&d->machine_lock);
    if (err) {
        show_no_signal(d);
        return false;
    }
    err = vmm_bochs_decode_mode(regs, d->vram_size, &mode, why, sizeof(why));
    if (err) {
        if (err == -EINVAL)
            log_bad_mode(d, regs, why);
        memset(d->dirty, 0, (n_pages / 64) * 8);
        show_no_signal(d);
        return false;
    }
    memset(d->bad_regs, 0, sizeof(d->bad_regs));
    if (!d->showing_mode || memcmp(&mode, &d->mode, sizeof(mode)) != 0) {
        if (vmm_fbdiff_set_mode(&d->diff, &mode) < 0)
            return false;
        if (!d->showing_mode || mode.width != d->mode.width ||
            mode.height != d->mode.height)
            vmm_vnc_resize(d, mode.width, mode.height);
        d->mode = mode;
        d->showing_mode = true;
    } else if (full) {
        vmm_fbdiff_mark_all(&d->diff);
    }
    vmm_fbdiff_mark_pages(&d->diff, d->dirty, n_pages);
    memset(d->dirty, 0, (n_pages / 64) * 8);
    region = sraRgnCreate();
    changed = vmm_fbdiff_update(&d->diff, d->vram, d->shadow, add_rect,
                                region);
    if (changed) {
        rfbMarkRegionAsModified(d->screen, region);
        d->frames++;
    }
    sraRgnDestroy(region);
    return changed > 0;
}

static void *refresh_main(void *opaque)
{
    VmmDisplay *d = opaque;
    struct timespec last;

    pthread_setname_np(pthread_self(), "vmm-display");
    vmm_sandbox_enter(VMM_SANDBOX_DISPLAY);
    clock_gettime(CLOCK_MONOTONIC, &last);
    pthread_mutex_lock(&d->kick_lock);
    while (!d->stopping) {
        bool full, changed;
        struct timespec deadline;

        /* wait for a kick, or the interval if someone is watching; an
         * input event shortens the interval while we wait */
        while (!d->stopping && !d->kicked) {
            if (vmm_vnc_clients(d) == 0) {
                pthread_cond_wait(&d->kick_cond, &d->kick_lock);
                continue;
            }
            deadline = last;
            deadline.tv_sec += d->interval_ms / 1000;
            deadline.tv_nsec += (long)(d->interval_ms % 1000) * 1000000L;
            if (deadline.tv_nsec >= 1000000000L) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000L;
            }
            if (pthread_cond_timedwait(&d->kick_cond, &d->kick_lock,
                                       &deadline) == ETIMEDOUT)
                break;
        }
        if (d->stopping)
            break;
        d->kicked = false;
        full = d->full_refresh;
        d->full_refresh = false;
        pthread_mutex_unlock(&d->kick_lock);

        changed = refresh(d, full);

        pthread_mutex_lock(&d->kick_lock);
        clock_gettime(CLOCK_MONOTONIC, &last);
        if (changed)
            d->interval_ms = VMM_REFRESH_MIN_MS;
        else if (d->interval_ms < VMM_REFRESH_MAX_MS)
            d->interval_ms = MIN(d->interval_ms * 3 / 2 + 1,
                                 VMM_REFRESH_MAX_MS);
    }
    pthread_mutex_unlock(&d->kick_lock);
    return NULL;
}

/* ---- life cycle ---- */

VmmDisplay *display_new(const char *spec, const char *vm_name,
                            GError **error)
{
    g_autoptr(VmmDisplay) d = NULL;
    int err;

    if (g_str_equal(spec, "none"))
        return NULL;
    d = g_new0(VmmDisplay, 1);
    d->listen_fd = -1;
    d->wake_pipe[0] = d->wake_pipe[1] = -1;
    pthread_mutex_init(&d->machine_lock, NULL);
    pthread_mutex_init(&d->kick_lock, NULL);
    pthread_mutex_init(&d->clients_lock, NULL);
    pthread_mutex_init(&d->input_lock, NULL);
    pthread_cond_init(&d->clients_cond, NULL);
    {
        pthread_condattr_t attr;

        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&d->kick_cond, &attr);
        pthread_condattr_destroy(&attr);
    }
    d->interval_ms = VMM_REFRESH_MIN_MS;
    d->name = g_strdup(vm_name);
    if (!vmm_display_config_parse(spec, &d->cfg, error))
        return NULL;

    /* video memory: guest-visible, so its own mapping (KVM maps it
     * into the guest); pages are only committed as they are touched */
    d->vram_size = VMM_BOCHS_VRAM_SIZE;
    d->vram = mmap(NULL, d->vram_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    /* the shadow holds 32 bits per pixel even for 16-bit modes */
    d->shadow_size = (size_t)d->vram_size * 2;
    d->shadow = mmap(NULL, d->shadow_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    d->dirty = g_new0(uint64_t, (d->vram_size / VMM_FB_PAGE + 63) / 64);
    if (d->vram == MAP_FAILED || d->shadow == MAP_FAILED) {
        if (d->vram == MAP_FAILED)
            d->vram = NULL;
        if (d->shadow == MAP_FAILED)
            d->shadow = NULL;
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "cannot allocate %u MiB of video memory: %s",
                    (unsigned)(d->vram_size >> 20), g_strerror(errno));
        return NULL;
    }
    madvise(d->vram, d->vram_size, MADV_DONTDUMP);
    madvise(d->shadow, d->shadow_size, MADV_DONTDUMP);
    d->fb.vram = d->vram;
    d->fb.vram_size = d->vram_size;
    d->fb.changed = on_fb_changed;
    d->fb.opaque = d;

    if (!vmm_vnc_init(d, error))
        return NULL;
    err = pthread_create(&d->refresh_thread, NULL, refresh_main, d);
    if (err) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "cannot start the display thread: %s", g_strerror(err));
        return NULL;
    }
    d->refresh_started = true;
    if (!vmm_vnc_start(d, error))
        return NULL;
    return g_steal_pointer(&d);
}

void vmm_display_attach(VmmDisplay *d, struct vmm_machine *m)
{
    /* a reset starts with an empty screen, as on a real machine */
    madvise(d->vram, d->vram_size, MADV_DONTNEED);
    pthread_mutex_lock(&d->machine_lock);
    d->machine = m;
    m->fb = &d->fb;
    pthread_mutex_unlock(&d->machine_lock);
    vmm_display_kick(d, true, false);
}

void vmm_display_detach(VmmDisplay *d)
{
    pthread_mutex_lock(&d->input_lock);
    d->n_pressed = 0; /* the new machine's keyboard starts with none */
    pthread_mutex_unlock(&d->input_lock);
    pthread_mutex_lock(&d->machine_lock);
    d->machine = NULL;
    pthread_mutex_unlock(&d->machine_lock);
    vmm_display_kick(d, true, false);
}

void vmm_display_free(VmmDisplay *d)
{
    if (!d)
        return;
    if (d->refresh_started) {
        pthread_mutex_lock(&d->kick_lock);
        d->stopping = true;
        pthread_cond_signal(&d->kick_cond);
        pthread_mutex_unlock(&d->kick_lock);
        pthread_join(d->refresh_thread, NULL);
    }
    vmm_vnc_stop(d);
    vmm_fbdiff_clear(&d->diff);
    if (d->vram)
        munmap(d->vram, d->vram_size);
    if (d->shadow)
        munmap(d->shadow, d->shadow_size);
    g_free(d->dirty);
    vmm_display_config_clear(&d->cfg);
    if (d->password)
        explicit_bzero(d->password, strlen(d->password));
    g_free(d->password);
    g_free(d->listen_desc);
    g_free(d->name);
    pthread_mutex_destroy(&d->machine_lock);
    pthread_mutex_destroy(&d->kick_lock);
    pthread_mutex_destroy(&d->clients_lock);
    pthread_mutex_destroy(&d->input_lock);
    pthread_cond_destroy(&d->kick_cond);
    pthread_cond_destroy(&d->clients_cond);
    g_free(d);
}
