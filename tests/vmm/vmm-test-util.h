/* vmm-test-util.h: running vireo-vmm from the vmm tests. */
#pragma once

#include <gio/gio.h>

typedef struct {
    char *out;      /* the guest's serial output (stdout) */
    char *err;      /* vireo-vmm's messages */
    int status;     /* exit status, or -1 when it did not exit */
    gboolean timed_out;
} VmmRun;

char *vmm_test_binary(void);
char *vmm_test_guest(const char *name);
/* Runs vireo-vmm with @args (NULL-terminated); kills it (SIGKILL) after
 * @timeout_s seconds. */
VmmRun *vmm_run(const char *const *args, guint timeout_s);
/* The same, through the command @wrapper (NULL-terminated, e.g. setpriv
 * ... or unshare ...), which ends with vireo-vmm's path as its argument. */
VmmRun *vmm_run_wrapped(const char *const *wrapper, const char *const *args,
                        guint timeout_s);
VmmRun *vmm_run_guest(const char *guest, const char *cmdline, guint cpus,
                      guint timeout_s);
void vmm_run_free(VmmRun *run);
/* TRUE if /dev/kvm can be used; otherwise skips the test and says why. */
gboolean vmm_test_have_kvm(void);

/* A child setup function: the child gets SIGKILL when the test dies, so
 * that no VMM or QEMU outlives a failed test. */
void vmm_test_die_with_parent(gpointer data);
/* Connects to the control socket at @path of the VMM @proc as soon as
 * it accepts connections (the file appears at bind(), a moment before
 * listen(), so existing is not enough).  Fails when @proc exits first or
 * after @timeout_s seconds. */
GDBusConnection *vmm_test_connect_control(const char *path, GSubprocess *proc,
                                          guint timeout_s, GError **error);

/* A running VMM with a control socket, for the control tests. */
typedef struct {
    GSubprocess *proc;
    char *dir;
    char *control_path;
    char *serial_path;
    char *err_path; /* vireo-vmm's messages (stderr) */
    GDBusConnection *conn;
} VmmLive;

/* Starts @guest (a test guest's name, or a kernel's path) with --memory
 * 32M, @cpus vCPUs and @cmdline, the serial port in a file and a control
 * socket, plus @extra_args (NULL or NULL-terminated; a later --memory
 * wins); returns once the control connection is up. */
VmmLive *vmm_live_start(const char *guest, const char *cmdline, guint cpus,
                        const char *const *extra_args, GError **error);
/* The same, without connecting: returns once vireo-vmm was started
 * (live->conn is NULL). */
VmmLive *vmm_live_spawn(const char *guest, const char *cmdline, guint cpus,
                        const char *const *extra_args, GError **error);
/* serial output so far (the file back-end) */
char *vmm_live_serial(VmmLive *live);
/* vireo-vmm's messages so far */
char *vmm_live_stderr(VmmLive *live);
/* waits for the serial output to contain @needle; FALSE (with both
 * outputs in the test log) if it does not within @timeout_s or the VMM
 * ends first */
gboolean vmm_live_wait_serial(VmmLive *live, const char *needle,
                              guint timeout_s);
/* the same, until @done says the serial output so far will do; @what
 * names it in the log */
typedef gboolean (*VmmSerialDone)(const char *text, gpointer data);
gboolean vmm_live_wait_serial_until(VmmLive *live, VmmSerialDone done,
                                    gpointer data, const char *what,
                                    guint timeout_s);
/* waits for the process to exit; returns its status or -1 (killed) */
int vmm_live_wait_exit(VmmLive *live, guint timeout_s);
void vmm_live_free(VmmLive *live);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmmRun, vmm_run_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmmLive, vmm_live_free)
