/* vnc-test-client.h: a VNC client for the display tests and the display
 * benchmark, on libvncclient: connects over a Unix socket, a descriptor
 * (OpenVnc) or TCP, keeps the picture, counts updates, resizes and
 * bytes, and types. */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef struct VncTestClient VncTestClient;

/* @fd is connected already; the client takes it.  @password may be
 * NULL; @encodings NULL means libvncclient's default list. */
VncTestClient *vnc_test_client_new(int fd, const char *password,
                                   const char *encodings, GError **error);
VncTestClient *vnc_test_client_new_unix(const char *path, GError **error);
VncTestClient *vnc_test_client_new_tcp(const char *host, int port,
                                       const char *password,
                                       const char *encodings, GError **error);
void vnc_test_client_free(VncTestClient *c);
/* For QEMU's server: resizes as NewFBSize, not ExtendedDesktopSize. */
gboolean vnc_test_client_no_ext_desktop_size(VncTestClient *c);

/* Handles server messages for up to @timeout_ms; FALSE when the
 * connection broke. */
gboolean vnc_test_client_pump(VncTestClient *c, guint timeout_ms);

typedef gboolean (*VncTestPredicate)(VncTestClient *c, gpointer data);
/* Pumps until @pred says TRUE (checked after every message) or
 * @timeout_s passes; returns the last answer. */
gboolean vnc_test_client_wait(VncTestClient *c, VncTestPredicate pred,
                              gpointer data, guint timeout_s);

int vnc_test_client_width(VncTestClient *c);
int vnc_test_client_height(VncTestClient *c);
/* 0xRRGGBB */
uint32_t vnc_test_client_pixel(VncTestClient *c, int x, int y);
guint vnc_test_client_updates(VncTestClient *c);  /* FramebufferUpdates */
guint vnc_test_client_resizes(VncTestClient *c);
const char *vnc_test_client_name(VncTestClient *c);
gboolean vnc_test_client_key(VncTestClient *c, uint32_t keysym,
                             gboolean down);
gboolean vnc_test_client_pointer(VncTestClient *c, int x, int y, int mask);
int vnc_test_client_fd(VncTestClient *c);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VncTestClient, vnc_test_client_free)
