/* loop.c: the main thread's event loop (see loop.h).
 *
 * One eventfd wakes ppoll() for posted work and vmm_loop_quit; the
 * signals the loop catches are unblocked only inside ppoll(), which they
 * interrupt.  Watches and timeouts live in small arrays, as a VMM has a
 * handful.
 */
#define _GNU_SOURCE
#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct watch {
    unsigned id; /* 0: removed */
    int fd;
    short events;
    VmmLoopFdFunc func;
    VmmLoopTimeoutFunc timeout;
    void *data;
    unsigned interval_ms;
    int64_t due_ms; /* timeouts */
};

struct post {
    struct post *next;
    VmmLoopFunc func, destroy;
    void *data;
    /* vmm_loop_call: the waiter's flag, under the loop's lock */
    bool *done;
};

struct VmmLoop {
    pthread_t owner;
    int wake_fd;
    bool quit; /* loop thread */
    struct watch *watches;
    size_t n_watches, cap_watches;
    unsigned next_id;
    bool dispatching;
    sigset_t caught; /* blocked but while ppoll() waits */

    pthread_mutex_t lock; /* the rest */
    pthread_cond_t ran;
    struct post *head, **tail;
    bool closed;
    bool quit_asked;
};

#define MAX_SIGNAL 65
static volatile sig_atomic_t signal_pending[MAX_SIGNAL];
/* @loop caught the signal; vmm_loop_free forgets it */
static struct {
    VmmLoop *loop;
    VmmLoopFunc func;
    void *data;
} signal_handlers[MAX_SIGNAL];

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
wake(VmmLoop *loop)
{
    uint64_t one = 1;
    ssize_t n;

    do
        n = write(loop->wake_fd, &one, sizeof(one));
    while (n < 0 && errno == EINTR);
}

VmmLoop *
vmm_loop_new(void)
{
    VmmLoop *loop = calloc(1, sizeof(*loop));

    if (!loop)
        return NULL;
    loop->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (loop->wake_fd < 0) {
        int e = errno;

        free(loop);
        errno = e;
        return NULL;
    }
    loop->owner = pthread_self();
    loop->next_id = 1;
    loop->tail = &loop->head;
    sigemptyset(&loop->caught);
    pthread_mutex_init(&loop->lock, NULL);
    pthread_cond_init(&loop->ran, NULL);
    return loop;
}

static unsigned
add_watch(VmmLoop *loop, struct watch w)
{
    if (loop->n_watches == loop->cap_watches) {
        size_t cap = loop->cap_watches ? 2 * loop->cap_watches : 8;
        struct watch *ws = realloc(loop->watches, cap * sizeof(*ws));

        if (!ws)
            abort();
        loop->watches = ws;
        loop->cap_watches = cap;
    }
    w.id = loop->next_id++;
    if (!loop->next_id)
        loop->next_id = 1;
    loop->watches[loop->n_watches++] = w;
    return w.id;
}

unsigned
vmm_loop_add_fd(VmmLoop *loop, int fd, short events, VmmLoopFdFunc func, void *data)
{
    return add_watch(loop, (struct watch){.fd = fd, .events = events, .func = func, .data = data});
}

unsigned
vmm_loop_add_timeout(VmmLoop *loop, unsigned ms, VmmLoopTimeoutFunc func, void *data)
{
    return add_watch(
        loop,
        (struct watch){
            .fd = -1, .timeout = func, .data = data, .interval_ms = ms, .due_ms = now_ms() + ms});
}

static void
compact(VmmLoop *loop)
{
    size_t j = 0;

    for (size_t i = 0; i < loop->n_watches; i++)
        if (loop->watches[i].id)
            loop->watches[j++] = loop->watches[i];
    loop->n_watches = j;
}

void
vmm_loop_remove(VmmLoop *loop, unsigned id)
{
    for (size_t i = 0; id && i < loop->n_watches; i++)
        if (loop->watches[i].id == id)
            loop->watches[i].id = 0;
    if (!loop->dispatching)
        compact(loop);
}

void
vmm_loop_post(VmmLoop *loop, VmmLoopFunc func, void *data, VmmLoopFunc destroy)
{
    struct post *p = calloc(1, sizeof(*p));

    if (!p)
        abort();
    p->func = func;
    p->data = data;
    p->destroy = destroy;
    pthread_mutex_lock(&loop->lock);
    if (loop->closed) {
        pthread_mutex_unlock(&loop->lock);
        if (destroy)
            destroy(data);
        free(p);
        return;
    }
    *loop->tail = p;
    loop->tail = &p->next;
    pthread_mutex_unlock(&loop->lock);
    wake(loop);
}

bool
vmm_loop_call(VmmLoop *loop, VmmLoopFunc func, void *data)
{
    struct post *p;
    bool done = false;

    if (pthread_equal(pthread_self(), loop->owner)) {
        func(data);
        return true;
    }
    p = calloc(1, sizeof(*p));
    if (!p)
        abort();
    p->func = func;
    p->data = data;
    p->done = &done;
    pthread_mutex_lock(&loop->lock);
    if (loop->closed) {
        pthread_mutex_unlock(&loop->lock);
        free(p);
        return false;
    }
    *loop->tail = p;
    loop->tail = &p->next;
    wake(loop);
    /* done is set by the loop after func, or left false by
     * vmm_loop_free, which clears the queue and sets closed */
    while (!done && !loop->closed)
        pthread_cond_wait(&loop->ran, &loop->lock);
    pthread_mutex_unlock(&loop->lock);
    return done;
}

void
vmm_loop_quit(VmmLoop *loop)
{
    pthread_mutex_lock(&loop->lock);
    loop->quit_asked = true;
    pthread_mutex_unlock(&loop->lock);
    wake(loop);
}

static void
on_signal(int signo)
{
    int saved = errno;
    VmmLoop *loop;

    if (signo > 0 && signo < MAX_SIGNAL) {
        signal_pending[signo] = 1;
        loop = signal_handlers[signo].loop;
        if (loop)
            wake(loop);
    }
    errno = saved;
}

int
vmm_loop_catch_signal(VmmLoop *loop, int signo, VmmLoopFunc func, void *data)
{
    struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
    sigset_t one;

    if (signo <= 0 || signo >= MAX_SIGNAL)
        return -EINVAL;
    sigemptyset(&one);
    sigaddset(&one, signo);
    pthread_sigmask(SIG_BLOCK, &one, NULL);
    sigaddset(&loop->caught, signo);
    signal_handlers[signo].func = func;
    signal_handlers[signo].data = data;
    signal_handlers[signo].loop = loop;
    sigemptyset(&sa.sa_mask);
    return sigaction(signo, &sa, NULL) < 0 ? -errno : 0;
}

/* Runs what other threads posted; notes a quit they asked for. */
static void
run_posts(VmmLoop *loop)
{
    struct post *list, *p;

    pthread_mutex_lock(&loop->lock);
    list = loop->head;
    loop->head = NULL;
    loop->tail = &loop->head;
    if (loop->quit_asked)
        loop->quit = true;
    pthread_mutex_unlock(&loop->lock);
    while ((p = list)) {
        list = p->next;
        p->func(p->data);
        if (p->destroy)
            p->destroy(p->data);
        if (p->done) {
            pthread_mutex_lock(&loop->lock);
            *p->done = true;
            pthread_cond_broadcast(&loop->ran);
            pthread_mutex_unlock(&loop->lock);
        }
        free(p);
    }
}

static void
run_signals(VmmLoop *loop)
{
    for (int s = 1; s < MAX_SIGNAL; s++) {
        if (!signal_pending[s] || signal_handlers[s].loop != loop)
            continue;
        signal_pending[s] = 0;
        if (signal_handlers[s].func)
            signal_handlers[s].func(signal_handlers[s].data);
    }
}

void
vmm_loop_run(VmmLoop *loop)
{
    struct pollfd *fds = NULL;
    size_t *index = NULL, cap = 0;
    sigset_t wait_mask;

    /* the signals we catch come only while we wait */
    pthread_sigmask(SIG_SETMASK, NULL, &wait_mask);
    for (int s = 1; s < MAX_SIGNAL; s++)
        if (sigismember(&loop->caught, s) == 1)
            sigdelset(&wait_mask, s);
    while (!loop->quit) {
        size_t n = 1;
        int64_t now = now_ms(), timeout = -1;
        struct timespec ts;
        uint64_t count;
        ssize_t r;

        if (cap < loop->n_watches + 1) {
            cap = loop->n_watches + 8;
            fds = realloc(fds, cap * sizeof(*fds));
            index = realloc(index, cap * sizeof(*index));
            if (!fds || !index)
                abort();
        }
        fds[0] = (struct pollfd){.fd = loop->wake_fd, .events = POLLIN};
        for (size_t i = 0; i < loop->n_watches; i++) {
            struct watch *w = &loop->watches[i];

            if (w->fd >= 0) {
                fds[n] = (struct pollfd){.fd = w->fd, .events = w->events};
                index[n++] = i;
            } else if (timeout < 0 || w->due_ms - now < timeout) {
                timeout = w->due_ms > now ? w->due_ms - now : 0;
            }
        }
        ts.tv_sec = timeout / 1000;
        ts.tv_nsec = (long)(timeout % 1000) * 1000000;
        if (ppoll(fds, n, timeout < 0 ? NULL : &ts, &wait_mask) < 0 && errno != EINTR)
            abort();
        if (fds[0].revents) {
            do
                r = read(loop->wake_fd, &count, sizeof(count));
            while (r < 0 && errno == EINTR);
        }
        /* from here to the end of the turn, removals only mark: fds[]
         * and index[] hold the array as it was polled, and signals and
         * posts may remove watches too */
        loop->dispatching = true;
        run_signals(loop);
        run_posts(loop);
        if (loop->quit)
            break;
        now = now_ms();
        for (size_t i = 0; i < loop->n_watches && !loop->quit; i++) {
            struct watch *w = &loop->watches[i];

            if (!w->id || w->fd >= 0 || w->due_ms > now)
                continue;
            w->due_ms = now + w->interval_ms;
            if (!w->timeout(w->data))
                loop->watches[i].id = 0;
        }
        /* watches added by callbacks come after the n polled ones; the
         * array may move, so go by index */
        for (size_t k = 1; k < n && !loop->quit; k++) {
            size_t i = index[k];
            unsigned id = loop->watches[i].id;

            if (!id || !fds[k].revents)
                continue;
            if (!loop->watches[i].func(fds[k].fd, fds[k].revents, loop->watches[i].data) &&
                loop->watches[i].id == id)
                loop->watches[i].id = 0;
        }
        loop->dispatching = false;
        compact(loop);
    }
    loop->dispatching = false;
    compact(loop);
    free(fds);
    free(index);
}

void
vmm_loop_close(VmmLoop *loop)
{
    struct post *list, *p;

    pthread_mutex_lock(&loop->lock);
    loop->closed = true;
    list = loop->head;
    loop->head = NULL;
    loop->tail = &loop->head;
    pthread_cond_broadcast(&loop->ran);
    pthread_mutex_unlock(&loop->lock);
    while ((p = list)) {
        list = p->next;
        if (p->destroy)
            p->destroy(p->data);
        free(p);
    }
}

void
vmm_loop_free(VmmLoop *loop)
{
    if (!loop)
        return;
    vmm_loop_close(loop);
    /* its signals stay caught (and blocked), but run nothing: not on
     * the next loop.  One that came since its last wait is pending,
     * blocked: let it in here, where it runs nothing, rather than at the
     * next loop's wait. */
    for (int s = 1; s < MAX_SIGNAL; s++) {
        sigset_t one;

        if (signal_handlers[s].loop != loop)
            continue;
        signal_handlers[s].loop = NULL;
        signal_handlers[s].func = NULL;
        signal_handlers[s].data = NULL;
        sigemptyset(&one);
        sigaddset(&one, s);
        pthread_sigmask(SIG_UNBLOCK, &one, NULL);
        pthread_sigmask(SIG_BLOCK, &one, NULL);
        signal_pending[s] = 0;
    }
    close(loop->wake_fd);
    pthread_cond_destroy(&loop->ran);
    pthread_mutex_destroy(&loop->lock);
    free(loop->watches);
    free(loop);
}
