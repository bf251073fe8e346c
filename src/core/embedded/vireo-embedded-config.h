/* vireo-embedded-config.h: a VM definition for vireo-vmm
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An embedded VM is defined by libvirt domain XML, kept as the user wrote
 * it (elements vireo-vmm does not support stay in the document, so the
 * definition can move to a libvirt host and back).  This file is the one
 * place that reads the supported subset and turns it into vireo-vmm's
 * command line:
 *
 *   name, uuid, title, description      --name, --uuid (title/description: the model)
 *   memory (unit=), vcpu                 --memory, --cpus
 *   os: type hvm, kernel, initrd, cmdline  --kernel, --initrd, --cmdline
 *   features: acpi (always provided), apic, pae
 *   on_reboot destroy|restart            --on-reboot exit|restart
 *   devices: serial/console              --serial unix:serial.sock | file:PATH | none
 *            graphics type=vnc           --display vnc=unix:vnc.sock
 *            video (bochs, vga, none)
 *            input (PS/2 keyboard and mouse), emulator
 *
 * Anything else is "ignored" (named to the user when the VM starts), except
 * devices that hold the guest's data or connections (disks, network
 * interfaces, host devices…), which "block" a start: running without them
 * would not be the VM the user defined.  Pure code: no I/O but the kernel
 * checks of vireo_embedded_config_check_startable().
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
    VIREO_EMBEDDED_SERIAL_NONE,   /* no serial port */
    VIREO_EMBEDDED_SERIAL_SOCKET, /* serial.sock in the runtime directory */
    VIREO_EMBEDDED_SERIAL_FILE,   /* output to serial_path */
} VireoEmbeddedSerial;

typedef struct _VireoEmbeddedConfig VireoEmbeddedConfig;

/* Where a running VM's files are. */
typedef struct {
    const char *control_socket;
    const char *serial_socket;
    const char *vnc_socket;
} VireoEmbeddedRunPaths;

/* What the installed vireo-vmm can do (probed from its --help). */
typedef struct {
    gboolean display; /* --display vnc=unix:PATH */
} VireoEmbeddedVmmFeatures;

/* Parses and checks @xml; VIREO_ERROR_INVALID_XML with a sentence that
 * names what is wrong.  A definition without <uuid> gets a new one. */
VireoEmbeddedConfig *vireo_embedded_config_new(const char *xml, GError **error);
void vireo_embedded_config_free(VireoEmbeddedConfig *config);

const char *vireo_embedded_config_get_name(VireoEmbeddedConfig *config);
const char *vireo_embedded_config_get_uuid(VireoEmbeddedConfig *config);
const char *vireo_embedded_config_get_title(VireoEmbeddedConfig *config);
const char *vireo_embedded_config_get_description(VireoEmbeddedConfig *config);
guint64 vireo_embedded_config_get_memory_kib(VireoEmbeddedConfig *config);
guint vireo_embedded_config_get_vcpus(VireoEmbeddedConfig *config);
const char *vireo_embedded_config_get_kernel(VireoEmbeddedConfig *config);
VireoEmbeddedSerial vireo_embedded_config_get_serial(VireoEmbeddedConfig *config);
gboolean vireo_embedded_config_has_acpi(VireoEmbeddedConfig *config);
gboolean vireo_embedded_config_has_vnc(VireoEmbeddedConfig *config);

/* The definition as XML: the user's document, unknown parts included. */
char *vireo_embedded_config_to_xml(VireoEmbeddedConfig *config);

/* Elements vireo-vmm leaves out when this VM runs ("<sound>", "<cpu>"…),
 * NULL-terminated; never NULL. */
const char *const *vireo_embedded_config_get_ignored(VireoEmbeddedConfig *config);
/* Devices that stop this VM from running here ("<disk> /var/a.img"…). */
const char *const *vireo_embedded_config_get_blocking(VireoEmbeddedConfig *config);

/* Whether the VM can start: no blocking device, a kernel that exists and
 * can be read, and the same for the initrd.  Errors are
 * VIREO_ERROR_NOT_SUPPORTED (a device), VIREO_ERROR_INVALID_XML (no kernel
 * given) or VIREO_ERROR_NOT_FOUND (a file missing), each naming it. */
gboolean vireo_embedded_config_check_startable(VireoEmbeddedConfig *config, GError **error);

/* A sentence for the user about what this run leaves out, or NULL. */
char *vireo_embedded_config_dup_notice(VireoEmbeddedConfig *config,
                                       const VireoEmbeddedVmmFeatures *features);

/* vireo-vmm's argument vector (argv[0] = @vmm). */
GStrv vireo_embedded_config_build_argv(VireoEmbeddedConfig *config, const char *vmm,
                                       const VireoEmbeddedRunPaths *paths,
                                       const VireoEmbeddedVmmFeatures *features);

/* TRUE when @name can name an embedded VM (it names files too); else
 * VIREO_ERROR_INVALID_XML saying why. */
gboolean vireo_embedded_name_is_valid(const char *name, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VireoEmbeddedConfig, vireo_embedded_config_free)

G_END_DECLS
