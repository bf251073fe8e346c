/* vireo-libvirt-test.c: what the tests against a real libvirtd share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vireo-libvirt-test.h"

const char *
lt_env(const char *name)
{
    const char *value = g_getenv(name);

    return value && *value ? value : NULL;
}

gboolean
lt_have_harness(void)
{
    if (lt_env("VIREO_TEST_LIBVIRT_URI") && lt_env("VIREO_TEST_GUEST_KERNEL"))
        return TRUE;
    g_test_skip("needs a real libvirtd: run through tests/libvirt/harness.py");
    return FALSE;
}

char *
lt_name(const char *what)
{
    return g_strconcat(lt_env("VIREO_TEST_NAME_PREFIX") ?: "vireo-test-", what, NULL);
}

char *
lt_guest_os(void)
{
    return g_strdup_printf("<kernel>%s</kernel><initrd>%s</initrd>"
                           "<cmdline>console=ttyS0 quiet</cmdline>",
                           lt_env("VIREO_TEST_GUEST_KERNEL"), lt_env("VIREO_TEST_GUEST_INITRD"));
}

char *
lt_bare_vm_xml(const char *name, const char *devices)
{
    return g_strdup_printf("<domain type='qemu'><name>%s</name><memory unit='MiB'>32</memory>"
                           "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
                           "<features><acpi/><apic/></features><devices>%s</devices></domain>",
                           name, devices ? devices : "");
}

guint16
lt_free_port(void)
{
    g_autoptr(GSocket) probe =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new(loopback, 0);
    g_assert_true(g_socket_bind(probe, any, TRUE, NULL));
    g_autoptr(GSocketAddress) bound = g_socket_get_local_address(probe, NULL);
    guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
    g_socket_close(probe, NULL);
    return port;
}

VireoDomain *
lt_define(VireoConnection *connection, const char *xml)
{
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    vireo_connection_define_xml_async(connection, xml, NULL, vt_store_result, &result);
    vt_await_result(&result, LT_IO_SECONDS);
    VireoDomain *domain = vireo_connection_define_xml_finish(connection, result, &error);
    g_assert_no_error(error);
    g_assert_nonnull(domain);
    return domain;
}

void
lt_delete(VireoDomain *domain, VireoDomainDeleteFlags flags)
{
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    vireo_domain_delete_async(domain, flags, NULL, vt_store_result, &result);
    vt_await_result(&result, LT_IO_SECONDS);
    g_assert_true(vireo_domain_delete_finish(domain, result, &error));
    g_assert_no_error(error);
}

guint
lt_ssh_logins(void)
{
    g_autofree char *log = NULL;
    guint n = 0;

    if (!g_file_get_contents(lt_env("VIREO_TEST_SSH_LOG"), &log, NULL, NULL))
        return 0;
    for (const char *p = log; (p = strstr(p, "Accepted publickey")); p++)
        n++;
    return n;
}
