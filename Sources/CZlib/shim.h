#ifndef SOCKEYE_CZLIB_SHIM_H
#define SOCKEYE_CZLIB_SHIM_H
#include <zlib.h>

/// inflateInit2(3) is a macro: gzip and zlib streams, detected from their header (windowBits 15 + 32).
static inline int sockeye_inflate_init(z_stream *stream) {
    return inflateInit2(stream, 15 + 32);
}
#endif
