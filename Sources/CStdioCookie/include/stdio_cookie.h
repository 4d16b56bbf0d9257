#ifndef SOCKEYE_STDIO_COOKIE_H
#define SOCKEYE_STDIO_COOKIE_H
#include <stdio.h>
#include <sys/types.h>

/// Reads up to `size` bytes into `buffer`: the count, 0 at the end, -1 on an error (errno set).
typedef long (*sockeye_stream_read)(void *context, char *buffer, unsigned long size);
/// Called once when the stream is closed.
typedef void (*sockeye_stream_close)(void *context);

/// A read-only stdio stream whose data comes from `read` (glibc fopencookie(3)), so libpcap can
/// read a capture from decompressed or already partly consumed input. NULL on failure.
FILE *sockeye_open_read_stream(void *context, sockeye_stream_read read, sockeye_stream_close close);
#endif
