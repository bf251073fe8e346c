/* test-loop.c: vireo-vmm's main loop (loop.c) and VmmError (error.c),
 * without KVM: descriptors, timeouts, work posted and called from other
 * threads, quitting, closing and signals.
 *
 * No assertion races the clock: the only bounds on time are those the
 * loop cannot break however late it runs (a timeout never fires sooner
 * than its interval).  Every loop runs under a guard timeout, which
 * fails the test instead of letting it hang. */
#define _GNU_SOURCE
#include <glib.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "loop.h"

/* what a loop may take before its test fails */
#define GUARD_MS 5000
/* how long a loop goes on to show that something does not happen again */
#define SETTLE_MS 20

/* the thread the loops run on: the test's */
static pthread_t loop_thread;

static VmmLoop *
new_loop(void)
{
    VmmLoop *loop = vmm_loop_new();

    g_assert_nonnull(loop);
    loop_thread = pthread_self();
    return loop;
}

static bool
off_loop_thread(void)
{
    return !pthread_equal(pthread_self(), loop_thread);
}

typedef struct {
    VmmLoop *loop;
    bool fired;
} Guard;

static bool
on_guard(void *data)
{
    Guard *g = data;

    g->fired = true;
    vmm_loop_quit(g->loop);
    return false;
}

/* Runs @loop until something quits it, which must be within GUARD_MS:
 * also when the guard's deadline only woke the loop for the work that
 * should have woken it sooner. */
static void
run_guarded(VmmLoop *loop)
{
    Guard g = {.loop = loop};
    gint64 start = g_get_monotonic_time();
    unsigned id = vmm_loop_add_timeout(loop, GUARD_MS, on_guard, &g);

    g_assert_cmpuint(id, !=, 0);
    vmm_loop_run(loop);
    vmm_loop_remove(loop, id);
    g_assert_false(g.fired);
    g_assert_cmpint(g_get_monotonic_time() - start, <, GUARD_MS * G_GINT64_CONSTANT(1000));
}

static bool
on_quit_timeout(void *data)
{
    vmm_loop_quit(data);
    return false;
}

static void
add_settle(VmmLoop *loop)
{
    vmm_loop_add_timeout(loop, SETTLE_MS, on_quit_timeout, loop);
}

/* Runs @loop for SETTLE_MS (or until something quits it sooner). */
static void
run_settle(VmmLoop *loop)
{
    add_settle(loop);
    run_guarded(loop);
}

/* A pipe with a byte in it: its read end stays readable. */
static void
readable_pipe(int fds[2])
{
    g_assert_no_errno(pipe2(fds, O_CLOEXEC | O_NONBLOCK));
    g_assert_cmpint(write(fds[1], "x", 1), ==, 1);
}

static void
close_pipe(int fds[2])
{
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* descriptors */

typedef struct {
    VmmLoop *loop;
    unsigned id;    /* this watch */
    unsigned other; /* another one, which it removes if remove_other */
    int fd;         /* what it watches: the callback must get this one */
    int keep_for;   /* returns true for as many calls, then false */
    bool remove_self, remove_other;
    int calls, wrong_fd;
    short revents; /* the last call's */
} Watch;

static bool
on_fd(int fd, short revents, void *data)
{
    Watch *w = data;

    w->calls++;
    if (fd != w->fd)
        w->wrong_fd++;
    w->revents = revents;
    if (w->remove_self)
        vmm_loop_remove(w->loop, w->id);
    if (w->remove_other)
        vmm_loop_remove(w->loop, w->other);
    return w->calls < w->keep_for;
}

static void
watch_add(VmmLoop *loop, Watch *w, int fd)
{
    w->loop = loop;
    w->fd = fd;
    w->id = vmm_loop_add_fd(loop, fd, POLLIN, on_fd, w);
    g_assert_cmpuint(w->id, !=, 0);
}

static void
test_fd_readable(void)
{
    VmmLoop *loop = new_loop();
    Watch once = {.keep_for = 1}, thrice = {.keep_for = 3};
    int p[2];

    readable_pipe(p);
    watch_add(loop, &once, p[0]);
    watch_add(loop, &thrice, p[0]);
    g_assert_cmpuint(once.id, !=, thrice.id);
    /* the pipe stays readable: only their false ends the watches */
    run_settle(loop);
    g_assert_cmpint(once.calls, ==, 1);
    g_assert_cmpint(once.revents, ==, POLLIN);
    g_assert_cmpint(thrice.calls, ==, 3);
    g_assert_cmpint(thrice.revents, ==, POLLIN);
    g_assert_cmpint(once.wrong_fd + thrice.wrong_fd, ==, 0);
    vmm_loop_free(loop);
    close_pipe(p);
}

static void
test_fd_remove_self(void)
{
    VmmLoop *loop = new_loop();
    Watch w = {.keep_for = G_MAXINT, .remove_self = true};
    int p[2];

    readable_pipe(p);
    watch_add(loop, &w, p[0]);
    /* it removes itself and returns true: the removal wins */
    run_settle(loop);
    g_assert_cmpint(w.calls, ==, 1);
    vmm_loop_free(loop);
    close_pipe(p);
}

static void
test_fd_remove_other(void)
{
    VmmLoop *loop = new_loop();
    Watch a = {.keep_for = 1, .remove_other = true};
    Watch b = {.keep_for = 1, .remove_other = true};
    int p[2], q[2];

    /* both readable at the first turn: whichever goes first removes
     * the other, which must not be called in that turn nor later */
    readable_pipe(p);
    readable_pipe(q);
    watch_add(loop, &a, p[0]);
    watch_add(loop, &b, q[0]);
    a.other = b.id;
    b.other = a.id;
    run_settle(loop);
    g_assert_cmpint(a.calls + b.calls, ==, 1);
    g_assert_cmpint(a.wrong_fd + b.wrong_fd, ==, 0);
    vmm_loop_free(loop);
    close_pipe(p);
    close_pipe(q);
}

static void
test_fd_remove_before_run(void)
{
    VmmLoop *loop = new_loop();
    Watch gone = {.keep_for = 1}, kept = {.keep_for = 1};
    int p[2];

    readable_pipe(p);
    watch_add(loop, &gone, p[0]);
    watch_add(loop, &kept, p[0]);
    vmm_loop_remove(loop, gone.id);
    /* neither 0 nor an id never given removes anything */
    vmm_loop_remove(loop, 0);
    vmm_loop_remove(loop, kept.id + 1000);
    run_settle(loop);
    g_assert_cmpint(gone.calls, ==, 0);
    g_assert_cmpint(kept.calls, ==, 1);
    g_assert_cmpint(kept.wrong_fd, ==, 0);
    vmm_loop_free(loop);
    close_pipe(p);
}

typedef struct {
    VmmLoop *loop;
    unsigned id;
} Removal;

static void
remove_posted(void *data)
{
    Removal *r = data;

    vmm_loop_remove(r->loop, r->id);
}

static void
test_fd_remove_from_post(void)
{
    VmmLoop *loop = new_loop();
    Watch gone = {.keep_for = 1}, kept = {.keep_for = 1};
    Removal r = {.loop = loop};
    int p[2], q[2];

    /* both readable when the first turn polls; the post runs after that
     * poll and before the descriptors' callbacks, and removes the first
     * one: the other must still get its own descriptor, once */
    readable_pipe(p);
    readable_pipe(q);
    watch_add(loop, &gone, p[0]);
    watch_add(loop, &kept, q[0]);
    r.id = gone.id;
    vmm_loop_post(loop, remove_posted, &r, NULL);
    run_settle(loop);
    g_assert_cmpint(gone.calls, ==, 0);
    g_assert_cmpint(kept.wrong_fd, ==, 0);
    g_assert_cmpint(kept.calls, ==, 1);
    vmm_loop_free(loop);
    close_pipe(p);
    close_pipe(q);
}

#define N_ADDED 20

typedef struct {
    Watch self;
    int fd; /* what the added watches watch */
    Watch added[N_ADDED];
} Adder;

static bool
on_fd_add(int fd, short revents, void *data)
{
    Adder *a = data;

    /* more than the loop's first array holds: it moves while this
     * callback runs, and the loop must still find this watch after */
    for (int i = 0; i < N_ADDED; i++)
        watch_add(a->self.loop, &a->added[i], a->fd);
    return on_fd(fd, revents, &a->self);
}

static void
test_fd_add_from_callback(void)
{
    VmmLoop *loop = new_loop();
    Adder a = {.self = {.loop = loop, .keep_for = 1}};
    int p[2], q[2];

    readable_pipe(p);
    readable_pipe(q);
    a.fd = q[0];
    for (int i = 0; i < N_ADDED; i++)
        a.added[i].keep_for = 1;
    a.self.fd = p[0];
    a.self.id = vmm_loop_add_fd(loop, p[0], POLLIN, on_fd_add, &a);
    run_settle(loop);
    g_assert_cmpint(a.self.calls, ==, 1);
    g_assert_cmpint(a.self.wrong_fd, ==, 0);
    for (int i = 0; i < N_ADDED; i++) {
        g_assert_cmpint(a.added[i].calls, ==, 1);
        g_assert_cmpint(a.added[i].wrong_fd, ==, 0);
        g_assert_cmpint(a.added[i].revents, ==, POLLIN);
    }
    vmm_loop_free(loop);
    close_pipe(p);
    close_pipe(q);
}

typedef struct {
    int fd;
    int fires;
} Writer;

/* writes a byte, and at its next turn closes the pipe */
static bool
on_write_then_close(void *data)
{
    Writer *wr = data;

    if (wr->fires++ == 0) {
        g_assert_cmpint(write(wr->fd, "x", 1), ==, 1);
        return true;
    }
    close(wr->fd);
    wr->fd = -1;
    return false;
}

typedef struct {
    VmmLoop *loop;
    int calls;
    short first, last; /* revents */
    ssize_t last_read;
} Reader;

static bool
on_read(int fd, short revents, void *data)
{
    Reader *r = data;
    char c;

    if (r->calls++ == 0)
        r->first = revents;
    r->last = revents;
    r->last_read = read(fd, &c, 1);
    if (r->last_read == 0) {
        vmm_loop_quit(r->loop);
        return false;
    }
    return true;
}

static void
test_fd_hup(void)
{
    VmmLoop *loop = new_loop();
    Reader r = {.loop = loop};
    Writer wr;
    int p[2];

    g_assert_no_errno(pipe2(p, O_CLOEXEC | O_NONBLOCK));
    wr.fd = p[1];
    wr.fires = 0;
    vmm_loop_add_fd(loop, p[0], POLLIN, on_read, &r);
    vmm_loop_add_timeout(loop, 1, on_write_then_close, &wr);
    run_guarded(loop);
    /* the byte, then the end: POLLHUP without asking for it */
    g_assert_cmpint(r.calls, ==, 2);
    g_assert_cmpint(r.first, ==, POLLIN);
    g_assert_true(r.last & POLLHUP);
    g_assert_cmpint(r.last_read, ==, 0);
    g_assert_cmpint(wr.fd, ==, -1);
    vmm_loop_free(loop);
    close(p[0]);
}

/* timeouts */

typedef struct {
    VmmLoop *loop;
    unsigned id, other;
    int repeat;    /* returns true for as many fires, then false */
    int settle_at; /* at this fire, starts the loop's last SETTLE_MS */
    bool remove_self, remove_other;
    int fires;
    gint64 last_us; /* when it last fired */
} Timer;

static bool
on_timer(void *data)
{
    Timer *t = data;

    t->fires++;
    t->last_us = g_get_monotonic_time();
    if (t->fires == t->settle_at)
        add_settle(t->loop);
    if (t->remove_self)
        vmm_loop_remove(t->loop, t->id);
    if (t->remove_other)
        vmm_loop_remove(t->loop, t->other);
    return t->fires < t->repeat;
}

static void
timer_add(VmmLoop *loop, Timer *t, unsigned ms)
{
    t->loop = loop;
    t->id = vmm_loop_add_timeout(loop, ms, on_timer, t);
    g_assert_cmpuint(t->id, !=, 0);
}

static void
test_timeout_repeat(void)
{
    VmmLoop *loop = new_loop();
    Timer t = {.repeat = 5, .settle_at = 5};
    gint64 start = g_get_monotonic_time();

    timer_add(loop, &t, 2);
    /* after its false, SETTLE_MS (ten intervals) without a fire */
    run_guarded(loop);
    g_assert_cmpint(t.fires, ==, 5);
    /* never sooner than its interval (less a millisecond of rounding) */
    g_assert_cmpint(t.last_us - start, >=, (5 * 2 - 1) * 1000);
    vmm_loop_free(loop);
}

static void
test_timeout_interval(void)
{
    VmmLoop *loop = new_loop();
    Timer t = {.repeat = G_MAXINT};
    gint64 start = g_get_monotonic_time(), elapsed;

    timer_add(loop, &t, 5);
    vmm_loop_add_timeout(loop, 100, on_quit_timeout, loop);
    run_guarded(loop);
    elapsed = g_get_monotonic_time() - start;
    /* about 20 fires; a loaded machine may take fewer, but none can
     * come sooner than 5 ms after the one before */
    g_assert_cmpint(t.fires, >=, 3);
    g_assert_cmpint((gint64)t.fires * 5000, <=, elapsed + 1000);
    vmm_loop_free(loop);
}

static void
test_timeout_remove(void)
{
    VmmLoop *loop = new_loop();
    Timer gone = {.repeat = G_MAXINT};
    Timer a = {.repeat = 1, .remove_other = true};
    Timer b = {.repeat = 1, .remove_other = true};
    Timer self = {.repeat = G_MAXINT, .remove_self = true, .settle_at = 1};

    timer_add(loop, &gone, 1);
    vmm_loop_remove(loop, gone.id);
    /* due in the same turn (the later one is never due before the
     * earlier one): whichever goes first removes the other */
    timer_add(loop, &a, 1);
    timer_add(loop, &b, 1);
    a.other = b.id;
    b.other = a.id;
    /* due with them or after them; removes itself, returns true */
    timer_add(loop, &self, 1);
    run_guarded(loop);
    g_assert_cmpint(gone.fires, ==, 0);
    g_assert_cmpint(a.fires + b.fires, ==, 1);
    g_assert_cmpint(self.fires, ==, 1);
    vmm_loop_free(loop);
}

/* posted work */

typedef struct {
    VmmLoop *loop;
    int done, want; /* quits the loop when done reaches want */
} Counter;

typedef struct {
    Counter *counter;
    int ran, destroyed;
    bool off_thread;      /* ran on a thread other than the loop's */
    bool destroyed_first; /* destroyed before it ran */
} Item;

static void
item_run(void *data)
{
    Item *it = data;

    it->ran++;
    if (off_loop_thread())
        it->off_thread = true;
    if (it->destroyed)
        it->destroyed_first = true;
    if (it->counter && ++it->counter->done == it->counter->want)
        vmm_loop_quit(it->counter->loop);
}

static void
item_destroy(void *data)
{
    Item *it = data;

    it->destroyed++;
}

#define N_POSTERS 4
#define N_POSTS   1000

typedef struct {
    VmmLoop *loop;
    Item *items;
    pthread_barrier_t start;
} Posts;

typedef struct {
    Posts *posts;
    int index;
} Poster;

static gpointer
poster_thread(gpointer data)
{
    Poster *p = data;
    Item *items = p->posts->items + p->index * N_POSTS;

    pthread_barrier_wait(&p->posts->start);
    for (int i = 0; i < N_POSTS; i++)
        vmm_loop_post(p->posts->loop, item_run, &items[i], item_destroy);
    return NULL;
}

static void
test_post_threads(void)
{
    VmmLoop *loop = new_loop();
    Counter counter = {.loop = loop, .want = N_POSTERS * N_POSTS};
    Posts posts = {.loop = loop, .items = g_new0(Item, N_POSTERS * N_POSTS)};
    Poster posters[N_POSTERS];
    GThread *threads[N_POSTERS];

    for (int i = 0; i < N_POSTERS * N_POSTS; i++)
        posts.items[i].counter = &counter;
    pthread_barrier_init(&posts.start, NULL, N_POSTERS);
    /* they post before and while the loop runs */
    for (int i = 0; i < N_POSTERS; i++) {
        posters[i] = (Poster){.posts = &posts, .index = i};
        threads[i] = g_thread_new("poster", poster_thread, &posters[i]);
    }
    run_guarded(loop);
    for (int i = 0; i < N_POSTERS; i++)
        g_thread_join(threads[i]);
    g_assert_cmpint(counter.done, ==, N_POSTERS * N_POSTS);
    for (int i = 0; i < N_POSTERS * N_POSTS; i++) {
        g_assert_cmpint(posts.items[i].ran, ==, 1);
        g_assert_cmpint(posts.items[i].destroyed, ==, 1);
        g_assert_false(posts.items[i].off_thread);
        g_assert_false(posts.items[i].destroyed_first);
    }
    vmm_loop_close(loop);
    vmm_loop_free(loop);
    pthread_barrier_destroy(&posts.start);
    g_free(posts.items);
}

typedef struct {
    VmmLoop *loop;
    GString *order;
} Order;

static void
order_destroy(void *data)
{
    Order *o = data;

    g_string_append_c(o->order, 'd');
}

static void
order_posted_by_post(void *data)
{
    Order *o = data;

    g_string_append_c(o->order, 'Q');
    vmm_loop_quit(o->loop);
}

static void
order_post(void *data)
{
    Order *o = data;

    g_string_append_c(o->order, 'P');
    /* for the next turn: the loop must not sleep on it */
    vmm_loop_post(o->loop, order_posted_by_post, o, NULL);
}

static bool
order_timeout(void *data)
{
    Order *o = data;

    g_string_append_c(o->order, 'T');
    return false;
}

static bool
order_fd(int fd, short revents, void *data)
{
    Order *o = data;

    g_string_append_c(o->order, 'F');
    return false;
}

static void
test_post_first_turn(void)
{
    VmmLoop *loop = new_loop();
    Order o = {.loop = loop, .order = g_string_new(NULL)};
    int p[2];

    /* a due timeout and a readable descriptor wait for the first turn
     * too; the post goes before them, and its destroy right after it */
    readable_pipe(p);
    vmm_loop_add_timeout(loop, 0, order_timeout, &o);
    vmm_loop_add_fd(loop, p[0], POLLIN, order_fd, &o);
    vmm_loop_post(loop, order_post, &o, order_destroy);
    run_guarded(loop);
    g_assert_cmpuint(o.order->len, ==, 5);
    g_assert_true(g_str_has_prefix(o.order->str, "Pd"));
    g_assert_true(strcmp(o.order->str + 2, "TFQ") == 0 || strcmp(o.order->str + 2, "FTQ") == 0);
    vmm_loop_free(loop);
    close_pipe(p);
    g_string_free(o.order, TRUE);
}

typedef struct {
    VmmLoop *loop;
    Item *item;
} Late;

static gpointer
late_poster_thread(gpointer data)
{
    Late *l = data;

    vmm_loop_post(l->loop, item_run, l->item, item_destroy);
    return NULL;
}

static void
test_post_closed(void)
{
    VmmLoop *loop = new_loop();
    Item never_run = {0}, queued = {0}, late = {0}, late_thread = {0};
    Late l;

    /* freed without running: what was posted goes through destroy */
    vmm_loop_post(loop, item_run, &never_run, item_destroy);
    vmm_loop_free(loop);
    g_assert_cmpint(never_run.ran, ==, 0);
    g_assert_cmpint(never_run.destroyed, ==, 1);

    /* posted once the loop ended: dropped when it closes */
    loop = new_loop();
    vmm_loop_quit(loop);
    run_guarded(loop);
    vmm_loop_post(loop, item_run, &queued, item_destroy);
    g_assert_cmpint(queued.destroyed, ==, 0);
    vmm_loop_close(loop);
    g_assert_cmpint(queued.ran, ==, 0);
    g_assert_cmpint(queued.destroyed, ==, 1);

    /* posted after it closed: destroyed at once, on the poster's thread */
    vmm_loop_post(loop, item_run, &late, item_destroy);
    g_assert_cmpint(late.destroyed, ==, 1);
    l = (Late){.loop = loop, .item = &late_thread};
    g_thread_join(g_thread_new("late-poster", late_poster_thread, &l));
    g_assert_cmpint(late_thread.destroyed, ==, 1);
    vmm_loop_post(loop, item_run, &late, NULL);
    /* closing again changes nothing */
    vmm_loop_close(loop);
    vmm_loop_free(loop);
    g_assert_cmpint(late.ran + late_thread.ran, ==, 0);
    g_assert_cmpint(late.destroyed, ==, 1);
    g_assert_cmpint(queued.destroyed, ==, 1);
}

/* calls */

typedef struct {
    int ran;
    bool off_thread;
} Called;

static void
called_run(void *data)
{
    Called *c = data;

    c->ran++;
    if (off_loop_thread())
        c->off_thread = true;
}

#define N_CALLERS 4
#define N_CALLS   250

typedef struct {
    VmmLoop *loop;
    gint *calling; /* threads not done yet: the last one quits */
    int ok;        /* calls that returned true */
    int ran;       /* ... after their function ran once, on the loop */
} Caller;

static gpointer
caller_thread(gpointer data)
{
    Caller *c = data;

    for (int i = 0; i < N_CALLS; i++) {
        Called called = {0};

        if (vmm_loop_call(c->loop, called_run, &called))
            c->ok++;
        if (called.ran == 1 && !called.off_thread)
            c->ran++;
    }
    if (g_atomic_int_dec_and_test(c->calling))
        vmm_loop_quit(c->loop);
    return NULL;
}

static void
test_call_threads(void)
{
    VmmLoop *loop = new_loop();
    gint calling = N_CALLERS;
    Caller callers[N_CALLERS];
    GThread *threads[N_CALLERS];

    for (int i = 0; i < N_CALLERS; i++) {
        callers[i] = (Caller){.loop = loop, .calling = &calling};
        threads[i] = g_thread_new("caller", caller_thread, &callers[i]);
    }
    run_guarded(loop);
    for (int i = 0; i < N_CALLERS; i++) {
        g_thread_join(threads[i]);
        g_assert_cmpint(callers[i].ok, ==, N_CALLS);
        g_assert_cmpint(callers[i].ran, ==, N_CALLS);
    }
    vmm_loop_close(loop);
    vmm_loop_free(loop);
}

typedef struct {
    VmmLoop *loop;
    bool ok;
    int ran_at_return;
} Inline;

static void
call_from_post(void *data)
{
    Inline *in = data;
    Called c = {0};

    in->ok = vmm_loop_call(in->loop, called_run, &c);
    in->ran_at_return = c.ran;
    vmm_loop_quit(in->loop);
}

static void
test_call_inline(void)
{
    VmmLoop *loop = new_loop();
    Inline in = {.loop = loop};
    Called before = {0};

    /* on the loop's thread, also before it runs */
    g_assert_true(vmm_loop_call(loop, called_run, &before));
    g_assert_cmpint(before.ran, ==, 1);
    vmm_loop_post(loop, call_from_post, &in, NULL);
    run_guarded(loop);
    g_assert_true(in.ok);
    g_assert_cmpint(in.ran_at_return, ==, 1);
    vmm_loop_free(loop);
}

typedef struct {
    VmmLoop *loop;
    Called called;
    gint tid;
    gint returned;
    bool ok;
} Blocked;

static gpointer
blocked_caller_thread(gpointer data)
{
    Blocked *b = data;

    g_atomic_int_set(&b->tid, gettid());
    b->ok = vmm_loop_call(b->loop, called_run, &b->called);
    g_atomic_int_set(&b->returned, 1);
    return NULL;
}

/* Waits (up to 2 s) until thread @tid sleeps in futex(), as it does in
 * pthread_cond_wait(): then its vmm_loop_call is queued.  Without
 * /proc/self/task/TID/syscall, it only waits a little. */
static void
wait_blocked(gint *tid)
{
    char path[64], buf[128];

    while (!g_atomic_int_get(tid))
        g_usleep(1000);
    snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", g_atomic_int_get(tid));
    for (int i = 0; i < 2000; i++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
            break;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
            break;
        buf[n] = '\0';
        if (g_ascii_isdigit(buf[0]) && strtol(buf, NULL, 10) == SYS_futex)
            return;
        g_usleep(1000);
    }
    g_usleep(50000);
}

static void
test_call_closed(void)
{
    VmmLoop *loop = new_loop();
    Blocked b = {.loop = loop}, late = {.loop = loop};
    GThread *thread;

    /* the loop ran and ended, and is not closed yet: a call waits */
    vmm_loop_quit(loop);
    run_guarded(loop);
    thread = g_thread_new("blocked-caller", blocked_caller_thread, &b);
    wait_blocked(&b.tid);
    g_assert_false(g_atomic_int_get(&b.returned));
    /* closing lets it go, with false, and its function never runs */
    vmm_loop_close(loop);
    g_thread_join(thread);
    g_assert_false(b.ok);
    g_assert_cmpint(b.called.ran, ==, 0);
    /* and once closed, a call fails at once */
    g_thread_join(g_thread_new("late-caller", blocked_caller_thread, &late));
    g_assert_false(late.ok);
    g_assert_cmpint(late.called.ran, ==, 0);
    vmm_loop_free(loop);
}

/* quitting */

typedef struct {
    VmmLoop *loop;
    gint running;
} Quitter;

static void
note_running(void *data)
{
    Quitter *q = data;

    g_atomic_int_set(&q->running, 1);
}

static gpointer
quitter_thread(gpointer data)
{
    Quitter *q = data;

    while (!g_atomic_int_get(&q->running))
        g_usleep(1000);
    /* most likely, the loop is asleep in poll() by now */
    g_usleep(10000);
    vmm_loop_quit(q->loop);
    return NULL;
}

static void
test_quit_other_thread(void)
{
    VmmLoop *loop = new_loop();
    Quitter q = {.loop = loop};
    GThread *thread;

    vmm_loop_post(loop, note_running, &q, NULL);
    thread = g_thread_new("quitter", quitter_thread, &q);
    /* nothing else would end it before the guard */
    run_guarded(loop);
    g_thread_join(thread);
    g_assert_true(g_atomic_int_get(&q.running));
    vmm_loop_free(loop);
}

static void
test_quit_before_run(void)
{
    VmmLoop *loop = new_loop();
    Item posted = {0};

    vmm_loop_quit(loop);
    vmm_loop_post(loop, item_run, &posted, item_destroy);
    run_guarded(loop);
    /* a quit does not drop what was posted before the turn */
    g_assert_cmpint(posted.ran, ==, 1);
    /* and it stays: running again returns at once */
    run_guarded(loop);
    vmm_loop_free(loop);
}

/* signals */

typedef struct {
    VmmLoop *loop;
    int caught;
    bool off_thread;
} Catch;

static void
on_caught(void *data)
{
    Catch *c = data;

    c->caught++;
    if (off_loop_thread())
        c->off_thread = true;
    vmm_loop_quit(c->loop);
}

static void
raise_usr2(void *data)
{
    g_assert_cmpint(raise(SIGUSR2), ==, 0);
}

static void
test_signal_raise(void)
{
    VmmLoop *loop = new_loop();
    Catch c = {.loop = loop};

    g_assert_cmpint(vmm_loop_catch_signal(loop, 0, on_caught, &c), ==, -EINVAL);
    g_assert_cmpint(vmm_loop_catch_signal(loop, 65, on_caught, &c), ==, -EINVAL);
    g_assert_cmpint(vmm_loop_catch_signal(loop, SIGUSR2, on_caught, &c), ==, 0);
    /* blocked until the loop waits next, on this thread; its function
     * at the turn after */
    vmm_loop_post(loop, raise_usr2, NULL, NULL);
    run_guarded(loop);
    g_assert_cmpint(c.caught, ==, 1);
    g_assert_false(c.off_thread);
    vmm_loop_free(loop);
}

typedef struct {
    GThread *thread;
    gint sent;
} Killer;

static gpointer
kill_process_thread(gpointer data)
{
    Killer *k = data;

    g_assert_cmpint(kill(getpid(), SIGUSR2), ==, 0);
    g_atomic_int_set(&k->sent, 1);
    return NULL;
}

static void
start_killer(void *data)
{
    Killer *k = data;

    k->thread = g_thread_new("killer", kill_process_thread, k);
}

static void
test_signal_other_thread(void)
{
    VmmLoop *loop = new_loop();
    Catch c = {.loop = loop};
    Killer k = {0};

    g_assert_cmpint(vmm_loop_catch_signal(loop, SIGUSR2, on_caught, &c), ==, 0);
    /* sent to the process from a thread started since (which blocks it
     * too, as every thread does): it comes to the loop's thread */
    vmm_loop_post(loop, start_killer, &k, NULL);
    run_guarded(loop);
    g_thread_join(k.thread);
    g_assert_true(g_atomic_int_get(&k.sent));
    g_assert_cmpint(c.caught, ==, 1);
    g_assert_false(c.off_thread);
    vmm_loop_free(loop);
}

typedef struct {
    int wake_fd;
    int poll_result, poll_errno;
} Sleeper;

/* a moment into the loop thread's poll: a signal, and a moment later
 * what the poll waits for */
static gpointer
kill_then_write_thread(gpointer data)
{
    Sleeper *z = data;
    sigset_t usr2;

    /* (it inherited that block; say it, so that the loop's thread is the
     * only one left to take the signal, however the kernel picks) */
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);
    g_usleep(SETTLE_MS * 1000);
    g_assert_cmpint(kill(getpid(), SIGUSR2), ==, 0);
    /* (time for a signal that got in to end the poll first) */
    g_usleep(SETTLE_MS * 1000);
    g_assert_cmpint(write(z->wake_fd, "x", 1), ==, 1);
    return NULL;
}

/* a system call of the loop's thread while a caught signal comes */
static void
poll_through_signal(void *data)
{
    Sleeper *z = data;
    int fds[2];
    struct pollfd p;
    GThread *killer;

    g_assert_cmpint(pipe(fds), ==, 0);
    z->wake_fd = fds[1];
    p = (struct pollfd){.fd = fds[0], .events = POLLIN};
    killer = g_thread_new("killer", kill_then_write_thread, z);
    z->poll_result = poll(&p, 1, GUARD_MS);
    z->poll_errno = errno;
    g_thread_join(killer);
    close(fds[0]);
    close(fds[1]);
}

static void
test_signal_no_eintr(void)
{
    VmmLoop *loop = new_loop();
    Catch c = {.loop = loop};
    Sleeper z = {.poll_result = -2};

    g_assert_cmpint(vmm_loop_catch_signal(loop, SIGUSR2, on_caught, &c), ==, 0);
    /* one before the loop ever ran, as at start-up: it waits for it */
    g_assert_cmpint(raise(SIGUSR2), ==, 0);
    run_guarded(loop);
    g_assert_cmpint(c.caught, ==, 1);
    vmm_loop_free(loop);

    /* one while the loop's thread is in another system call: that call
     * goes on (poll would fail with EINTR), the loop takes the signal
     * once it waits */
    loop = new_loop();
    c = (Catch){.loop = loop};
    g_assert_cmpint(vmm_loop_catch_signal(loop, SIGUSR2, on_caught, &c), ==, 0);
    vmm_loop_post(loop, poll_through_signal, &z, NULL);
    run_guarded(loop);
    if (z.poll_result < 0)
        g_error("poll was interrupted: %s", g_strerror(z.poll_errno));
    g_assert_cmpint(z.poll_result, ==, 1);
    g_assert_cmpint(c.caught, ==, 1);
    vmm_loop_free(loop);
}

static void
count_signal(void *data)
{
    int *count = data;

    (*count)++;
}

static void
quit_posted(void *data)
{
    vmm_loop_quit(data);
}

static void
test_signal_after_free(void)
{
    VmmLoop *loop = new_loop();
    int count = 0;

    /* caught by a loop that is freed before it runs: the signal that
     * arrived while it lived, and the one after, go with it */
    g_assert_cmpint(vmm_loop_catch_signal(loop, SIGUSR2, count_signal, &count), ==, 0);
    g_assert_cmpint(raise(SIGUSR2), ==, 0);
    vmm_loop_free(loop);
    g_assert_cmpint(raise(SIGUSR2), ==, 0);
    /* and the next loop, which caught nothing, runs nothing of it */
    loop = new_loop();
    vmm_loop_post(loop, quit_posted, loop, NULL);
    run_guarded(loop);
    g_assert_cmpint(count, ==, 0);
    vmm_loop_free(loop);
}

/* VmmError */

typedef struct {
    VmmError err;
    unsigned char canary[64];
} Fenced;

G_STATIC_ASSERT(offsetof(Fenced, canary) == sizeof(VmmError));

#define MESSAGE_MAX (sizeof(((VmmError *)0)->message) - 1)

static void
fence(Fenced *f)
{
    /* no NUL in it: a message must end itself */
    memset(f->err.message, 'Z', sizeof(f->err.message));
    memset(f->canary, 0xa5, sizeof(f->canary));
}

static void
assert_fenced(const Fenced *f, size_t len)
{
    g_assert_cmpuint(strnlen(f->err.message, sizeof(f->err.message)), ==, len);
    for (size_t i = 0; i < sizeof(f->canary); i++)
        g_assert_cmphex(f->canary[i], ==, 0xa5);
}

static void
test_error_set(void)
{
    Fenced f;

    fence(&f);
    g_assert_false(vmm_error_set(&f.err, "cannot open %s: %s", "/dev/kvm", "Permission denied"));
    g_assert_cmpstr(f.err.message, ==, "cannot open /dev/kvm: Permission denied");
    assert_fenced(&f, strlen("cannot open /dev/kvm: Permission denied"));
    /* the next one replaces it */
    g_assert_false(vmm_error_set(&f.err, "%d", 42));
    g_assert_cmpstr(f.err.message, ==, "42");
    g_assert_false(vmm_error_set(NULL, "%s", "nobody reads this"));
}

static void
test_error_prefix(void)
{
    VmmError err;

    vmm_error_set(&err, "No such file.");
    vmm_error_prefix(&err, "--serial: ");
    g_assert_cmpstr(err.message, ==, "--serial: No such file.");
    vmm_error_prefix(&err, "%s %d: ", "vm", 3);
    g_assert_cmpstr(err.message, ==, "vm 3: --serial: No such file.");
    /* its arguments may be the message itself */
    vmm_error_set(&err, "ab");
    vmm_error_prefix(&err, "%s/", err.message);
    g_assert_cmpstr(err.message, ==, "ab/ab");
    vmm_error_set(&err, "%s", "");
    vmm_error_prefix(&err, "alone");
    g_assert_cmpstr(err.message, ==, "alone");
    vmm_error_prefix(&err, "%s", "");
    g_assert_cmpstr(err.message, ==, "alone");
    vmm_error_prefix(NULL, "%s", "nobody reads this");
}

/* @message prefixed with @prefix keeps the first bytes of each */
static void
assert_prefixed(const char *prefix, const char *message, size_t prefix_kept, size_t message_kept)
{
    Fenced f;

    fence(&f);
    vmm_error_set(&f.err, "%s", message);
    vmm_error_prefix(&f.err, "%s", prefix);
    assert_fenced(&f, prefix_kept + message_kept);
    g_assert_cmpint(memcmp(f.err.message, prefix, prefix_kept), ==, 0);
    g_assert_cmpint(memcmp(f.err.message + prefix_kept, message, message_kept), ==, 0);
}

static void
test_error_truncate(void)
{
    g_autofree char *huge = g_strnfill(2000, 'h');
    g_autofree char *m255 = g_strnfill(255, 'm');
    g_autofree char *m256 = g_strnfill(256, 'm');
    g_autofree char *p256 = g_strnfill(256, 'p');
    g_autofree char *m300 = g_strnfill(300, 'm');
    g_autofree char *p300 = g_strnfill(300, 'p');
    Fenced f;

    /* a message longer than the buffer: its beginning, ended */
    huge[1999] = 'E';
    fence(&f);
    g_assert_false(vmm_error_set(&f.err, "%s", huge));
    assert_fenced(&f, MESSAGE_MAX);
    g_assert_cmpint(memcmp(f.err.message, huge, MESSAGE_MAX), ==, 0);

    /* a prefix and a message that just fit: both whole */
    assert_prefixed(p256, m255, 256, 255);
    /* more: the message loses its end, the prefix stays whole */
    assert_prefixed(p256, m256, 256, 255);
    assert_prefixed(p300, m300, 300, MESSAGE_MAX - 300);
    /* a prefix longer than the buffer: only its beginning */
    assert_prefixed(huge, "the message", MESSAGE_MAX, 0);

    /* a long message whose prefix is itself */
    fence(&f);
    vmm_error_set(&f.err, "%s", p300);
    vmm_error_prefix(&f.err, "%s", f.err.message);
    assert_fenced(&f, MESSAGE_MAX);
    g_assert_cmpint(memcmp(f.err.message, p300, 300), ==, 0);
    g_assert_cmpint(memcmp(f.err.message + 300, p300, MESSAGE_MAX - 300), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/vmm/loop/fd/readable", test_fd_readable);
    g_test_add_func("/vmm/loop/fd/remove-self", test_fd_remove_self);
    g_test_add_func("/vmm/loop/fd/remove-other", test_fd_remove_other);
    g_test_add_func("/vmm/loop/fd/remove-before-run", test_fd_remove_before_run);
    g_test_add_func("/vmm/loop/fd/remove-from-post", test_fd_remove_from_post);
    g_test_add_func("/vmm/loop/fd/add-from-callback", test_fd_add_from_callback);
    g_test_add_func("/vmm/loop/fd/hup", test_fd_hup);
    g_test_add_func("/vmm/loop/timeout/repeat", test_timeout_repeat);
    g_test_add_func("/vmm/loop/timeout/interval", test_timeout_interval);
    g_test_add_func("/vmm/loop/timeout/remove", test_timeout_remove);
    g_test_add_func("/vmm/loop/post/threads", test_post_threads);
    g_test_add_func("/vmm/loop/post/first-turn", test_post_first_turn);
    g_test_add_func("/vmm/loop/post/closed", test_post_closed);
    g_test_add_func("/vmm/loop/call/threads", test_call_threads);
    g_test_add_func("/vmm/loop/call/inline", test_call_inline);
    g_test_add_func("/vmm/loop/call/closed", test_call_closed);
    g_test_add_func("/vmm/loop/quit/other-thread", test_quit_other_thread);
    g_test_add_func("/vmm/loop/quit/before-run", test_quit_before_run);
    g_test_add_func("/vmm/loop/signal/raise", test_signal_raise);
    g_test_add_func("/vmm/loop/signal/other-thread", test_signal_other_thread);
    g_test_add_func("/vmm/loop/signal/no-eintr", test_signal_no_eintr);
    g_test_add_func("/vmm/loop/signal/after-free", test_signal_after_free);
    g_test_add_func("/vmm/error/set", test_error_set);
    g_test_add_func("/vmm/error/prefix", test_error_prefix);
    g_test_add_func("/vmm/error/truncate", test_error_truncate);
    return g_test_run();
}
