/* vireo-embedded-config.c: a VM definition for vireo-vmm
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The document is parsed once with libxml2 and kept whole; the fields
 * below are read from it, and the walk that reads them also records every
 * element it does not use, so that nothing is ignored silently.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>
#include <unistd.h>

#include "vireo-connection.h"
#include "vireo-embedded-config.h"

#define MIN_MEMORY_KIB 2048
#define MAX_VCPUS 255

struct _VireoEmbeddedConfig {
    xmlDoc *doc;
    char *name;
    char *uuid;
    char *title;
    char *description;
    guint64 memory_kib;
    guint vcpus;
    char *kernel;
    char *initrd;
    char *cmdline;
    gboolean acpi;
    gboolean reboot_exits;
    VireoEmbeddedSerial serial;
    char *serial_path;
    gboolean vnc;
    GPtrArray *ignored;  /* char *, NULL-terminated */
    GPtrArray *blocking; /* char *, NULL-terminated */
};

/* Reading helpers -------------------------------------------------------- */

static gboolean
is_element(xmlNode *node, const char *name)
{
    return node->type == XML_ELEMENT_NODE && (!name || xmlStrEqual(node->name, BAD_CAST name));
}

#define for_each_element(child, parent)                                                      \
    for (xmlNode *child = (parent)->children; child; child = child->next)                   \
        if (child->type == XML_ELEMENT_NODE)

static char *
text_of(xmlNode *node)
{
    xmlChar *content = xmlNodeGetContent(node);
    char *text = g_strstrip(g_strdup(content ? (const char *)content : ""));

    xmlFree(content);
    return text;
}

static char *
attr_of(xmlNode *node, const char *name)
{
    xmlChar *value = xmlGetProp(node, BAD_CAST name);
    char *copy = value ? g_strdup((const char *)value) : NULL;

    xmlFree(value);
    return copy;
}

static gboolean
attr_is(xmlNode *node, const char *name, const char *value)
{
    g_autofree char *actual = attr_of(node, name);
    return g_strcmp0(actual, value) == 0;
}

/* "<name>", "<parent><name>", "<name type='t'>" for messages. */
static char *
describe(xmlNode *node, const char *parent, const char *attr)
{
    g_autofree char *value = attr ? attr_of(node, attr) : NULL;
    g_autoptr(GString) text = g_string_new(NULL);

    if (parent)
        g_string_append_printf(text, "<%s>", parent);
    g_string_append_printf(text, "<%s", (const char *)node->name);
    if (value)
        g_string_append_printf(text, " %s='%s'", attr, value);
    g_string_append_c(text, '>');
    return g_string_free(g_steal_pointer(&text), FALSE);
}

static void
add_unique(GPtrArray *list, char *text)
{
    for (guint i = 0; i < list->len; i++) {
        if (g_strcmp0(g_ptr_array_index(list, i), text) == 0) {
            g_free(text);
            return;
        }
    }
    g_ptr_array_add(list, text);
}

static void
ignore(VireoEmbeddedConfig *self, xmlNode *node, const char *parent, const char *attr)
{
    add_unique(self->ignored, describe(node, parent, attr));
}

static gboolean
invalid(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);

static gboolean
invalid(GError **error, const char *format, ...)
{
    va_list args;

    va_start(args, format);
    g_autofree char *message = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error_literal(error, VIREO_ERROR, VIREO_ERROR_INVALID_XML, message);
    return FALSE;
}

/* Multiples of a byte for libvirt's memory units (what virScaleInteger
 * takes): "b"/"bytes"; k, M, G, T, P, E alone or with "iB" are powers of
 * 1024, with "B" powers of 1000; case does not matter.  0: unknown. */
static guint64
unit_bytes(const char *unit)
{
    static const char prefixes[] = "kmgtpe";
    const char *p;
    guint64 base, bytes = 1;

    if (g_ascii_strcasecmp(unit, "b") == 0 || g_ascii_strcasecmp(unit, "bytes") == 0)
        return 1;
    p = strchr(prefixes, g_ascii_tolower(unit[0]));
    if (!unit[0] || !p)
        return 0;
    if (!unit[1] || g_ascii_strcasecmp(unit + 1, "ib") == 0)
        base = 1024;
    else if (g_ascii_strcasecmp(unit + 1, "b") == 0)
        base = 1000;
    else
        return 0;
    for (const char *q = prefixes; q <= p; q++)
        bytes *= base;
    return bytes;
}

static gboolean
parse_memory(xmlNode *node, guint64 *kib, GError **error)
{
    g_autofree char *unit = attr_of(node, "unit");
    g_autofree char *text = text_of(node);
    guint64 value, bytes = unit ? unit_bytes(unit) : 1024;

    if (bytes == 0)
        return invalid(error, _("The memory unit “%s” is not known. Use KiB, MiB or GiB."),
                       unit);
    if (!g_ascii_string_to_unsigned(text, 10, 1, G_MAXUINT64 / bytes, &value, NULL))
        return invalid(error, _("The memory size “%s” is not a positive whole number."), text);
    *kib = (value * bytes + 1023) / 1024;
    return TRUE;
}

/* Parts of the definition ------------------------------------------------ */

static gboolean
read_os(VireoEmbeddedConfig *self, xmlNode *os, GError **error)
{
    for_each_element(child, os) {
        if (is_element(child, "type")) {
            g_autofree char *type = text_of(child);
            g_autofree char *arch = attr_of(child, "arch");

            if (g_strcmp0(type, "hvm") != 0)
                return invalid(error,
                               _("The operating system type is “%s”, but vireo-vmm runs only "
                                 "full virtual machines: write <type>hvm</type>."),
                               type);
            if (arch && !g_str_equal(arch, "x86_64"))
                return invalid(error,
                               _("The architecture is “%s”, but vireo-vmm runs only x86_64 "
                                 "guests."),
                               arch);
        } else if (is_element(child, "kernel")) {
            g_free(self->kernel);
            self->kernel = text_of(child);
        } else if (is_element(child, "initrd")) {
            g_free(self->initrd);
            self->initrd = text_of(child);
        } else if (is_element(child, "cmdline")) {
            g_free(self->cmdline);
            self->cmdline = text_of(child);
        } else {
            ignore(self, child, "os", NULL);
        }
    }
    if (self->kernel && !*self->kernel)
        g_clear_pointer(&self->kernel, g_free);
    if (self->initrd && !*self->initrd)
        g_clear_pointer(&self->initrd, g_free);
    return TRUE;
}

static void
read_features(VireoEmbeddedConfig *self, xmlNode *features)
{
    for_each_element(child, features) {
        if (is_element(child, "acpi"))
            self->acpi = TRUE;
        else if (!is_element(child, "apic") && !is_element(child, "pae"))
            ignore(self, child, "features", NULL);
    }
}

/* Serial ports and consoles: the first one is COM1. */
static void
read_serial(VireoEmbeddedConfig *self, xmlNode *node, gboolean *have_serial)
{
    g_autofree char *type = attr_of(node, "type");

    if (is_element(node, "console")) {
        /* libvirt mirrors the first serial port as a console */
        gboolean serial_target = TRUE;
        for_each_element(child, node) {
            if (is_element(child, "target") && !attr_is(child, "type", NULL) &&
                !attr_is(child, "type", "serial"))
                serial_target = FALSE;
        }
        if (!serial_target) {
            ignore(self, node, "devices", NULL);
            return;
        }
        if (*have_serial)
            return;
    } else if (*have_serial) {
        add_unique(self->ignored, g_strdup(_("<serial> (all but the first)")));
        return;
    }
    *have_serial = TRUE;

    if (g_strcmp0(type, "null") == 0) {
        self->serial = VIREO_EMBEDDED_SERIAL_NONE;
        return;
    }
    if (g_strcmp0(type, "file") == 0) {
        for_each_element(child, node) {
            if (is_element(child, "source")) {
                g_free(self->serial_path);
                self->serial_path = attr_of(child, "path");
            }
        }
        if (self->serial_path && g_path_is_absolute(self->serial_path)) {
            self->serial = VIREO_EMBEDDED_SERIAL_FILE;
            return;
        }
        g_clear_pointer(&self->serial_path, g_free);
    }
    self->serial = VIREO_EMBEDDED_SERIAL_SOCKET;
    if (type && !g_str_equal(type, "pty") && !g_str_equal(type, "unix"))
        ignore(self, node, NULL, "type");
    for_each_element(child, node) {
        if (is_element(child, "log"))
            ignore(self, child, (const char *)node->name, NULL);
    }
}

static const char *const blocking_devices[] = {
    "disk", "interface", "filesystem", "hostdev", "redirdev", "smartcard", "tpm", "shmem",
    "lease", NULL,
};

static void
read_devices(VireoEmbeddedConfig *self, xmlNode *devices)
{
    gboolean have_serial = FALSE;
    gboolean have_graphics = FALSE;

    for_each_element(child, devices) {
        const char *name = (const char *)child->name;

        if (is_element(child, "serial") || is_element(child, "console")) {
            read_serial(self, child, &have_serial);
        } else if (is_element(child, "graphics")) {
            if (attr_is(child, "type", "vnc") && !have_graphics) {
                self->vnc = TRUE;
                have_graphics = TRUE;
                if (xmlHasProp(child, BAD_CAST "passwd"))
                    add_unique(self->ignored,
                               g_strdup(_("<graphics passwd=…> (the screen is reached "
                                          "through a private socket instead)")));
            } else {
                ignore(self, child, NULL, "type");
            }
        } else if (is_element(child, "video")) {
            for_each_element(model, child) {
                if (is_element(model, "model") && !attr_is(model, "type", "bochs") &&
                    !attr_is(model, "type", "vga") && !attr_is(model, "type", "none"))
                    ignore(self, model, "video", "type");
            }
        } else if (is_element(child, "input")) {
            gboolean ps2 = attr_is(child, "bus", NULL) || attr_is(child, "bus", "ps2");
            if (!ps2 || (!attr_is(child, "type", "keyboard") && !attr_is(child, "type", "mouse")))
                ignore(self, child, NULL, "type");
        } else if (is_element(child, "memballoon") && attr_is(child, "model", "none")) {
            /* "no balloon" is what vireo-vmm gives anyway */
        } else if (g_strv_contains(blocking_devices, name)) {
            g_autoptr(GString) what = g_string_new(NULL);
            g_autofree char *head = describe(child, NULL, "type");
            g_string_append(what, head);
            for_each_element(source, child) {
                if (!is_element(source, "source"))
                    continue;
                static const char *const attrs[] = {"file", "dev", "dir", "network", "bridge",
                                                    NULL};
                for (guint i = 0; attrs[i]; i++) {
                    g_autofree char *value = attr_of(source, attrs[i]);
                    if (value) {
                        g_string_append_printf(what, " %s", value);
                        break;
                    }
                }
            }
            add_unique(self->blocking, g_string_free(g_steal_pointer(&what), FALSE));
        } else if (!is_element(child, "emulator")) {
            ignore(self, child, NULL, NULL);
        }
    }
}

static gboolean
read_domain(VireoEmbeddedConfig *self, xmlNode *root, GError **error)
{
    g_autofree char *type = attr_of(root, "type");
    xmlNode *name_node = NULL;
    xmlNode *uuid_node = NULL;
    gboolean have_memory = FALSE;
    guint64 current_kib = 0;
    static const char *const singletons[] = {"name", "uuid", "memory", "vcpu", "os", "devices",
                                             NULL};

    if (type && !g_str_equal(type, "kvm"))
        add_unique(self->ignored, g_strdup_printf("<domain type='%s'>", type));

    for (guint i = 0; singletons[i]; i++) {
        guint count = 0;
        for_each_element(child, root) {
            if (is_element(child, singletons[i]))
                count++;
        }
        if (count > 1)
            return invalid(error, _("The definition has more than one <%s> element."),
                           singletons[i]);
    }

    for_each_element(child, root) {
        if (is_element(child, "name")) {
            name_node = child;
            self->name = text_of(child);
        } else if (is_element(child, "uuid")) {
            uuid_node = child;
            self->uuid = text_of(child);
        } else if (is_element(child, "title")) {
            self->title = text_of(child);
        } else if (is_element(child, "description")) {
            self->description = text_of(child);
        } else if (is_element(child, "memory")) {
            if (!parse_memory(child, &self->memory_kib, error))
                return FALSE;
            have_memory = TRUE;
        } else if (is_element(child, "currentMemory")) {
            if (!parse_memory(child, &current_kib, error))
                return FALSE;
        } else if (is_element(child, "vcpu")) {
            g_autofree char *text = text_of(child);
            g_autofree char *current = attr_of(child, "current");
            guint64 n = 0;
            if (!g_ascii_string_to_unsigned(text, 10, 1, MAX_VCPUS, &n, NULL))
                return invalid(error,
                               _("The number of virtual CPUs, “%s”, is not between 1 and %u."),
                               text, MAX_VCPUS);
            self->vcpus = (guint)n;
            if (current && g_strcmp0(current, text) != 0)
                add_unique(self->ignored, g_strdup("<vcpu current=…>"));
        } else if (is_element(child, "os")) {
            if (!read_os(self, child, error))
                return FALSE;
        } else if (is_element(child, "features")) {
            read_features(self, child);
        } else if (is_element(child, "devices")) {
            read_devices(self, child);
        } else if (is_element(child, "on_reboot")) {
            g_autofree char *text = text_of(child);
            if (g_str_equal(text, "destroy"))
                self->reboot_exits = TRUE;
            else if (!g_str_equal(text, "restart"))
                add_unique(self->ignored, g_strdup_printf("<on_reboot>%s", text));
        } else if (is_element(child, "on_poweroff") || is_element(child, "on_crash")) {
            g_autofree char *text = text_of(child);
            if (!g_str_equal(text, "destroy"))
                add_unique(self->ignored,
                           g_strdup_printf("<%s>%s", (const char *)child->name, text));
        } else if (!is_element(child, "metadata")) {
            ignore(self, child, NULL, NULL);
        }
    }

    if (!self->name || !*self->name)
        return invalid(error, _("The definition has no <name>. Give the virtual machine a "
                                "name."));
    if (!vireo_embedded_name_is_valid(self->name, error))
        return FALSE;
    if (!have_memory)
        return invalid(error, _("The definition of “%s” has no <memory>. Say how much memory "
                                "it gets, e.g. <memory unit='MiB'>256</memory>."),
                       self->name);
    if (self->memory_kib < MIN_MEMORY_KIB)
        return invalid(error, _("“%s” is given %" G_GUINT64_FORMAT " KiB of memory; vireo-vmm "
                                "needs at least 2 MiB."),
                       self->name, self->memory_kib);
    /* guest memory comes in pages */
    self->memory_kib = (self->memory_kib + 3) & ~(guint64)3;
    if (current_kib && current_kib < self->memory_kib)
        add_unique(self->ignored, g_strdup("<currentMemory>"));
    if (self->vcpus == 0)
        self->vcpus = 1;

    if (self->uuid) {
        if (!g_uuid_string_is_valid(self->uuid))
            return invalid(error, _("“%s” is not a UUID. Write it as "
                                    "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, or leave <uuid> out "
                                    "to have one made."),
                           self->uuid);
        char *lower = g_ascii_strdown(self->uuid, -1);
        g_free(self->uuid);
        self->uuid = lower;
        xmlNodeSetContent(uuid_node, BAD_CAST self->uuid);
    } else {
        /* after <name>, indented like it */
        self->uuid = g_uuid_string_random();
        xmlNode *node = xmlNewDocNode(self->doc, NULL, BAD_CAST "uuid", BAD_CAST self->uuid);
        xmlNode *space = name_node->prev;
        xmlAddNextSibling(name_node, node);
        if (space && space->type == XML_TEXT_NODE)
            xmlAddPrevSibling(node, xmlNewDocText(self->doc, space->content));
    }
    return TRUE;
}

/* Public ------------------------------------------------------------------ */

gboolean
vireo_embedded_name_is_valid(const char *name, GError **error)
{
    if (!name || !*name)
        return invalid(error, _("A virtual machine needs a name."));
    if (!g_utf8_validate(name, -1, NULL) || strlen(name) > 64)
        return invalid(error, _("The name “%s” is too long: use at most 64 characters."),
                       name);
    if (name[0] == '.' || name[0] == '-')
        return invalid(error, _("The name “%s” may not start with “.” or “-”."), name);
    for (const char *p = name; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c == '/' || g_unichar_iscntrl(c) || (g_unichar_isspace(c) && c != ' '))
            return invalid(error,
                           _("The name “%s” contains a “/” or a control character, which a "
                             "virtual machine's name may not contain."),
                           name);
    }
    return TRUE;
}

VireoEmbeddedConfig *
vireo_embedded_config_new(const char *xml, GError **error)
{
    g_return_val_if_fail(xml != NULL, NULL);

    g_autoptr(VireoEmbeddedConfig) self = g_new0(VireoEmbeddedConfig, 1);
    self->ignored = g_ptr_array_new_with_free_func(g_free);
    self->blocking = g_ptr_array_new_with_free_func(g_free);
    self->serial = VIREO_EMBEDDED_SERIAL_NONE;

    xmlParserCtxt *ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        g_set_error_literal(error, VIREO_ERROR, VIREO_ERROR_FAILED,
                            _("Out of memory while reading the definition."));
        return NULL;
    }
    /* no network, no external entities, no messages on stderr */
    self->doc = xmlCtxtReadMemory(ctxt, xml, (int)strlen(xml), "domain.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!self->doc) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        g_autofree char *detail = g_strstrip(g_strdup(e && e->message ? e->message : ""));
        invalid(error, _("The definition is not well-formed XML (line %d: %s)."),
                e ? e->line : 0, detail);
        xmlFreeParserCtxt(ctxt);
        return NULL;
    }
    xmlFreeParserCtxt(ctxt);

    xmlNode *root = xmlDocGetRootElement(self->doc);
    if (!root || !is_element(root, "domain")) {
        invalid(error, _("The definition is not libvirt domain XML: its top element must be "
                         "<domain>."));
        return NULL;
    }
    if (!read_domain(self, root, error))
        return NULL;
    g_ptr_array_add(self->ignored, NULL);
    g_ptr_array_add(self->blocking, NULL);
    return g_steal_pointer(&self);
}

void
vireo_embedded_config_free(VireoEmbeddedConfig *self)
{
    if (!self)
        return;
    if (self->doc)
        xmlFreeDoc(self->doc);
    g_free(self->name);
    g_free(self->uuid);
    g_free(self->title);
    g_free(self->description);
    g_free(self->kernel);
    g_free(self->initrd);
    g_free(self->cmdline);
    g_free(self->serial_path);
    g_ptr_array_unref(self->ignored);
    g_ptr_array_unref(self->blocking);
    g_free(self);
}

const char *
vireo_embedded_config_get_name(VireoEmbeddedConfig *self)
{
    return self->name;
}

const char *
vireo_embedded_config_get_uuid(VireoEmbeddedConfig *self)
{
    return self->uuid;
}

const char *
vireo_embedded_config_get_title(VireoEmbeddedConfig *self)
{
    return self->title && *self->title ? self->title : NULL;
}

const char *
vireo_embedded_config_get_description(VireoEmbeddedConfig *self)
{
    return self->description && *self->description ? self->description : NULL;
}

guint64
vireo_embedded_config_get_memory_kib(VireoEmbeddedConfig *self)
{
    return self->memory_kib;
}

guint
vireo_embedded_config_get_vcpus(VireoEmbeddedConfig *self)
{
    return self->vcpus;
}

const char *
vireo_embedded_config_get_kernel(VireoEmbeddedConfig *self)
{
    return self->kernel;
}

VireoEmbeddedSerial
vireo_embedded_config_get_serial(VireoEmbeddedConfig *self)
{
    return self->serial;
}

gboolean
vireo_embedded_config_has_acpi(VireoEmbeddedConfig *self)
{
    return self->acpi;
}

gboolean
vireo_embedded_config_has_vnc(VireoEmbeddedConfig *self)
{
    return self->vnc;
}

char *
vireo_embedded_config_to_xml(VireoEmbeddedConfig *self)
{
    xmlBuffer *buffer = xmlBufferCreate();
    xmlNodeDump(buffer, self->doc, xmlDocGetRootElement(self->doc), 0, 0);
    char *xml = g_strconcat((const char *)xmlBufferContent(buffer), "\n", NULL);

    xmlBufferFree(buffer);
    return xml;
}

const char *const *
vireo_embedded_config_get_ignored(VireoEmbeddedConfig *self)
{
    return (const char *const *)self->ignored->pdata;
}

const char *const *
vireo_embedded_config_get_blocking(VireoEmbeddedConfig *self)
{
    return (const char *const *)self->blocking->pdata;
}

static gboolean
check_file(VireoEmbeddedConfig *self, const char *path, gboolean kernel, GError **error)
{
    if (!g_path_is_absolute(path)) {
        g_set_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_XML,
                    kernel ? _("The kernel of “%s” is given as “%s”; write its absolute path.")
                           : _("The initrd of “%s” is given as “%s”; write its absolute path."),
                    self->name, path);
        return FALSE;
    }
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_set_error(error, VIREO_ERROR, VIREO_ERROR_NOT_FOUND,
                    kernel ? _("The kernel of “%s”, %s, does not exist. Correct <os><kernel> "
                               "in its definition.")
                           : _("The initrd of “%s”, %s, does not exist. Correct <os><initrd> "
                               "in its definition."),
                    self->name, path);
        return FALSE;
    }
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR) || g_access(path, R_OK) != 0) {
        g_set_error(error, VIREO_ERROR, VIREO_ERROR_NOT_FOUND,
                    kernel ? _("The kernel of “%s”, %s, is not a file you may read.")
                           : _("The initrd of “%s”, %s, is not a file you may read."),
                    self->name, path);
        return FALSE;
    }
    return TRUE;
}

gboolean
vireo_embedded_config_check_startable(VireoEmbeddedConfig *self, GError **error)
{
    if (self->blocking->len > 1) {
        g_autofree char *list = g_strjoinv(", ", (char **)self->blocking->pdata);
        g_set_error(error, VIREO_ERROR, VIREO_ERROR_NOT_SUPPORTED,
                    _("“%s” cannot run on Vireo's built-in hypervisor: its definition has "
                      "%s, which vireo-vmm does not provide yet. Remove them from the "
                      "definition, or run it on a libvirt connection."),
                    self->name, list);
        return FALSE;
    }
    if (!self->kernel) {
        g_set_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_XML,
                    _("“%s” has no kernel to boot. vireo-vmm starts a Linux kernel or a PVH "
                      "ELF image directly (firmware boot is not available yet): set "
                      "<os><kernel> to its path."),
                    self->name);
        return FALSE;
    }
    if (!check_file(self, self->kernel, TRUE, error))
        return FALSE;
    if (self->initrd && !check_file(self, self->initrd, FALSE, error))
        return FALSE;
    return TRUE;
}

char *
vireo_embedded_config_dup_notice(VireoEmbeddedConfig *self,
                                 const VireoEmbeddedVmmFeatures *features)
{
    g_autoptr(GString) notice = g_string_new(NULL);

    if (self->ignored->len > 1) {
        g_autofree char *list = g_strjoinv(", ", (char **)self->ignored->pdata);
        g_string_append_printf(notice,
                               _("vireo-vmm runs “%s” without these parts of its definition: "
                                 "%s. They stay in the definition."),
                               self->name, list);
    }
    if (self->vnc && !features->display) {
        if (notice->len)
            g_string_append_c(notice, ' ');
        g_string_append_printf(notice,
                               _("“%s” has no screen: this vireo-vmm cannot show one yet."),
                               self->name);
    }
    if (!self->acpi) {
        if (notice->len)
            g_string_append_c(notice, ' ');
        g_string_append(notice, _("Its definition has no <acpi/>, but vireo-vmm always gives "
                                  "guests ACPI."));
    }
    return notice->len ? g_string_free(g_steal_pointer(&notice), FALSE) : NULL;
}

static void
add_take(GStrvBuilder *builder, char *value)
{
    g_strv_builder_add(builder, value);
    g_free(value);
}

GStrv
vireo_embedded_config_build_argv(VireoEmbeddedConfig *self, const char *vmm,
                                 const VireoEmbeddedRunPaths *paths,
                                 const VireoEmbeddedVmmFeatures *features)
{
    GStrvBuilder *builder = g_strv_builder_new();

    g_strv_builder_add(builder, vmm);
    g_strv_builder_add_many(builder, "--name", self->name, "--uuid", self->uuid, NULL);
    add_take(builder, g_strdup("--memory"));
    add_take(builder, g_strdup_printf("%" G_GUINT64_FORMAT "K", self->memory_kib));
    add_take(builder, g_strdup("--cpus"));
    add_take(builder, g_strdup_printf("%u", self->vcpus));
    g_strv_builder_add_many(builder, "--kernel", self->kernel, NULL);
    if (self->initrd)
        g_strv_builder_add_many(builder, "--initrd", self->initrd, NULL);
    if (self->cmdline && *self->cmdline)
        g_strv_builder_add_many(builder, "--cmdline", self->cmdline, NULL);

    g_strv_builder_add(builder, "--serial");
    switch (self->serial) {
    case VIREO_EMBEDDED_SERIAL_SOCKET:
        add_take(builder, g_strconcat("unix:", paths->serial_socket, NULL));
        break;
    case VIREO_EMBEDDED_SERIAL_FILE:
        add_take(builder, g_strconcat("file:", self->serial_path, NULL));
        break;
    case VIREO_EMBEDDED_SERIAL_NONE:
    default:
        g_strv_builder_add(builder, "none");
        break;
    }
    g_strv_builder_add(builder, "--control");
    add_take(builder, g_strconcat("unix:", paths->control_socket, NULL));
    if (self->vnc && features->display) {
        g_strv_builder_add(builder, "--display");
        add_take(builder, g_strconcat("vnc=unix:", paths->vnc_socket, NULL));
    }
    if (self->reboot_exits)
        g_strv_builder_add_many(builder, "--on-reboot", "exit", NULL);

    GStrv argv = g_strv_builder_end(builder);
    g_strv_builder_unref(builder);
    return argv;
}
