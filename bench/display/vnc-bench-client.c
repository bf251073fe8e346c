/* vnc-bench-client.c: a VNC viewer that only counts, for bench.py.
 *
 *   vnc-bench-client (--unix PATH | --tcp HOST:PORT) [--seconds N]
 *                    [--warmup N] [--encodings LIST]
 *
 * Connects (through an in-process relay that counts the bytes the server
 * sends), keeps asking for incremental updates as fast as they come, and
 * after --warmup seconds counts for --seconds: framebuffer updates
 * received (frames delivered) and bytes.  Prints "counting" when it
 * starts counting, then one line of JSON.
 * Pixels are lossless (no JPEG), as in the tests.
 */
#include <errno.h>
#include <gio/gio.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vnc-test-client.h"

static int server_fd, relay_fd;
static volatile uint64_t bytes_from_server;
static volatile int relay_done;

/* server <-> relay_fd, counting what the server sends */
static void *relay(void *arg)
{
    char buf[65536];

    for (;;) {
        struct pollfd p[2] = {{server_fd, POLLIN, 0}, {relay_fd, POLLIN, 0}};

        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(server_fd, buf, sizeof(buf));

            if (n <= 0)
                break;
            __atomic_add_fetch(&bytes_from_server, (uint64_t)n,
                               __ATOMIC_RELAXED);
            for (ssize_t off = 0; off < n;) {
                ssize_t w = write(relay_fd, buf + off, (size_t)(n - off));

                if (w <= 0)
                    goto out;
                off += w;
            }
        }
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(relay_fd, buf, sizeof(buf));

            if (n <= 0 || write(server_fd, buf, (size_t)n) != n)
                break;
        }
    }
out:
    relay_done = 1;
    shutdown(relay_fd, SHUT_RDWR);
    return NULL;
}

static int connect_to(const char *unix_path, const char *tcp, GError **error)
{
    g_autoptr(GSocketAddress) addr = NULL;
    g_autoptr(GSocket) sock = NULL;

    if (unix_path) {
        addr = g_unix_socket_address_new(unix_path);
    } else {
        g_autofree char *host = g_strdup(tcp);
        char *colon = strrchr(host, ':');

        if (!colon) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "--tcp wants HOST:PORT");
            return -1;
        }
        *colon = '\0';
        addr = g_inet_socket_address_new_from_string(host, atoi(colon + 1));
    }
    sock = g_socket_new(g_socket_address_get_family(addr),
                        G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                        error);
    if (!sock || !g_socket_connect(sock, addr, NULL, error))
        return -1;
    return dup(g_socket_get_fd(sock));
}

int main(int argc, char **argv)
{
    g_autofree char *unix_path = NULL, *tcp = NULL, *encodings = NULL;
    double seconds = 10, warmup = 2;
    GOptionEntry entries[] = {
        {"unix", 0, 0, G_OPTION_ARG_FILENAME, &unix_path, "Unix socket", "PATH"},
        {"tcp", 0, 0, G_OPTION_ARG_STRING, &tcp, "TCP address", "HOST:PORT"},
        {"seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Count for N s", "N"},
        {"warmup", 0, 0, G_OPTION_ARG_DOUBLE, &warmup, "Wait N s first", "N"},
        {"encodings", 0, 0, G_OPTION_ARG_STRING, &encodings,
         "libvncclient encodings list", "LIST"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- count VNC updates");
    g_autoptr(GError) error = NULL;
    VncTestClient *c;
    pthread_t thread;
    int sv[2];
    guint u0;
    uint64_t b0;
    gint64 t0, end;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error) ||
        (!unix_path == !tcp)) {
        fprintf(stderr, "vnc-bench-client: %s\n",
                error ? error->message : "give --unix PATH or --tcp HOST:PORT");
        return 2;
    }
    server_fd = connect_to(unix_path, tcp, &error);
    if (server_fd < 0) {
        fprintf(stderr, "vnc-bench-client: %s\n", error->message);
        return 1;
    }
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    relay_fd = sv[0];
    pthread_create(&thread, NULL, relay, NULL);
    c = vnc_test_client_new(sv[1], NULL, encodings, &error);
    if (!c) {
        fprintf(stderr, "vnc-bench-client: %s\n", error->message);
        return 1;
    }
    end = g_get_monotonic_time() + (gint64)(warmup * G_USEC_PER_SEC);
    while (g_get_monotonic_time() < end && !relay_done)
        vnc_test_client_pump(c, 10);
    u0 = vnc_test_client_updates(c);
    b0 = bytes_from_server;
    t0 = g_get_monotonic_time();
    printf("counting\n"); /* bench.py samples CPU from here */
    fflush(stdout);
    end = t0 + (gint64)(seconds * G_USEC_PER_SEC);
    while (g_get_monotonic_time() < end && !relay_done)
        if (!vnc_test_client_pump(c, 10))
            break;
    printf("{\"updates\": %u, \"bytes\": %llu, \"seconds\": %.3f, "
           "\"width\": %d, \"height\": %d}\n",
           vnc_test_client_updates(c) - u0,
           (unsigned long long)(bytes_from_server - b0),
           (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC,
           vnc_test_client_width(c), vnc_test_client_height(c));
    fflush(stdout);
    _exit(relay_done ? 1 : 0);
}
