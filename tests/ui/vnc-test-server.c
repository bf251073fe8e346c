/* vnc-test-server.c: a small VNC server for the console UI tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * None of the test guests runs a clipboard agent, so none can cut or paste
 * over VNC; this server stands in for one.  It listens on a Unix socket
 * (a libvirt domain's <graphics type='vnc' socket='...'/>), shows a fixed
 * picture, and talks on its standard streams:
 *
 *   stdin   "cut HEX" sends ServerCutText with the bytes HEX spells
 *           (raw bytes, so that the test chooses the encoding)
 *   stdout  "listening PATH", "client", "client-gone", and
 *           "client-cut HEX" for every ClientCutText received
 *
 * The picture encodes its own coordinates, so that a screenshot tells
 * which guest pixel each screen pixel shows: red = x & 0xff,
 * green = y & 0xff, blue = (x >> 8) << 4 | (y >> 8).
 *
 * Usage: vnc-test-server SOCKET [WIDTHxHEIGHT]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <rfb/rfb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void say(const char *format, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *format, ...)
{
    va_list args;

    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    putchar('\n');
    fflush(stdout);
}

static void
print_hex(const char *prefix, const unsigned char *data, size_t len)
{
    printf("%s ", prefix);
    for (size_t i = 0; i < len; i++)
        printf("%02x", data[i]);
    putchar('\n');
    fflush(stdout);
}

static void
on_client_cut_text(char *text, int len, rfbClientPtr cl)
{
    print_hex("client-cut", (const unsigned char *)text, len > 0 ? (size_t)len : 0);
}

static void
on_client_gone(rfbClientPtr cl)
{
    say("client-gone");
}

static enum rfbNewClientAction
on_new_client(rfbClientPtr cl)
{
    cl->clientGoneHook = on_client_gone;
    say("client");
    return RFB_CLIENT_ACCEPT;
}

static void
draw(rfbScreenInfoPtr screen)
{
    unsigned char *fb = (unsigned char *)screen->frameBuffer;

    for (int y = 0; y < screen->height; y++) {
        for (int x = 0; x < screen->width; x++) {
            unsigned char *p = fb + ((size_t)y * screen->width + x) * 4;
            p[0] = x & 0xff;
            p[1] = y & 0xff;
            p[2] = ((x >> 8) & 0xf) << 4 | ((y >> 8) & 0xf);
            p[3] = 0;
        }
    }
}

static int
hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One command line from stdin; returns 0 to stop. */
static int
command(rfbScreenInfoPtr screen, char *line)
{
    line[strcspn(line, "\r")] = '\0';
    if (strncmp(line, "cut ", 4) == 0) {
        const char *hex = line + 4;
        size_t n = strlen(hex) / 2;
        char *bytes = malloc(n + 1);

        for (size_t i = 0; i < n; i++) {
            int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                say("error bad hex");
                free(bytes);
                return 1;
            }
            bytes[i] = (char)(hi << 4 | lo);
        }
        rfbSendServerCutText(screen, bytes, (int)n);
        say("sent-cut");
        free(bytes);
    } else if (strcmp(line, "quit") == 0) {
        return 0;
    } else if (*line) {
        say("error unknown command");
    }
    return 1;
}

static int
listen_on(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "vnc-test-server: %s is too long for a socket path\n", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    unlink(path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
        fprintf(stderr, "vnc-test-server: cannot listen on %s: %s\n", path, strerror(errno));
        return -1;
    }
    return fd;
}

int
main(int argc, char **argv)
{
    int width = 1600, height = 1000;
    static char input[65536];
    size_t have = 0;
    int listen_fd, running = 1;

    if (argc < 2 || (argc > 2 && sscanf(argv[2], "%dx%d", &width, &height) != 2) || width <= 0 ||
        height <= 0 || width > 4096 || height > 4096) {
        fprintf(stderr, "usage: vnc-test-server SOCKET [WIDTHxHEIGHT]\n");
        return 2;
    }
    listen_fd = listen_on(argv[1]);
    if (listen_fd < 0)
        return 1;

    rfbLogEnable(0);
    rfbScreenInfoPtr screen = rfbGetScreen(NULL, NULL, width, height, 8, 3, 4);
    if (!screen)
        return 1;
    screen->desktopName = "vireo test";
    screen->frameBuffer = malloc((size_t)width * height * 4);
    screen->alwaysShared = TRUE;
    /* No listening of its own: clients come from our socket. */
    screen->autoPort = FALSE;
    screen->port = 0;
    screen->ipv6port = 0;
    screen->httpPort = 0;
    screen->setXCutText = on_client_cut_text;
    screen->newClientHook = on_new_client;
    draw(screen);
    rfbInitServer(screen);
    say("listening %s", argv[1]);

    while (running) {
        struct pollfd p[2] = {
            {.fd = STDIN_FILENO, .events = POLLIN},
            {.fd = listen_fd, .events = POLLIN},
        };
        if (poll(p, 2, 0) < 0 && errno != EINTR)
            break;
        if (p[0].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(STDIN_FILENO, input + have, sizeof input - 1 - have);
            char *start = input, *end;

            if (n <= 0)
                break;
            have += (size_t)n;
            input[have] = '\0';
            while (running && (end = strchr(start, '\n'))) {
                *end = '\0';
                running = command(screen, start);
                start = end + 1;
            }
            have -= (size_t)(start - input);
            memmove(input, start, have);
            if (have == sizeof input - 1)
                have = 0; /* a line too long to be a command */
        }
        if (p[1].revents & POLLIN) {
            int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0)
                rfbNewClient(screen, fd);
        }
        rfbProcessEvents(screen, 20000);
    }
    unlink(argv[1]);
    rfbShutdownServer(screen, TRUE);
    free(screen->frameBuffer);
    rfbScreenCleanup(screen);
    return 0;
}
