/* error.c: VmmError (see error.h). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool
vmm_error_set(VmmError *err, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return false;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return false;
}

void
vmm_error_prefix(VmmError *err, const char *fmt, ...)
{
    char prefix[sizeof(err->message)];
    size_t n, len;
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    n = strlen(prefix);
    len = strlen(err->message);
    if (n >= sizeof(err->message))
        n = sizeof(err->message) - 1;
    if (n + len >= sizeof(err->message))
        len = sizeof(err->message) - 1 - n;
    memmove(err->message + n, err->message, len);
    memcpy(err->message, prefix, n);
    err->message[n + len] = '\0';
}
