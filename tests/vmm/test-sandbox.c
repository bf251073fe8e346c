/* test-sandbox.c: vireo-vmm's seccomp filters.
 *
 * The filters themselves, in forked children: each kind of thread keeps
 * the calls its work needs and dies with SIGSYS, naming the call on
 * stderr, at one it does not (a process, a program, a network socket, a
 * non-KVM ioctl on a vCPU, executable memory), and at once at a call of
 * another architecture.  The programs built in at build time are what
 * libseccomp makes of sandbox-rules.c for the process, and what the
 * kernel has once a thread enters its role.  Then a running VMM with a
 * display, VNC clients (on its socket and through OpenVnc) and a control
 * connection, before and after a Reboot: every one of its threads is
 * under a filter, with no_new_privs; --no-seccomp turns them all off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "sandbox-rules.h"
#include "sandbox.h"
#include "vmm-test-util.h"

#define TIMEOUT 60

/* ---- the filters, in a child ---- */

typedef void (*Action)(void);

typedef struct {
    int status;
    char *err;
} Child;

static void *thread_main(void *data)
{
    return data;
}

/* the display and the main loop start threads, and they inherit */
static void start_thread(void)
{
    pthread_t t;

    if (pthread_create(&t, NULL, thread_main, NULL) ||
        pthread_join(t, NULL))
        _exit(3);
}

/* Runs @action in a child under @role's filter; its stderr is kept. */
static Child run_child(enum vmm_sandbox_role role, Action action)
{
    Child c = {0};
    GString *err = g_string_new(NULL);
    int pipefd[2];
    pid_t pid;
    char buf[512];
    ssize_t n;

    g_assert_cmpint(pipe(pipefd), ==, 0);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        dup2(pipefd[1], STDERR_FILENO);
        close(pipefd[0]);
        /* vireo-vmm has started threads before any filter: glibc's
         * first pthread_create installs signal handlers */
        start_thread();
        if (vmm_sandbox_init(true) < 0)
            _exit(100);
        vmm_sandbox_enter(role);
        action();
        _exit(0);
    }
    close(pipefd[1]);
    while ((n = read(pipefd[0], buf, sizeof(buf))) > 0)
        g_string_append_len(err, buf, n);
    close(pipefd[0]);
    g_assert_cmpint(waitpid(pid, &c.status, 0), ==, pid);
    c.err = g_string_free(err, FALSE);
    return c;
}

/* @action kills the child with SIGSYS, and stderr names @call (unless
 * NULL: glibc blocks every signal while it starts a thread, and the
 * kernel then kills without our handler) */
static void assert_killed(enum vmm_sandbox_role role, Action action,
                          const char *call)
{
    Child c = run_child(role, action);
    g_autofree char *want = g_strdup_printf("made a forbidden system call, "
                                            "%s (", call ? call : "");

    if (!WIFSIGNALED(c.status) || WTERMSIG(c.status) != SIGSYS)
        g_error("%s thread: %s was not stopped (status 0x%x): %s",
                vmm_sandbox_role_name(role), call ? call : "pthread_create",
                c.status, c.err);
    if (call && (!strstr(c.err, want) ||
                 !strstr(c.err, "vireo-vmm: seccomp: ")))
        g_error("%s thread: no message naming %s: \"%s\"",
                vmm_sandbox_role_name(role), call, c.err);
    g_free(c.err);
}

/* @action runs to its end */
static void assert_allowed(enum vmm_sandbox_role role, Action action)
{
    Child c = run_child(role, action);

    if (!WIFEXITED(c.status) || WEXITSTATUS(c.status) != 0)
        g_error("%s thread: status 0x%x: %s", vmm_sandbox_role_name(role),
                c.status, c.err);
    g_assert_cmpstr(c.err, ==, "");
    g_free(c.err);
}

static void do_execve(void)
{
    char *const argv[] = {"/bin/true", NULL};

    execve(argv[0], argv, environ);
}

/* fork() as glibc makes it: clone without CLONE_THREAD */
static void do_fork(void)
{
    if (syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0) == 0)
        _exit(0);
}

static void do_inet_socket(void)
{
    socket(AF_INET, SOCK_STREAM, 0);
}

static void do_tty_ioctl(void)
{
    struct termios t;

    ioctl(STDIN_FILENO, TCGETS, &t);
}

static void do_exec_memory(void)
{
    mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1,
         0);
}

static void do_open_create(void)
{
    open("/tmp/vireo-sandbox-must-not-exist", O_WRONLY | O_CREAT, 0600);
}

/* vCPU and display threads: opening files fails, and that is all */
static void open_fails(void)
{
    if (open("/proc/self/status", O_RDONLY) != -1 || errno != EACCES ||
        open("/tmp/vireo-sandbox-must-not-exist", O_WRONLY | O_CREAT,
             0600) != -1 || errno != EACCES)
        _exit(3);
}

static void do_connect(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = "/dev/log"};
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

    connect(fd, (struct sockaddr *)&sa, sizeof(sa));
}

static void do_ptrace(void)
{
    syscall(SYS_ptrace, 0, 0, 0, 0);
}

/* what a vCPU does: KVM ioctls (on no VM here: EBADF), the serial port,
 * malloc, locks, the kick */
static void vcpu_work(void)
{
    struct kvm_regs regs;
    g_autofree char *p = g_malloc(1 << 20);

    if (ioctl(-1, KVM_RUN, 0) != -1 || errno != EBADF ||
        ioctl(-1, KVM_GET_REGS, &regs) != -1 || errno != EBADF)
        _exit(3);
    if (write(STDOUT_FILENO, "", 0) < 0)
        _exit(4);
    memset(p, 1, 1 << 20);
    if (syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), 0) < 0)
        _exit(5);
}

static void *thread_execs(void *data)
{
    do_execve();
    return data;
}

static void thread_execve(void)
{
    pthread_t t;

    if (pthread_create(&t, NULL, thread_execs, NULL) == 0)
        pthread_join(t, NULL);
}

/* the main loop: reads files, listens on Unix sockets */
static void main_work(void)
{
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0 || s < 0)
        _exit(3);
    close(fd);
    close(s);
    start_thread();
}

/* what each kind of thread may do, or dies of (call NULL: no message,
 * see assert_killed) */
static const struct {
    enum vmm_sandbox_role role;
    Action action;
    const char *call;
    gboolean allowed;
} cases[] = {
    {VMM_SANDBOX_VCPU, vcpu_work, NULL, TRUE},
    {VMM_SANDBOX_VCPU, do_execve, "execve", FALSE},
    {VMM_SANDBOX_VCPU, do_fork, "clone", FALSE},
    {VMM_SANDBOX_VCPU, start_thread, NULL, FALSE},
    {VMM_SANDBOX_VCPU, do_inet_socket, "socket", FALSE},
    {VMM_SANDBOX_VCPU, do_tty_ioctl, "ioctl", FALSE},
    {VMM_SANDBOX_VCPU, do_exec_memory, "mmap", FALSE},
    {VMM_SANDBOX_VCPU, open_fails, NULL, TRUE},
    {VMM_SANDBOX_VCPU, do_ptrace, "ptrace", FALSE},
    {VMM_SANDBOX_DISPLAY, start_thread, NULL, TRUE},
    {VMM_SANDBOX_DISPLAY, do_execve, "execve", FALSE},
    {VMM_SANDBOX_DISPLAY, thread_execve, "execve", FALSE},
    {VMM_SANDBOX_DISPLAY, do_fork, "clone", FALSE},
    {VMM_SANDBOX_DISPLAY, do_inet_socket, "socket", FALSE},
    {VMM_SANDBOX_DISPLAY, do_tty_ioctl, "ioctl", FALSE},
    {VMM_SANDBOX_DISPLAY, do_exec_memory, "mmap", FALSE},
    {VMM_SANDBOX_DISPLAY, open_fails, NULL, TRUE},
    {VMM_SANDBOX_MAIN, main_work, NULL, TRUE},
    {VMM_SANDBOX_MAIN, do_execve, "execve", FALSE},
    {VMM_SANDBOX_MAIN, thread_execve, "execve", FALSE},
    {VMM_SANDBOX_MAIN, do_fork, "clone", FALSE},
    {VMM_SANDBOX_MAIN, do_inet_socket, "socket", FALSE},
    {VMM_SANDBOX_MAIN, do_tty_ioctl, "ioctl", FALSE},
    {VMM_SANDBOX_MAIN, do_open_create, "openat", FALSE},
    {VMM_SANDBOX_MAIN, do_connect, "connect", FALSE},
    {VMM_SANDBOX_MAIN, do_ptrace, "ptrace", FALSE},
};

static void test_filter(gconstpointer data)
{
    enum vmm_sandbox_role role = GPOINTER_TO_INT(data);

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        if (cases[i].role != role)
            continue;
        if (cases[i].allowed)
            assert_allowed(role, cases[i].action);
        else
            assert_killed(role, cases[i].action, cases[i].call);
    }
}

/* the message says which thread */
static void test_message(void)
{
    Child c = run_child(VMM_SANDBOX_VCPU, do_execve);

    g_assert_true(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGSYS);
    g_assert_nonnull(strstr(c.err, "vireo-vmm: seccomp: the vCPU thread"));
    g_assert_nonnull(strstr(c.err, "execve (59)"));
    g_assert_nonnull(strstr(c.err, "--no-seccomp"));
    g_free(c.err);
    c = run_child(VMM_SANDBOX_DISPLAY, thread_execve);
    g_assert_nonnull(strstr(c.err, "a thread started by another"));
    g_free(c.err);
}

static int own_filters(void);

/* ---- another architecture ---- */

#if defined(__x86_64__)
/* getpid as x32 (the x32 bit on the native number) */
static void do_x32_getpid(void)
{
    syscall(0x40000000 | SYS_getpid);
}

/* i386's number 20 is getpid; x86_64's 20 is writev, which every
 * filter allows: only the architecture check stops it */
static long int80_getpid(void)
{
    long ret;

    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
    return ret;
}

static void do_i386_getpid(void)
{
    int80_getpid();
}

static gboolean have_ia32(void)
{
    int status;
    pid_t pid = fork();

    g_assert_cmpint(pid, >=, 0);
    if (pid == 0)
        _exit(int80_getpid() == getpid() ? 0 : 1);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
#endif

/* @action ends the process at once (SECCOMP_RET_KILL_PROCESS): a signal
 * death without the trap handler's message */
static void assert_killed_at_once(enum vmm_sandbox_role role, Action action)
{
    Child c = run_child(role, action);

    if (!WIFSIGNALED(c.status) || WTERMSIG(c.status) != SIGSYS)
        g_error("%s thread: a foreign call was not stopped (status 0x%x): "
                "%s", vmm_sandbox_role_name(role), c.status, c.err);
    g_assert_cmpstr(c.err, ==, "");
    g_free(c.err);
}

static void test_foreign_arch(void)
{
#if defined(__x86_64__)
    gboolean ia32 = have_ia32();

    for (int role = 0; role < VMM_SANDBOX_N_ROLES; role++) {
        assert_killed_at_once(role, do_x32_getpid);
        if (ia32)
            assert_killed_at_once(role, do_i386_getpid);
    }
    if (!ia32)
        g_test_message("no IA-32 emulation here: int 0x80 not tried");
#else
    g_test_skip("x86_64 only");
#endif
}

/* ---- the programs built in ---- */

typedef struct {
    pid_t pid;
    int hold; /* the child waits on it */
    struct sock_filter *insns[VMM_SANDBOX_N_ROLES];
    unsigned short len[VMM_SANDBOX_N_ROLES];
} Programs;

/* from the child @pid, which says how it ended if it cannot */
static void read_all(pid_t pid, int fd, void *buf, size_t len)
{
    for (size_t at = 0; at < len;) {
        ssize_t n = read(fd, (char *)buf + at, len - at);
        int status;

        if (n <= 0) {
            g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
            g_error("the child ended early (status 0x%x)", status);
        }
        at += (size_t)n;
    }
}

/* A child that readies the sandbox, hands back the program of every
 * role, enters @role and waits, stopped (traced by us); none of its
 * calls under the filter depends on the process id put in. */
static Programs start_programs_child(enum vmm_sandbox_role role)
{
    Programs p = {0};
    int out[2], hold[2], status;
    char entered;

    g_assert_cmpint(pipe(out), ==, 0);
    g_assert_cmpint(pipe(hold), ==, 0);
    p.pid = fork();
    g_assert_cmpint(p.pid, >=, 0);
    if (p.pid == 0) {
        char never;

        close(out[0]);
        close(hold[1]);
        /* not left waiting should the test fail */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
            ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0 ||
            vmm_sandbox_init(true) < 0)
            _exit(100);
        for (int r = 0; r < VMM_SANDBOX_N_ROLES; r++) {
            const struct sock_fprog *prog = vmm_sandbox_program(r);

            if (write(out[1], &prog->len, sizeof(prog->len)) < 0 ||
                write(out[1], prog->filter,
                      prog->len * sizeof(struct sock_filter)) < 0)
                _exit(101);
        }
        vmm_sandbox_enter(role);
        /* in, and then nothing more: @hold never has anything to read */
        if (write(out[1], "", 1) < 0 || read(hold[0], &never, 1) < 0)
            _exit(102);
        _exit(0);
    }
    close(out[1]);
    close(hold[0]);
    for (int r = 0; r < VMM_SANDBOX_N_ROLES; r++) {
        read_all(p.pid, out[0], &p.len[r], sizeof(p.len[r]));
        p.insns[r] = g_new(struct sock_filter, p.len[r]);
        read_all(p.pid, out[0], p.insns[r],
                 p.len[r] * sizeof(struct sock_filter));
    }
    read_all(p.pid, out[0], &entered, 1);
    close(out[0]);
    p.hold = hold[1];
    g_assert_cmpint(kill(p.pid, SIGSTOP), ==, 0);
    g_assert_cmpint(waitpid(p.pid, &status, 0), ==, p.pid);
    g_assert_true(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
    return p;
}

static void end_programs_child(Programs *p)
{
    int status;

    kill(p->pid, SIGKILL);
    g_assert_cmpint(waitpid(p->pid, &status, 0), ==, p->pid);
    close(p->hold);
    for (int r = 0; r < VMM_SANDBOX_N_ROLES; r++)
        g_free(p->insns[r]);
}

/* what libseccomp makes of the rules for @role in process @pid, now */
static GBytes *compile_rules(enum vmm_sandbox_role role, pid_t pid)
{
    scmp_filter_ctx ctx = vmm_sandbox_rules_new(role, (uint32_t)pid);
    int fd = memfd_create("test-sandbox", MFD_CLOEXEC);
    g_autoptr(GError) error = NULL;
    g_autofree char *path = NULL, *text = NULL;
    gsize len;

    g_assert_nonnull(ctx);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(seccomp_export_bpf(ctx, fd), ==, 0);
    seccomp_release(ctx);
    path = g_strdup_printf("/proc/self/fd/%d", fd);
    g_assert_true(g_file_get_contents(path, &text, &len, &error));
    g_assert_no_error(error);
    close(fd);
    return g_bytes_new_take(g_steal_pointer(&text), len);
}

static void assert_same_program(const char *what, enum vmm_sandbox_role role,
                                GBytes *want, const struct sock_filter *insns,
                                size_t len)
{
    gsize want_len;
    const struct sock_filter *w = g_bytes_get_data(want, &want_len);

    want_len /= sizeof(struct sock_filter);
    for (size_t i = 0; i < MAX(len, want_len); i++)
        if (i >= len || i >= want_len || memcmp(&w[i], &insns[i], sizeof(w[i])))
            g_error("%s thread: %s (%zu instructions) is not libseccomp's "
                    "(%zu): they differ at instruction %zu",
                    vmm_sandbox_role_name(role), what, len, want_len, i);
}

/* the built-in programs, the process id put in, are libseccomp's compile
 * of the very rules for that process */
static void test_generated(void)
{
    Programs p = start_programs_child(VMM_SANDBOX_VCPU);

    for (int r = 0; r < VMM_SANDBOX_N_ROLES; r++) {
        g_autoptr(GBytes) want = compile_rules(r, p.pid);

        assert_same_program("the built-in program", r, want, p.insns[r],
                            p.len[r]);
    }
    end_programs_child(&p);
}

/* and the kernel runs that program: the filter a thread has once it
 * entered its role (PTRACE_SECCOMP_GET_FILTER: CAP_SYS_ADMIN, and no
 * filter on the tracer) */
static void test_installed(void)
{
    if (own_filters() > 0 || geteuid() != 0) {
        g_test_skip("reading a seccomp filter back takes CAP_SYS_ADMIN "
                    "and an unfiltered test");
        return;
    }
    for (int role = 0; role < VMM_SANDBOX_N_ROLES; role++) {
        Programs p = start_programs_child(role);
        g_autoptr(GBytes) want = compile_rules(role, p.pid);
        struct sock_filter insns[BPF_MAXINSNS];
        long n = ptrace(PTRACE_SECCOMP_GET_FILTER, p.pid, 0, insns);

        if (n < 0)
            g_error("PTRACE_SECCOMP_GET_FILTER: %s", g_strerror(errno));
        assert_same_program("the installed program", role, want, insns,
                            (size_t)n);
        end_programs_child(&p);
    }
}

/* ---- a running VMM ---- */

typedef struct {
    char *name;
    int seccomp;       /* 0 off, 2 filter */
    int filters;
    int no_new_privs;
} ThreadState;

static int status_field(const char *text, const char *field)
{
    const char *p = strstr(text, field);

    g_assert_nonnull(p);
    return atoi(p + strlen(field));
}

/* /proc/PID/task/ * /status of every thread of @proc */
static GArray *threads_of(GSubprocess *proc)
{
    g_autofree char *dir = g_strdup_printf(
        "/proc/%s/task", g_subprocess_get_identifier(proc));
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    GArray *threads = g_array_new(FALSE, TRUE, sizeof(ThreadState));
    const char *tid;

    g_assert_nonnull(d);
    while ((tid = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, tid, "status", NULL);
        g_autofree char *text = NULL;
        ThreadState t;
        const char *name;

        if (!g_file_get_contents(path, &text, NULL, NULL))
            continue; /* it ended meanwhile */
        name = strstr(text, "Name:\t");
        g_assert_nonnull(name);
        t.name = g_strndup(name + 6, strcspn(name + 6, "\n"));
        t.seccomp = status_field(text, "\nSeccomp:\t");
        t.filters = status_field(text, "\nSeccomp_filters:\t");
        t.no_new_privs = status_field(text, "\nNoNewPrivs:\t");
        g_array_append_val(threads, t);
    }
    return threads;
}

static void threads_free(GArray *threads)
{
    for (guint i = 0; i < threads->len; i++)
        g_free(g_array_index(threads, ThreadState, i).name);
    g_array_unref(threads);
}

static guint count_named(GArray *threads, const char *prefix)
{
    guint n = 0;

    for (guint i = 0; i < threads->len; i++)
        n += g_str_has_prefix(g_array_index(threads, ThreadState, i).name,
                              prefix);
    return n;
}

/* the filters this test runs under (a container may have one), which
 * every child inherits */
static int own_filters(void)
{
    g_autofree char *text = NULL;

    g_assert_true(g_file_get_contents("/proc/self/status", &text, NULL, NULL));
    return status_field(text, "\nSeccomp_filters:\t");
}

/* every thread filtered (or, with --no-seccomp, none) */
static void check_threads(GSubprocess *proc, gboolean on, guint n_cpus)
{
    GArray *threads = threads_of(proc);
    int base = own_filters();

    g_assert_cmpuint(count_named(threads, "vcpu "), ==, n_cpus);
    g_assert_cmpuint(count_named(threads, "vmm-display"), ==, 1);
    /* the accept thread and the VNC clients' threads, named after it */
    g_assert_cmpuint(count_named(threads, "vmm-vnc-accept"), >=, 3);
    g_assert_cmpuint(count_named(threads, "gdbus"), ==, 1);
    for (guint i = 0; i < threads->len; i++) {
        ThreadState *t = &g_array_index(threads, ThreadState, i);

        g_test_message("thread \"%s\": Seccomp %d, %d filters", t->name,
                       t->seccomp, t->filters);
        if (on && (t->seccomp != 2 || t->filters <= base ||
                   !t->no_new_privs))
            g_error("thread \"%s\" is not sandboxed (Seccomp %d, %d "
                    "filters, NoNewPrivs %d)", t->name, t->seccomp,
                    t->filters, t->no_new_privs);
        if (!on && t->filters != base)
            g_error("thread \"%s\" has %d seccomp filters with "
                    "--no-seccomp", t->name, t->filters);
    }
    threads_free(threads);
}

/* a VNC client on the Unix socket, through the version handshake */
static int vnc_connect(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    return fd;
}

/* reads the server's version and answers it: the client is served */
static void vnc_hello(int fd)
{
    char version[12];

    g_assert_cmpint(read(fd, version, sizeof(version)), ==, sizeof(version));
    g_assert_true(memcmp(version, "RFB 003.", 8) == 0);
    g_assert_cmpint(write(fd, "RFB 003.008\n", 12), ==, 12);
}

static int open_vnc(VmmLive *live)
{
    g_autoptr(GUnixFDList) fds = NULL;
    g_autoptr(GVariant) ret = NULL;
    g_autoptr(GError) error = NULL;
    gint32 handle;
    int fd;

    ret = g_dbus_connection_call_with_unix_fd_list_sync(
        live->conn, NULL, "/org/vireo/Vmm1", "org.vireo.Vmm1", "OpenVnc",
        NULL, G_VARIANT_TYPE("(h)"), G_DBUS_CALL_FLAGS_NONE, 20000, NULL,
        &fds, NULL, &error);
    g_assert_no_error(error);
    g_variant_get(ret, "(h)", &handle);
    fd = g_unix_fd_list_get(fds, handle, &error);
    g_assert_no_error(error);
    return fd;
}

static void call_ok(VmmLive *live, const char *method)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) ret = g_dbus_connection_call_sync(
        live->conn, NULL, "/org/vireo/Vmm1", "org.vireo.Vmm1", method, NULL,
        NULL, G_DBUS_CALL_FLAGS_NONE, 20000, NULL, &error);

    g_assert_no_error(error);
}

/* waits for the VNC client threads to start (or, after a reboot, the
 * vCPU threads); FALSE after TIMEOUT */
static gboolean wait_threads(GSubprocess *proc, const char *prefix, guint n)
{
    gint64 deadline = g_get_monotonic_time() + TIMEOUT * G_USEC_PER_SEC;

    while (g_get_monotonic_time() < deadline) {
        GArray *threads = threads_of(proc);
        guint have = count_named(threads, prefix);

        threads_free(threads);
        if (have >= n)
            return TRUE;
        g_usleep(20000);
    }
    return FALSE;
}

static void live_check(gboolean on)
{
    g_autoptr(VmmLive) live = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *vnc_path = NULL, *display = NULL, *err = NULL;
    const char *extra[] = {"--display", NULL, NULL, NULL};
    int a, b;

    if (!vmm_test_have_kvm())
        return;
    vnc_path = g_build_filename(g_get_tmp_dir(), "vireo-sandbox-XXXXXX", NULL);
    g_assert_nonnull(g_mkdtemp(vnc_path));
    display = g_strdup_printf("vnc=unix:%s/vnc.sock", vnc_path);
    extra[1] = display;
    extra[2] = on ? NULL : "--no-seccomp";
    live = vmm_live_start("acpi-poweroff", NULL, 2, extra, &error);
    g_assert_no_error(error);
    g_assert_true(vmm_live_wait_serial(live, "waiting for the power button",
                                       TIMEOUT));
    {
        g_autofree char *sock = g_strdup_printf("%s/vnc.sock", vnc_path);

        a = vnc_connect(sock);
    }
    vnc_hello(a);
    b = open_vnc(live);
    vnc_hello(b);
    /* each client has an input and an output thread */
    g_assert_true(wait_threads(live->proc, "vmm-vnc-accept", 5));
    check_threads(live->proc, on, 2);

    /* a clean reboot: the guest powers off, the main loop builds the VM
     * anew and starts its vCPUs, under the main filter and their own */
    call_ok(live, "Reboot");
    g_assert_true(vmm_live_wait_serial(live, "power button pressed",
                                       TIMEOUT));
    {
        gint64 deadline = g_get_monotonic_time() + TIMEOUT * G_USEC_PER_SEC;

        while (g_get_monotonic_time() < deadline) {
            g_free(err);
            err = vmm_live_stderr(live);
            if (strstr(err, "shut down to reboot"))
                break;
            g_usleep(20000);
        }
        g_assert_nonnull(strstr(err, "shut down to reboot"));
    }
    g_assert_true(wait_threads(live->proc, "vcpu ", 2));
    check_threads(live->proc, on, 2);
    g_assert_null(strstr(err, "seccomp"));

    close(a);
    close(b);
    call_ok(live, "Quit");
    g_assert_cmpint(vmm_live_wait_exit(live, TIMEOUT), ==, 0);
    g_free(err);
    err = vmm_live_stderr(live);
    g_assert_null(strstr(err, "seccomp"));
    {
        g_autofree char *sock = g_strdup_printf("%s/vnc.sock", vnc_path);

        g_unlink(sock);
        g_rmdir(vnc_path);
    }
}

static void test_live(void)
{
    live_check(TRUE);
}

static void test_live_off(void)
{
    live_check(FALSE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_data_func("/vmm/sandbox/filter-vcpu",
                         GINT_TO_POINTER(VMM_SANDBOX_VCPU), test_filter);
    g_test_add_data_func("/vmm/sandbox/filter-display",
                         GINT_TO_POINTER(VMM_SANDBOX_DISPLAY), test_filter);
    g_test_add_data_func("/vmm/sandbox/filter-main",
                         GINT_TO_POINTER(VMM_SANDBOX_MAIN), test_filter);
    g_test_add_func("/vmm/sandbox/message", test_message);
    g_test_add_func("/vmm/sandbox/foreign-arch", test_foreign_arch);
    g_test_add_func("/vmm/sandbox/generated", test_generated);
    g_test_add_func("/vmm/sandbox/installed", test_installed);
    g_test_add_func("/vmm/sandbox/every-thread", test_live);
    g_test_add_func("/vmm/sandbox/off", test_live_off);
    return g_test_run();
}
