/* control.c: the org.vireo.Vmm1 server, the control module
 * (vireo-vmm-control.so, see module.h).
 *
 * The executable listens on the --control socket (0600) before the VM
 * boots and loads this module once the vCPUs run; a socket service
 * takes the listening socket over and makes every peer a D-Bus
 * connection, as GDBusServer would (only peers with our own uid are let
 * in); the generated skeleton is exported on every connection at
 * /org/vireo/Vmm1.  Everything runs on the main loop.
 *
 * The gdbus tool, given --address, takes its peer for a message bus and
 * greets it with org.freedesktop.DBus.Hello before anything else; each
 * connection therefore also gets a one-method /org/freedesktop/DBus that
 * hands out a unique name, so that `gdbus introspect` and `gdbus call`
 * work on a live VM (with --dest: any name, the VMM ignores it).
 */
#include "config.h"

#include "control/control-module.h"

#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <unistd.h>

#include "devices/i8042.h"
#include "vmm-dbus.h"

#define OBJECT_PATH "/org/vireo/Vmm1"
#define BUS_PATH "/org/freedesktop/DBus"

static const char bus_xml[] =
    "<node><interface name='org.freedesktop.DBus'>"
    "<method name='Hello'><arg name='name' type='s' direction='out'/>"
    "</method></interface></node>";

struct VmmControlServer {
    VmmInstance *inst;
    char *guid;
    GSocketService *service;
    GCancellable *cancel; /* handshakes in progress, at stop */
    GDBusAuthObserver *observer;
    VmmDbusVmm1 *skeleton;
    GPtrArray *connections;
    GDBusNodeInfo *bus_info;
    guint64 n_hellos;
};

static void sync_state(VmmInstance *inst, gpointer data)
{
    VmmControlServer *self = data;
    const char *state = vmm_state_to_string(inst->state);

    vmm_dbus_vmm1_set_state(self->skeleton, state);
    vmm_dbus_vmm1_set_resets(self->skeleton, inst->resets);
    if (inst->state == VMM_STATE_STOPPED)
        vmm_dbus_vmm1_set_exit_status(self->skeleton, inst->exit_status);
    /* the skeleton sends PropertiesChanged from an idle: send it now, so
     * that peers see the properties before the signal, and a VM that is
     * about to end still tells them */
    g_dbus_interface_skeleton_flush(G_DBUS_INTERFACE_SKELETON(self->skeleton));
    vmm_dbus_vmm1_emit_state_changed(self->skeleton, state);
}

static gboolean fail_unless_running(GDBusMethodInvocation *inv,
                                    VmmInstance *inst, const char *what)
{
    if (inst->state == VMM_STATE_RUNNING)
        return FALSE;
    g_dbus_method_invocation_return_error(
        inv, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
        "Cannot %s: the VM is %s, not running.", what,
        vmm_state_to_string(inst->state));
    return TRUE;
}

static gboolean on_pause(VmmDbusVmm1 *obj, GDBusMethodInvocation *inv,
                         VmmControlServer *self)
{
    if (fail_unless_running(inv, self->inst, "pause"))
        return TRUE;
    vmm_instance_pause(self->inst);
    vmm_dbus_vmm1_complete_pause(obj, inv);
    return TRUE;
}

static gboolean on_resume(VmmDbusVmm1 *obj, GDBusMethodInvocation *inv,
                          VmmControlServer *self)
{
    if (self->inst->state != VMM_STATE_PAUSED) {
        g_dbus_method_invocation_return_error(
            inv, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
            "Cannot resume: the VM is %s, not paused.",
            vmm_state_to_string(self->inst->state));
        return TRUE;
    }
    vmm_instance_resume(self->inst);
    vmm_dbus_vmm1_complete_resume(obj, inv);
    return TRUE;
}

static gboolean on_power_button(VmmDbusVmm1 *obj, GDBusMethodInvocation *inv,
                                VmmControlServer *self)
{
    if (fail_unless_running(inv, self->inst, "press the power button"))
        return TRUE;
    if (!vmm_instance_power_button(self->inst)) {
        g_dbus_method_invocation_return_error(
            inv, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
            "This machine has no ACPI power button.");
        return TRUE;
    }
    vmm_dbus_vmm1_complete_power_button(obj, inv);
    return TRUE;
}

static gboolean on_reboot(VmmDbusVmm1 *obj, GDBusMethodInvocation *inv,
                          VmmControlServer *self)
{
    if (fail_unless_running(inv, self->inst, "reboot"))
        return TRUE;
    if (!vmm_instance_reboot(self->inst)) {
        g_dbus_method_invocation_return_error(
            inv, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
            "This machine has no ACPI power button to ask its guest to "
            "reboot; use Reset instead.");
        return TRUE;
    }
    vmm_dbus_vmm1_complete_reboot(obj, inv);
    return TRUE;
}

static gboolean on_reset(VmmDbusVmm1 *obj, GDBusMethodInvocation *inv,
                         VmmControlServer *self)
{
    if (!self->inst->vm_live) {
        g_dbus_method_invocation_return_error(
            inv, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
            "Cannot reset: the VM is %s.",
            vmm_state_to_string(self->inst->state));
        return TRUE;
    }
    vmm_instance_reset(self->inst);
    vmm_dbus_vmm1_complete_reset(obj, inv);
    return TRUE;
}

static void quit_after_flush(GObject *source, GAsyncResult *res, gpointer data)
{
    VmmControlServer *self = data;

    g_dbus_connection_flush_finish(G_DBUS_CONNECTION(source), res, NULL);
    vmm_instance_quit(self->inst, VMM_STATUS_OK);
}

static gboolean on_quit(VmmDbusVmm1 *obj, GDBusMethodInvocation *inv,
                        VmmControlServer *self)
{
    GDBusConnection *conn = g_dbus_method_invocation_get_connection(inv);

    vmm_dbus_vmm1_complete_quit(obj, inv);
    /* answer first, then end */
    g_dbus_connection_flush(conn, NULL, quit_after_flush, self);
    return TRUE;
}

static gboolean on_inject(VmmDbusVmm1 *obj, GDBusMethodInvocation *inv,
                          GVariant *codes, VmmControlServer *self)
{
    gsize len;
    const guint8 *bytes = g_variant_get_fixed_array(codes, &len, 1);
    int err;

    if (fail_unless_running(inv, self->inst, "type"))
        return TRUE;
    err = vmm_i8042_inject_scancodes(&self->inst->vm.machine, bytes, len);
    if (err < 0) {
        g_dbus_method_invocation_return_error(
            inv, G_DBUS_ERROR, G_DBUS_ERROR_LIMITS_EXCEEDED,
            "The keyboard buffer is full (%s); send fewer scan codes at "
            "once or wait for the guest to read them.", g_strerror(-err));
        return TRUE;
    }
    vmm_dbus_vmm1_complete_inject_scancodes(obj, inv);
    return TRUE;
}

static gboolean on_open_vnc(VmmDbusVmm1 *obj, GDBusMethodInvocation *inv,
                            GUnixFDList *in_fds, VmmControlServer *self)
{
    g_autoptr(GUnixFDList) fds = NULL;
    g_autoptr(GError) error = NULL;
    int fd, index;

    if (!self->inst->display) {
        g_dbus_method_invocation_return_error(
            inv, G_DBUS_ERROR, G_DBUS_ERROR_NOT_SUPPORTED,
            "This VM has no display: it was started with --display none.");
        return TRUE;
    }
    fd = vmm_display_open_client(self->inst->display, &error);
    if (fd < 0) {
        g_dbus_method_invocation_return_error(
            inv, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
            "Cannot connect to the VNC server: %s", error->message);
        return TRUE;
    }
    fds = g_unix_fd_list_new();
    index = g_unix_fd_list_append(fds, fd, &error);
    close(fd);
    if (index < 0) {
        g_dbus_method_invocation_return_error(
            inv, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
            "Cannot pass the VNC connection: %s", error->message);
        return TRUE;
    }
    vmm_dbus_vmm1_complete_open_vnc(obj, inv, fds, g_variant_new_handle(index));
    return TRUE;
}

static gboolean on_get_stats(VmmDbusVmm1 *obj, GDBusMethodInvocation *inv,
                             VmmControlServer *self)
{
    VmmInstance *inst = self->inst;
    GVariantBuilder times, exits, per_vcpu;
    uint64_t sums[VMM_EXIT_N] = {0};
    guint64 uptime = 0;

    g_variant_builder_init(&times, G_VARIANT_TYPE("at"));
    g_variant_builder_init(&exits, G_VARIANT_TYPE("a{st}"));
    g_variant_builder_init(&per_vcpu, G_VARIANT_TYPE("at"));
    if (inst->vm_live) {
        uptime = (guint64)(g_get_monotonic_time() - inst->boot_time_us) * 1000;
        for (uint32_t i = 0; i < inst->vm.n_cpus; i++) {
            struct vmm_vcpu *v = &inst->vm.vcpus[i];
            uint64_t total = 0;

            g_variant_builder_add(&times, "t",
                                  (guint64)vmm_vcpu_cpu_time_ns(v));
            for (int k = 0; k < VMM_EXIT_N; k++) {
                uint64_t n = __atomic_load_n(&v->exits[k], __ATOMIC_RELAXED);

                sums[k] += n;
                total += n;
            }
            g_variant_builder_add(&per_vcpu, "t", (guint64)total);
        }
    }
    for (int k = 0; k < VMM_EXIT_N; k++)
        g_variant_builder_add(&exits, "{st}", vmm_exit_kind_names[k],
                              (guint64)sums[k]);
    vmm_dbus_vmm1_complete_get_stats(obj, inv, uptime,
                                     g_variant_builder_end(&times),
                                     g_variant_builder_end(&exits),
                                     g_variant_builder_end(&per_vcpu));
    return TRUE;
}

/* org.freedesktop.DBus.Hello: the name a bus would give this peer */
static void on_bus_call(GDBusConnection *conn, const char *sender,
                        const char *path, const char *iface,
                        const char *method, GVariant *params,
                        GDBusMethodInvocation *inv, gpointer data)
{
    VmmControlServer *self = data;
    g_autofree char *name = g_strdup_printf(":1.%" G_GUINT64_FORMAT,
                                            ++self->n_hellos);

    g_dbus_method_invocation_return_value(inv, g_variant_new("(s)", name));
}

static const GDBusInterfaceVTable bus_vtable = {.method_call = on_bus_call};

static gboolean on_authorize(GDBusAuthObserver *observer, GIOStream *stream,
                             GCredentials *creds, gpointer data)
{
    /* the socket is 0600 already; the credentials check says so twice */
    return creds && g_credentials_get_unix_user(creds, NULL) == getuid();
}

static void on_closed(GDBusConnection *conn, gboolean remote_peer_vanished,
                      GError *error, VmmControlServer *self)
{
    guint id = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(conn),
                                                  "vmm-bus-object"));

    if (id)
        g_dbus_connection_unregister_object(conn, id);
    g_dbus_interface_skeleton_unexport_from_connection(
        G_DBUS_INTERFACE_SKELETON(self->skeleton), conn);
    g_signal_handlers_disconnect_by_data(conn, self);
    g_ptr_array_remove(self->connections, conn);
}

static gboolean serve(VmmControlServer *self, GDBusConnection *conn)
{
    g_autoptr(GError) error = NULL;
    guint id;

    if (!g_dbus_interface_skeleton_export(
            G_DBUS_INTERFACE_SKELETON(self->skeleton), conn, OBJECT_PATH,
            &error)) {
        g_printerr("vireo-vmm: cannot serve a control client: %s\n",
                   error->message);
        return FALSE;
    }
    id = g_dbus_connection_register_object(
        conn, BUS_PATH, self->bus_info->interfaces[0], &bus_vtable, self,
        NULL, &error);
    if (!id) {
        g_printerr("vireo-vmm: cannot serve a control client: %s\n",
                   error->message);
        g_dbus_interface_skeleton_unexport_from_connection(
            G_DBUS_INTERFACE_SKELETON(self->skeleton), conn);
        return FALSE;
    }
    g_object_set_data(G_OBJECT(conn), "vmm-bus-object", GUINT_TO_POINTER(id));
    g_ptr_array_add(self->connections, g_object_ref(conn));
    g_signal_connect(conn, "closed", G_CALLBACK(on_closed), self);
    return TRUE;
}

typedef struct {
    VmmControlServer *self;
    GCancellable *cancel;
} Handshake;

/* a peer finished (or failed) authentication */
static void on_handshake(GObject *source, GAsyncResult *res, gpointer data)
{
    Handshake *h = data;
    VmmControlServer *self = h->self;
    gboolean stopped = g_cancellable_is_cancelled(h->cancel);
    g_autoptr(GDBusConnection) conn = NULL;

    conn = g_dbus_connection_new_finish(res, NULL);
    g_object_unref(h->cancel);
    g_free(h);
    /* a refused or vanished peer, or a server that stopped: drop it */
    if (!conn || stopped)
        return;
    if (serve(self, conn))
        g_dbus_connection_start_message_processing(conn);
}

static gboolean on_incoming(GSocketService *service, GSocketConnection *sc,
                            GObject *source, VmmControlServer *self)
{
    Handshake *h = g_new0(Handshake, 1);

    h->self = self;
    h->cancel = g_object_ref(self->cancel);
    /* what GDBusServer does: authenticate, then process messages only
     * once the objects are exported */
    g_dbus_connection_new(G_IO_STREAM(sc), self->guid,
                          G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_SERVER |
                              G_DBUS_CONNECTION_FLAGS_DELAY_MESSAGE_PROCESSING,
                          self->observer, self->cancel, on_handshake, h);
    return TRUE;
}

static void control_stop(VmmControlServer *self);

/* Serves org.vireo.Vmm1 on @listen_fd (a listening Unix socket, which
 * the caller keeps and closes). */
static VmmControlServer *control_start(VmmInstance *inst, int listen_fd,
                                       GError **error)
{
    VmmControlServer *self = g_new0(VmmControlServer, 1);
    g_autoptr(GSocket) socket = NULL;
    int fd = dup(listen_fd);

    self->inst = inst;
    self->guid = g_dbus_generate_guid();
    self->cancel = g_cancellable_new();
    self->connections = g_ptr_array_new_with_free_func(g_object_unref);
    self->bus_info = g_dbus_node_info_new_for_xml(bus_xml, NULL);
    g_assert(self->bus_info);
    self->observer = g_dbus_auth_observer_new();
    g_signal_connect(self->observer, "authorize-authenticated-peer",
                     G_CALLBACK(on_authorize), self);
    self->service = g_socket_service_new();
    self->skeleton = vmm_dbus_vmm1_skeleton_new();
    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot take over the control socket: %s",
                    g_strerror(errno));
        control_stop(self);
        return NULL;
    }
    socket = g_socket_new_from_fd(fd, error);
    if (!socket) {
        close(fd);
        control_stop(self);
        return NULL;
    }
    if (!g_socket_listener_add_socket(G_SOCKET_LISTENER(self->service),
                                      socket, NULL, error)) {
        control_stop(self);
        return NULL;
    }

    vmm_dbus_vmm1_set_name(self->skeleton, inst->name);
    vmm_dbus_vmm1_set_uuid(self->skeleton, inst->uuid);
    vmm_dbus_vmm1_set_state(self->skeleton, vmm_state_to_string(inst->state));
    vmm_dbus_vmm1_set_vcpus(self->skeleton, inst->n_cpus);
    vmm_dbus_vmm1_set_memory_bytes(self->skeleton, inst->mem_size);
    vmm_dbus_vmm1_set_exit_status(self->skeleton, -1);
    g_signal_connect(self->skeleton, "handle-pause", G_CALLBACK(on_pause),
                     self);
    g_signal_connect(self->skeleton, "handle-resume", G_CALLBACK(on_resume),
                     self);
    g_signal_connect(self->skeleton, "handle-power-button",
                     G_CALLBACK(on_power_button), self);
    g_signal_connect(self->skeleton, "handle-reboot", G_CALLBACK(on_reboot),
                     self);
    g_signal_connect(self->skeleton, "handle-reset", G_CALLBACK(on_reset),
                     self);
    g_signal_connect(self->skeleton, "handle-quit", G_CALLBACK(on_quit), self);
    g_signal_connect(self->skeleton, "handle-inject-scancodes",
                     G_CALLBACK(on_inject), self);
    g_signal_connect(self->skeleton, "handle-open-vnc",
                     G_CALLBACK(on_open_vnc), self);
    g_signal_connect(self->skeleton, "handle-get-stats",
                     G_CALLBACK(on_get_stats), self);
    g_signal_connect(self->service, "incoming", G_CALLBACK(on_incoming), self);
    inst->notify = sync_state;
    inst->notify_data = self;
    g_socket_service_start(self->service);
    return self;
}

static void control_stop(VmmControlServer *self)
{
    if (self->inst->notify_data == self)
        self->inst->notify = NULL;
    g_cancellable_cancel(self->cancel);
    g_socket_service_stop(self->service);
    g_socket_listener_close(G_SOCKET_LISTENER(self->service));
    for (guint i = 0; i < self->connections->len; i++) {
        GDBusConnection *conn = self->connections->pdata[i];
        guint id = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(conn),
                                                      "vmm-bus-object"));

        g_signal_handlers_disconnect_by_data(conn, self);
        if (id)
            g_dbus_connection_unregister_object(conn, id);
        g_dbus_connection_flush_sync(conn, NULL, NULL);
        g_dbus_connection_close_sync(conn, NULL, NULL);
    }
    /* (exported nowhere when every client has gone) */
    if (g_dbus_interface_skeleton_get_connection(
            G_DBUS_INTERFACE_SKELETON(self->skeleton)))
        g_dbus_interface_skeleton_unexport(
            G_DBUS_INTERFACE_SKELETON(self->skeleton));
    g_ptr_array_unref(self->connections);
    g_dbus_node_info_unref(self->bus_info);
    g_object_unref(self->skeleton);
    g_object_unref(self->service);
    g_object_unref(self->observer);
    g_object_unref(self->cancel);
    g_free(self->guid);
    g_free(self);
}

__attribute__((visibility("default")))
const struct vmm_control_module vmm_control_module = {
    .header = {.version = PACKAGE_VERSION,
               .size = sizeof(struct vmm_control_module)},
    .start = control_start,
    .stop = control_stop,
};
