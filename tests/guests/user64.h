/* user64.h: the runtime of 64-bit user-mode payloads (user64.ld): port
 * I/O through the TSS bitmap, serial output, the verdict, idling.  The
 * 64-bit twin of lib.c's printing: payloads cannot link 32-bit code. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#define U_COM1 0x3f8
#define U_DEBUG_EXIT 0xf4

static inline void u_outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t u_inb(uint16_t port)
{
    uint8_t v;

    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint64_t u_rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static inline void u_relax(void)
{
    __asm__ volatile("pause" ::: "memory");
}

static inline void u_putc(char c)
{
    while (!(u_inb(U_COM1 + 5) & 0x20))
        u_relax();
    u_outb(U_COM1, (uint8_t)c);
}

static void u_put_uint(uint64_t v, unsigned base, int width)
{
    char buf[24];
    int n = 0;

    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (n < width)
        buf[n++] = '0';
    while (n)
        u_putc(buf[--n]);
}

/* %u %x (with a zero-padded width) %s, for uint32_t and strings */
static void u_printf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        int width = 0;

        if (*fmt != '%') {
            if (*fmt == '\n')
                u_putc('\r');
            u_putc(*fmt);
            continue;
        }
        fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        if (*fmt == 'u')
            u_put_uint(va_arg(ap, uint32_t), 10, width);
        else if (*fmt == 'x')
            u_put_uint(va_arg(ap, uint32_t), 16, width);
        else if (*fmt == 's')
            for (const char *s = va_arg(ap, const char *); *s; s++) {
                if (*s == '\n')
                    u_putc('\r');
                u_putc(*s);
            }
    }
    va_end(ap);
}

__attribute__((noreturn)) static void u_exit(uint8_t code)
{
    u_outb(U_DEBUG_EXIT, code);
    for (;;)
        u_relax();
}

/* the kernel part halts the CPU for good (an idle machine): @flag is
 * user_idle_flag's address (user.c), then a #UD asks */
__attribute__((noreturn)) static void u_idle(uint32_t flag)
{
    *(volatile uint32_t *)(uintptr_t)flag = 1;
    __asm__ volatile("ud2");
    for (;;)
        u_relax();
}
