/* display-private.h: what display.c (video memory, refresh) and vnc.c
 * (the server, its clients, their input) share. */
#pragma once

#include <glib.h>
#include <pthread.h>
#include <rfb/rfb.h>
#include <rfb/rfbregion.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/bochs-display.h"
#include "display/display.h"
#include "display/fbdiff.h"
#include "display/keymap.h"

/* refresh interval: short while the picture changes, growing to
 * seconds while it does not (and no refresh at all without clients) */
#define VMM_REFRESH_MIN_MS 16
#define VMM_REFRESH_MAX_MS 2000
#define VMM_VNC_MAX_CLIENTS 32
#define VMM_VNC_HANDSHAKE_S 15
#define VMM_VNC_STALL_S 5
#define VMM_MAX_PRESSED 64

struct vmm_display_config {
    char *unix_path;
    char *tcp_host;
    int tcp_port;
    char *password_file;
    const struct vmm_keymap *keymap;
};

struct vmm_pressed {
    uint32_t keysym;
    uint16_t key;
    rfbClientPtr client;
};

struct VmmDisplay {
    struct vmm_display_config cfg;
    char *name;
    char *password;
    char *passwords[2]; /* libvncserver's list: password, NULL */

    /* video memory, lent to the bochs-display device */
    uint8_t *vram;
    uint64_t vram_size;
    struct vmm_fb_backend fb;

    /* the machine between attach and detach */
    pthread_mutex_t machine_lock;
    struct vmm_machine *machine;

    /* the refresh thread and what wakes it */
    pthread_t refresh_thread;
    bool refresh_started;
    pthread_mutex_t kick_lock;
    pthread_cond_t kick_cond;
    bool kicked, full_refresh, stopping;
    unsigned interval_ms;
    /* owned by the refresh thread */
    uint64_t *dirty;
    struct vmm_fbdiff diff;
    bool showing_mode;           /* else the "no signal" black screen */
    struct vmm_fb_mode mode;
    uint16_t bad_regs[VBE_DISPI_NUM_REGS]; /* last unusable mode logged */
    uint64_t frames;             /* refreshes that changed something */

    /* VNC: the screen sends from the shadow, always 32 bits per pixel */
    rfbScreenInfoPtr screen;
    uint8_t *shadow;
    size_t shadow_size;
    int listen_fd;
    bool listen_unix;
    char *listen_desc;
    int wake_pipe[2];
    pthread_t accept_thread;
    bool accept_started;
    pthread_mutex_t clients_lock;
    pthread_cond_t clients_cond;
    unsigned n_clients;

    /* keyboard state as the guest sees it (input_lock) */
    pthread_mutex_t input_lock;
    struct vmm_pressed pressed[VMM_MAX_PRESSED];
    unsigned n_pressed;
    uint64_t dropped_logged_ns;
};

/* display.c */
void vmm_display_kick(VmmDisplay *d, bool full, bool input);
/* vnc.c */
gboolean vmm_vnc_init(VmmDisplay *d, GError **error);
gboolean vmm_vnc_start(VmmDisplay *d, GError **error);
void vmm_vnc_stop(VmmDisplay *d);
/* Changes the desktop size; clients are told (NewFBSize). */
void vmm_vnc_resize(VmmDisplay *d, uint32_t width, uint32_t height);
unsigned vmm_vnc_clients(VmmDisplay *d);
/* display.h's calls that can fail, as the module has them (GError);
 * module.c hands them to the executable as VmmErrors */
gboolean display_spec_valid(const char *spec, GError **error);
VmmDisplay *display_new(const char *spec, const char *vm_name,
                        GError **error);
int display_open_client(VmmDisplay *d, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmmDisplay, vmm_display_free)

gboolean vmm_display_config_parse(const char *spec,
                                  struct vmm_display_config *cfg,
                                  GError **error);
void vmm_display_config_clear(struct vmm_display_config *cfg);
