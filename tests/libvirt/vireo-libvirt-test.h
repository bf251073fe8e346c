/* vireo-libvirt-test.h: what the tests against a real libvirtd share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The tests run under tests/libvirt/harness.py, which exports the daemon's
 * URIs, the SSH set-up and the Linux test guest in VIREO_TEST_* variables
 * (see its header).  Run alone, each test skips and says why.
 */
#pragma once

#include "vireo-test-util.h"

G_BEGIN_DECLS

/* A booting TCG guest is slow on a loaded machine. */
#define LT_BOOT_SECONDS 180
#define LT_IO_SECONDS   60

/* The harness variable @name, NULL when unset or empty. */
const char *lt_env(const char *name);
/* TRUE under the harness; otherwise marks the test skipped. */
gboolean lt_have_harness(void);
/* A domain (or pool, volume) name the harness cleans up: prefix + @what. */
char *lt_name(const char *what);
/* The <kernel>, <initrd> and <cmdline> elements that boot the test guest. */
char *lt_guest_os(void);
/* A small VM with nothing to boot (QEMU runs its BIOS) and @devices (the
 * content of <devices>, may be NULL). */
char *lt_bare_vm_xml(const char *name, const char *devices);
/* A TCP port on 127.0.0.1 where nothing listens (it was free a moment ago). */
guint16 lt_free_port(void);
/* Defines @xml through libvireo; asserts success. */
VireoDomain *lt_define(VireoConnection *connection, const char *xml);
/* Deletes @domain through libvireo; asserts success. */
void lt_delete(VireoDomain *domain, VireoDomainDeleteFlags flags);
/* SSH logins sshd accepted so far (its log). */
guint lt_ssh_logins(void);

G_END_DECLS
