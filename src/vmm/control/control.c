/* control.c: the org.vireo.Vmm1 server, the control module
 * (vireo-vmm-control.so, see module.h).
 *
 * The executable listens on the --control socket (0600) before the VM
 * boots and loads this module once the vCPUs run; a socket service
 * takes the listening socket over and makes every peer a D-Bus
 * connection, as GDBusServer would (only peers with our own uid are let
 * in); the generated skeleton is exported on every connection at
 * /org/vireo/Vmm1.
 *
 * The server runs on a thread of its own ("vmm-control"), with its own
 * GLib main context, as the executable's main loop is not GLib's.  The
 * VM is only ever read or changed on the main loop: each method hands
 * its work there through vmm_loop_call and answers with what came back;
 * state changes come the other way, as snapshots posted to this
 * thread's context, in order.
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
#include <string.h>
#include <time.h>
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
    VmmInstance *inst; /* on the main loop only */
    VmmLoop *loop;
    GMainContext *ctx;
    GMainLoop *gloop;
    GThread *thread;
    int listen_fd;
    /* what the main thread knew at start (these never change) */
    char *name, *uuid;
    uint32_t n_cpus;
    uint64_t mem_size;
    char *initial_state;
    /* setup, done on the thread: its outcome for control_start */
    GMutex lock;
    GCond cond;
    gboolean ready;
    GError *setup_error;

    char *guid;
    GSocketService *service;
    GCancellable *cancel; /* handshakes in progress, at stop */
    GDBusAuthObserver *observer;
    VmmDbusVmm1 *skeleton;
    GPtrArray *connections;
    GDBusNodeInfo *bus_info;
    guint64 n_hellos;
};

/* the VM's state as the main loop saw it, for the control thread */
typedef struct {
    VmmControlServer *self;
    VmmState state;
    guint64 resets;
    int exit_status;
} StateSnapshot;

/* control thread */
static gboolean emit_state(gpointer data)
{
    StateSnapshot *snap = data;
    VmmControlServer *self = snap->self;
    const char *state = vmm_state_to_string(snap->state);

    if (!self->skeleton) /* setup failed, or the server is going */
        return G_SOURCE_REMOVE;
    vmm_dbus_vmm1_set_state(self->skeleton, state);
    vmm_dbus_vmm1_set_resets(self->skeleton, snap->resets);
    if (snap->state == VMM_STATE_STOPPED)
        vmm_dbus_vmm1_set_exit_status(self->skeleton, snap->exit_status);
    /* the skeleton sends PropertiesChanged from an idle: send it now, so
     * that peers see the properties before the signal, and a VM that is
     * about to end still tells them */
    g_dbus_interface_skeleton_flush(G_DBUS_INTERFACE_SKELETON(self->skeleton));
    vmm_dbus_vmm1_emit_state_changed(self->skeleton, state);
    return G_SOURCE_REMOVE;
}

/* main loop: inst->notify */
static void sync_state(VmmInstance *inst, void *data)
{
    VmmControlServer *self = data;
    StateSnapshot *snap = g_new0(StateSnapshot, 1);

    snap->self = self;
    snap->state = inst->state;
    snap->resets = inst->resets;
    snap->exit_status = inst->exit_status;
    g_main_context_invoke_full(self->ctx, G_PRIORITY_DEFAULT, emit_state, snap,
                               g_free);
}

/* One method's work on the main loop, and what it found. */
typedef enum {
    OP_PAUSE,
    OP_RESUME,
    OP_POWER_BUTTON,
    OP_REBOOT,
    OP_RESET,
    OP_INJECT,
    OP_OPEN_VNC,
    OP_STATS,
} OpKind;

typedef struct {
    VmmControlServer *self;
    OpKind kind;
    const guint8 *bytes; /* OP_INJECT */
    gsize len;
    /* out: error (a GDBusError) and its message, or the results */
    int error;
    char message[600];
    int fd;
    guint64 uptime_ns;
    uint32_t n_cpus;
    guint64 cpu_ns[256], vcpu_exits[256], exits[VMM_EXIT_N];
} Op;

static void op_fail(Op *op, int error, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void op_fail(Op *op, int error, const char *fmt, ...)
{
    va_list ap;

    op->error = error;
    va_start(ap, fmt);
    g_vsnprintf(op->message, sizeof(op->message), fmt, ap);
    va_end(ap);
}

static gboolean fail_unless_running(Op *op, VmmInstance *inst,
                                    const char *what)
{
    if (inst->state == VMM_STATE_RUNNING)
        return FALSE;
    op_fail(op, G_DBUS_ERROR_FAILED, "Cannot %s: the VM is %s, not running.",
            what, vmm_state_to_string(inst->state));
    return TRUE;
}

static void op_stats(Op *op, VmmInstance *inst)
{
    struct timespec now;

    if (!inst->vm_live)
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    op->uptime_ns = ((guint64)now.tv_sec * 1000000 + now.tv_nsec / 1000 -
                     (guint64)inst->boot_time_us) * 1000;
    op->n_cpus = MIN(inst->vm.n_cpus, G_N_ELEMENTS(op->cpu_ns));
    for (uint32_t i = 0; i < op->n_cpus; i++) {
        struct vmm_vcpu *v = &inst->vm.vcpus[i];

        op->cpu_ns[i] = (guint64)vmm_vcpu_cpu_time_ns(v);
        for (int k = 0; k < VMM_EXIT_N; k++) {
            uint64_t n = __atomic_load_n(&v->exits[k], __ATOMIC_RELAXED);

            op->exits[k] += n;
            op->vcpu_exits[i] += n;
        }
    }
}

/* main loop */
static void run_op(void *data)
{
    Op *op = data;
    VmmInstance *inst = op->self->inst;
    VmmError err = {{0}};
    int e;

    op->fd = -1;
    switch (op->kind) {
    case OP_PAUSE:
        if (!fail_unless_running(op, inst, "pause"))
            vmm_instance_pause(inst);
        break;
    case OP_RESUME:
        if (inst->state != VMM_STATE_PAUSED)
            op_fail(op, G_DBUS_ERROR_FAILED,
                    "Cannot resume: the VM is %s, not paused.",
                    vmm_state_to_string(inst->state));
        else
            vmm_instance_resume(inst);
        break;
    case OP_POWER_BUTTON:
        if (!fail_unless_running(op, inst, "press the power button") &&
            !vmm_instance_power_button(inst))
            op_fail(op, G_DBUS_ERROR_FAILED,
                    "This machine has no ACPI power button.");
        break;
    case OP_REBOOT:
        if (!fail_unless_running(op, inst, "reboot") &&
            !vmm_instance_reboot(inst))
            op_fail(op, G_DBUS_ERROR_FAILED,
                    "This machine has no ACPI power button to ask its guest "
                    "to reboot; use Reset instead.");
        break;
    case OP_RESET:
        if (!inst->vm_live)
            op_fail(op, G_DBUS_ERROR_FAILED, "Cannot reset: the VM is %s.",
                    vmm_state_to_string(inst->state));
        else
            vmm_instance_reset(inst);
        break;
    case OP_INJECT:
        if (fail_unless_running(op, inst, "type"))
            break;
        e = vmm_i8042_inject_scancodes(&inst->vm.machine, op->bytes, op->len);
        if (e < 0)
            op_fail(op, G_DBUS_ERROR_LIMITS_EXCEEDED,
                    "The keyboard buffer is full (%s); send fewer scan codes "
                    "at once or wait for the guest to read them.",
                    g_strerror(-e));
        break;
    case OP_OPEN_VNC:
        if (!inst->display) {
            op_fail(op, G_DBUS_ERROR_NOT_SUPPORTED,
                    "This VM has no display: it was started with --display "
                    "none.");
            break;
        }
        op->fd = vmm_display_open_client(inst->display, &err);
        if (op->fd < 0)
            op_fail(op, G_DBUS_ERROR_FAILED,
                    "Cannot connect to the VNC server: %s", err.message);
        break;
    case OP_STATS:
        op_stats(op, inst);
        break;
    }
}

/* control thread: runs @op on the main loop; TRUE if it went through,
 * else the invocation has been answered with the error */
static gboolean call_main(VmmControlServer *self, Op *op,
                          GDBusMethodInvocation *inv)
{
    op->self = self;
    op->error = -1;
    if (!vmm_loop_call(self->loop, run_op, op)) {
        g_dbus_method_invocation_return_error(
            inv, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
            "The VM is ending; it takes no more requests.");
        return FALSE;
    }
    if (op->error >= 0) {
        if (op->fd >= 0)
            close(op->fd);
        g_dbus_method_invocation_return_error_literal(inv, G_DBUS_ERROR,
                                                      op->error, op->message);
        return FALSE;
    }
    return TRUE;
}

static gboolean on_pause(VmmDbusVmm1 *obj, GDBusMethodInvocation *inv,
                         VmmControlServer *self)
{
    Op op = {.kind = OP_PAUSE};

    if (call_main(self, &op, inv))
        vmm_dbus_vmm1_complete_pause(obj, inv);
    return TRUE;
}

static gboolean on_resume(VmmDbusVmm1 *obj, GDBusMethodInvocation *inv,
                          VmmControlServer *self)
{
    Op op = {.kind = OP_RESUME};

    if (call_main(self, &op, inv))
        vmm_dbus_vmm1_complete_resume(obj, inv);
    return TRUE;
}

static gboolean on_power_button(VmmDbusVmm1 *obj, GDBusMethodInvocation *inv,
                                VmmControlServer *self)
{
    Op op = {.kind = OP_POWER_BUTTON};

    if (call_main(self, &op, inv))
        vmm_dbus_vmm1_complete_power_button(obj, inv);
    return TRUE;
}

static gboolean on_reboot(VmmDbusVmm1 *obj, GDBusMethodInvocation *inv,
                          VmmControlServer *self)
{
    Op op = {.kind = OP_REBOOT};

    if (call_main(self, &op, inv))
        vmm_dbus_vmm1_complete_reboot(obj, inv);
    return TRUE;
}

static gboolean on_reset(VmmDbusVmm1 *obj, GDBusMethodInvocation *inv,
                         VmmControlServer *self)
{
    Op op = {.kind = OP_RESET};

    if (call_main(self, &op, inv))
        vmm_dbus_vmm1_complete_reset(obj, inv);
    return TRUE;
}

/* main loop */
static void quit_main(void *data)
{
    VmmControlServer *self = data;

    vmm_instance_quit(self->inst, VMM_STATUS_OK);
}

static void quit_after_flush(GObject *source, GAsyncResult *res, gpointer data)
{
    VmmControlServer *self = data;

    g_dbus_connection_flush_finish(G_DBUS_CONNECTION(source), res, NULL);
    vmm_loop_post(self->loop, quit_main, self, NULL);
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
    Op op = {.kind = OP_INJECT};

    op.bytes = g_variant_get_fixed_array(codes, &op.len, 1);
    if (call_main(self, &op, inv))
        vmm_dbus_vmm1_complete_inject_scancodes(obj, inv);
    return TRUE;
}

static gboolean on_open_vnc(VmmDbusVmm1 *obj, GDBusMethodInvocation *inv,
                            GUnixFDList *in_fds, VmmControlServer *self)
{
    g_autoptr(GUnixFDList) fds = NULL;
    g_autoptr(GError) error = NULL;
    Op op = {.kind = OP_OPEN_VNC};
    int index;

    if (!call_main(self, &op, inv))
        return TRUE;
    fds = g_unix_fd_list_new();
    index = g_unix_fd_list_append(fds, op.fd, &error);
    close(op.fd);
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
    g_autofree Op *op = g_new0(Op, 1); /* 4 KiB: not on this stack */
    GVariantBuilder times, exits, per_vcpu;

    op->kind = OP_STATS;
    if (!call_main(self, op, inv))
        return TRUE;
    g_variant_builder_init(&times, G_VARIANT_TYPE("at"));
    g_variant_builder_init(&exits, G_VARIANT_TYPE("a{st}"));
    g_variant_builder_init(&per_vcpu, G_VARIANT_TYPE("at"));
    for (uint32_t i = 0; i < op->n_cpus; i++) {
        g_variant_builder_add(&times, "t", op->cpu_ns[i]);
        g_variant_builder_add(&per_vcpu, "t", op->vcpu_exits[i]);
    }
    for (int k = 0; k < VMM_EXIT_N; k++)
        g_variant_builder_add(&exits, "{st}", vmm_exit_kind_names[k],
                              op->exits[k]);
    vmm_dbus_vmm1_complete_get_stats(obj, inv, op->uptime_ns,
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

/* control thread: the server's objects, made here so that they belong
 * to this thread's context; FALSE with setup_error */
static gboolean setup(VmmControlServer *self)
{
    g_autoptr(GSocket) socket = NULL;
    int fd = dup(self->listen_fd);

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
        g_set_error(&self->setup_error, G_IO_ERROR,
                    g_io_error_from_errno(errno),
                    "cannot take over the control socket: %s",
                    g_strerror(errno));
        return FALSE;
    }
    socket = g_socket_new_from_fd(fd, &self->setup_error);
    if (!socket) {
        close(fd);
        return FALSE;
    }
    if (!g_socket_listener_add_socket(G_SOCKET_LISTENER(self->service),
                                      socket, NULL, &self->setup_error))
        return FALSE;

    vmm_dbus_vmm1_set_name(self->skeleton, self->name);
    vmm_dbus_vmm1_set_uuid(self->skeleton, self->uuid);
    vmm_dbus_vmm1_set_state(self->skeleton, self->initial_state);
    vmm_dbus_vmm1_set_vcpus(self->skeleton, self->n_cpus);
    vmm_dbus_vmm1_set_memory_bytes(self->skeleton, self->mem_size);
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
    g_socket_service_start(self->service);
    return TRUE;
}

/* How long the peers get, as the server stops, to take what they are
 * still owed (the last StateChanged above all).  A peer that reads
 * nothing would otherwise keep the VMM from ever ending: its unread
 * answers fill the socket, and a flush or close of its connection waits
 * for them to be written. */
#define FAREWELL_MS 1000

/* the flushes and closes still out; their callbacks share it, as they
 * may come after teardown gave up on them */
typedef struct {
    guint pending;
} Farewell;

static void on_farewell_closed(GObject *source, GAsyncResult *res,
                               gpointer data)
{
    Farewell *f = data;

    g_dbus_connection_close_finish(G_DBUS_CONNECTION(source), res, NULL);
    f->pending--;
    g_rc_box_release(f);
}

static void on_farewell_flushed(GObject *source, GAsyncResult *res,
                                gpointer data)
{
    GDBusConnection *conn = G_DBUS_CONNECTION(source);

    g_dbus_connection_flush_finish(conn, res, NULL);
    g_dbus_connection_close(conn, NULL, on_farewell_closed, data);
}

static gboolean on_farewell_timeout(gpointer data)
{
    gboolean *expired = data;

    *expired = TRUE;
    return G_SOURCE_REMOVE;
}

/* control thread: every peer goes, and the objects with them */
static void teardown(VmmControlServer *self)
{
    Farewell *f = g_rc_box_new0(Farewell);
    GSource *timer = g_timeout_source_new(FAREWELL_MS);
    gboolean expired = FALSE;

    if (self->cancel)
        g_cancellable_cancel(self->cancel);
    if (self->service) {
        g_socket_service_stop(self->service);
        g_socket_listener_close(G_SOCKET_LISTENER(self->service));
    }
    /* each peer gets what was sent to it, then the end of its
     * connection, all at once; those that do not take it within
     * FAREWELL_MS are left to the end of the process */
    for (guint i = 0; self->connections && i < self->connections->len; i++) {
        GDBusConnection *conn = self->connections->pdata[i];
        guint id = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(conn),
                                                      "vmm-bus-object"));

        g_signal_handlers_disconnect_by_data(conn, self);
        if (id)
            g_dbus_connection_unregister_object(conn, id);
        f->pending++;
        g_dbus_connection_flush(conn, NULL, on_farewell_flushed,
                                g_rc_box_acquire(f));
    }
    g_source_set_callback(timer, on_farewell_timeout, &expired, NULL);
    g_source_attach(timer, self->ctx);
    while (f->pending && !expired)
        g_main_context_iteration(self->ctx, TRUE);
    g_source_destroy(timer);
    g_source_unref(timer);
    g_rc_box_release(f);
    /* (exported nowhere when every client has gone) */
    if (self->skeleton && g_dbus_interface_skeleton_get_connection(
                              G_DBUS_INTERFACE_SKELETON(self->skeleton)))
        g_dbus_interface_skeleton_unexport(
            G_DBUS_INTERFACE_SKELETON(self->skeleton));
    g_clear_pointer(&self->connections, g_ptr_array_unref);
    g_clear_pointer(&self->bus_info, g_dbus_node_info_unref);
    g_clear_object(&self->skeleton);
    g_clear_object(&self->service);
    g_clear_object(&self->observer);
    g_clear_object(&self->cancel);
    g_clear_pointer(&self->guid, g_free);
}

static gpointer control_main(gpointer data)
{
    VmmControlServer *self = data;
    gboolean ok;

    g_main_context_push_thread_default(self->ctx);
    ok = setup(self);
    g_mutex_lock(&self->lock);
    self->ready = TRUE;
    g_cond_signal(&self->cond);
    g_mutex_unlock(&self->lock);
    if (ok)
        g_main_loop_run(self->gloop);
    teardown(self);
    /* what is left (cancelled handshakes) ends too */
    for (int i = 0; i < 100 && g_main_context_iteration(self->ctx, FALSE); i++)
        ;
    g_main_context_pop_thread_default(self->ctx);
    return NULL;
}

static gboolean quit_thread(gpointer data)
{
    VmmControlServer *self = data;

    g_main_loop_quit(self->gloop);
    return G_SOURCE_REMOVE;
}

static void free_server(VmmControlServer *self)
{
    g_clear_pointer(&self->gloop, g_main_loop_unref);
    g_clear_pointer(&self->ctx, g_main_context_unref);
    g_clear_error(&self->setup_error);
    g_mutex_clear(&self->lock);
    g_cond_clear(&self->cond);
    g_free(self->name);
    g_free(self->uuid);
    g_free(self->initial_state);
    g_free(self);
}

/* Main loop: serves org.vireo.Vmm1 on @listen_fd (a listening Unix
 * socket, which the caller keeps and closes) from a thread of its own. */
static VmmControlServer *control_start(VmmInstance *inst, int listen_fd,
                                       VmmError *err)
{
    VmmControlServer *self = g_new0(VmmControlServer, 1);

    self->inst = inst;
    self->loop = inst->loop;
    self->listen_fd = listen_fd;
    self->name = g_strdup(inst->name);
    self->uuid = g_strdup(inst->uuid);
    self->n_cpus = inst->n_cpus;
    self->mem_size = inst->mem_size;
    self->initial_state = g_strdup(vmm_state_to_string(inst->state));
    self->ctx = g_main_context_new();
    self->gloop = g_main_loop_new(self->ctx, FALSE);
    g_mutex_init(&self->lock);
    g_cond_init(&self->cond);
    self->thread = g_thread_new("vmm-control", control_main, self);
    g_mutex_lock(&self->lock);
    while (!self->ready)
        g_cond_wait(&self->cond, &self->lock);
    g_mutex_unlock(&self->lock);
    if (self->setup_error) {
        vmm_error_set(err, "%s", self->setup_error->message);
        g_thread_join(self->thread);
        free_server(self);
        return NULL;
    }
    inst->notify = sync_state;
    inst->notify_data = self;
    return self;
}

/* Main thread, once its loop has closed (vmm_loop_call fails from now
 * on, so the control thread cannot wait for it). */
static void control_stop(VmmControlServer *self)
{
    if (self->inst->notify_data == self)
        self->inst->notify = NULL;
    /* after the snapshots already posted, so peers see the last state */
    g_main_context_invoke(self->ctx, quit_thread, self);
    g_thread_join(self->thread);
    free_server(self);
}

__attribute__((visibility("default")))
const struct vmm_control_module vmm_control_module = {
    .header = {.version = PACKAGE_VERSION,
               .size = sizeof(struct vmm_control_module)},
    .start = control_start,
    .stop = control_stop,
};
