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
VmmRun *vmm_run_guest(const char *guest, const char *cmdline, guint cpus,
                      guint timeout_s);
void vmm_run_free(VmmRun *run);
/* TRUE if /dev/kvm can be used; otherwise skips the test and says why. */
gboolean vmm_test_have_kvm(void);

/* A running VMM with a control socket, for the control tests. */
typedef struct {
    GSubprocess *proc;
    char *dir;
    char *control_path;
    char *serial_path;
    GDBusConnection *conn;
} VmmLive;

VmmLive *vmm_live_start(const char *guest, const char *cmdline, guint cpus,
                        GError **error);
/* serial output so far (the file back-end) */
char *vmm_live_serial(VmmLive *live);
/* waits for the serial output to contain @needle */
gboolean vmm_live_wait_serial(VmmLive *live, const char *needle,
                              guint timeout_s);
/* waits for the process to exit; returns its status or -1 (killed) */
int vmm_live_wait_exit(VmmLive *live, guint timeout_s);
void vmm_live_free(VmmLive *live);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmmRun, vmm_run_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmmLive, vmm_live_free)
