/* loop.h: the main thread's event loop.
 *
 * A poll() loop over a few descriptors (the serial back-end, its
 * listening socket), timeouts, the signals that end the VMM, and work
 * that other threads hand to the main thread: vCPUs report why they
 * stopped, the control server's thread asks for lifecycle changes.  The
 * VM's lifecycle runs only here, so it needs no lock of its own.
 *
 * Everything but vmm_loop_post, vmm_loop_call and vmm_loop_quit is for
 * the thread that created the loop.
 */
#pragma once

#include <stdbool.h>

typedef struct VmmLoop VmmLoop;

typedef void (*VmmLoopFunc)(void *data);
/* @revents as poll() gives them; return false to remove the watch */
typedef bool (*VmmLoopFdFunc)(int fd, short revents, void *data);
/* return false to stop repeating */
typedef bool (*VmmLoopTimeoutFunc)(void *data);

/* NULL with errno set */
VmmLoop *vmm_loop_new(void);
/* Runs until vmm_loop_quit (returns at once if it was called). */
void vmm_loop_run(VmmLoop *loop);
/* Any thread, any time. */
void vmm_loop_quit(VmmLoop *loop);
/* After the loop ran: refuses further work from other threads, wakes
 * those waiting in vmm_loop_call (they get false) and drops what was
 * posted and not run (through its @destroy).  Then the threads that
 * post can be joined, and the loop freed (which closes it first). */
void vmm_loop_close(VmmLoop *loop);
void vmm_loop_free(VmmLoop *loop);

/* Watches @fd for @events (POLLIN…); an id for vmm_loop_remove. */
unsigned vmm_loop_add_fd(VmmLoop *loop, int fd, short events, VmmLoopFdFunc func, void *data);
/* Calls @func every @ms milliseconds while it returns true. */
unsigned vmm_loop_add_timeout(VmmLoop *loop, unsigned ms, VmmLoopTimeoutFunc func, void *data);
/* Removes a watch or a timeout (also from within its own callback). */
void vmm_loop_remove(VmmLoop *loop, unsigned id);

/* @func runs on the loop's thread at its next turn (before descriptors
 * and timeouts), @destroy (may be NULL) afterwards, or instead if the
 * loop is freed first.  Any thread; safe before vmm_loop_run. */
void vmm_loop_post(VmmLoop *loop, VmmLoopFunc func, void *data, VmmLoopFunc destroy);
/* Runs @func on the loop's thread and waits for it; false (and @func
 * not run) if the loop is being freed.  On the loop's thread it runs
 * @func at once. */
bool vmm_loop_call(VmmLoop *loop, VmmLoopFunc func, void *data);

/* @func runs on the loop when @signo (SIGTERM, SIGINT…) arrives.  The
 * calling thread blocks @signo, and so do the threads it starts from
 * then on: the loop takes it only while it waits for events, so that it
 * interrupts no other system call (a KVM ioctl at start-up, say).  Call
 * it on the loop's thread before other threads start (a signal sent to
 * one of them alone, not to the process, does not come).  A signal
 * belongs to the last loop that caught it; once that loop is freed (on
 * its thread), it stays caught (sigaction) and blocked, but runs
 * nothing. */
int vmm_loop_catch_signal(VmmLoop *loop, int signo, VmmLoopFunc func, void *data);
