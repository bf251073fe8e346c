/* vireo-ssh.h: one SSH connection per remote host, shared by its consoles
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A VireoSshMux runs one OpenSSH master connection (ControlMaster) to the
 * host of a qemu+ssh:// URI, with the user, port, key file, ssh command and
 * host-key options that the URI names; its control socket lives in a
 * private runtime directory.  Sockets on that host (a VNC server on its
 * localhost, or a Unix socket) are reached through forwardings of the master,
 * so opening consoles asks for no new login and needs nothing on the host
 * but sshd.  The libvirt connection itself can ride the same master
 * (vireo_ssh_mux_dup_libvirt_uri()).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Where an SSH URI leads, and how libvirt would log in there. */
typedef struct {
    char *command; /* "ssh" or the URI's command= */
    char *user;    /* NULL: ssh's default */
    char *host;
    int port;      /* 0: ssh's default */
    char *keyfile; /* NULL: ssh's default keys */
    gboolean no_verify;
    gboolean no_tty;
} VireoSshDestination;

/* TRUE for URIs whose transport is SSH (qemu+ssh://, +libssh, +libssh2). */
gboolean vireo_ssh_uri_is_ssh(const char *uri);
/* Parses @uri; VIREO_ERROR_INVALID_URI when it is not an SSH URI with a host. */
VireoSshDestination *vireo_ssh_destination_new_for_uri(const char *uri, GError **error);
void vireo_ssh_destination_free(VireoSshDestination *dest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VireoSshDestination, vireo_ssh_destination_free)
/* The argument vector of one ssh call: the command, the destination's
 * options, -o ControlPath=@control_path (when not NULL), @extra (NULL
 * terminated, may be NULL), then "--" and the host. */
GStrv vireo_ssh_destination_build_argv(const VireoSshDestination *dest, const char *control_path,
                                       const char *const *extra);

#define VIREO_TYPE_SSH_MUX (vireo_ssh_mux_get_type())
G_DECLARE_FINAL_TYPE(VireoSshMux, vireo_ssh_mux, VIREO, SSH_MUX, GObject)

/* The shared master for @uri's destination (a new reference; one per
 * destination while anyone holds it).  Main context only. */
VireoSshMux *vireo_ssh_mux_get_for_uri(const char *uri, GError **error);
/* The master's control socket. */
const char *vireo_ssh_mux_get_control_path(VireoSshMux *self);

/* Logs in once: starts the master unless it runs.  Fails with
 * VIREO_ERROR_UNREACHABLE or VIREO_ERROR_AUTH_FAILED and ssh's reason. */
void vireo_ssh_mux_start_async(VireoSshMux *self, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
gboolean vireo_ssh_mux_start_finish(VireoSshMux *self, GAsyncResult *result, GError **error);

/* A connected stream to @target on the host ("address:port" or an
 * absolute Unix socket path), carried by the master.  Finishes with a file
 * descriptor the caller owns.  The far end may still refuse: the stream
 * then ends at once and the master's reason is in
 * vireo_ssh_mux_dup_last_error(). */
void vireo_ssh_mux_open_async(VireoSshMux *self, const char *target, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
int vireo_ssh_mux_open_finish(VireoSshMux *self, GAsyncResult *result, GError **error);

/* The last thing the master complained about ("channel 2: open failed:
 * connect failed: Connection refused"), or NULL. */
char *vireo_ssh_mux_dup_last_error(VireoSshMux *self);

/* @uri with command= pointing at a wrapper that runs the URI's ssh through
 * this master, so that libvirt's own connection needs no login of its own
 * (it falls back to a direct one when the master is gone). */
char *vireo_ssh_mux_dup_libvirt_uri(VireoSshMux *self, const char *uri, GError **error);

G_END_DECLS
