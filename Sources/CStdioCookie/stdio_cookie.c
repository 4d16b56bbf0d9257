#define _GNU_SOURCE
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include "stdio_cookie.h"

struct stream {
    void *context;
    sockeye_stream_read read;
    sockeye_stream_close close;
};

static ssize_t cookie_read(void *cookie, char *buffer, size_t size) {
    struct stream *s = cookie;
    return (ssize_t)s->read(s->context, buffer, (unsigned long)size);
}

static int cookie_close(void *cookie) {
    struct stream *s = cookie;
    s->close(s->context);
    free(s);
    return 0;
}

FILE *sockeye_open_read_stream(void *context, sockeye_stream_read read, sockeye_stream_close close) {
#if defined(__GLIBC__)
    struct stream *s = malloc(sizeof *s);
    if (s == NULL) return NULL;
    s->context = context;
    s->read = read;
    s->close = close;
    cookie_io_functions_t io = { .read = cookie_read, .write = NULL, .seek = NULL, .close = cookie_close };
    FILE *f = fopencookie(s, "r", io);
    if (f == NULL) free(s);
    return f;
#else
    (void)context; (void)read; (void)close;
    errno = ENOTSUP;
    return NULL;
#endif
}
