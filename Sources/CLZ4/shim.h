#ifndef SOCKEYE_CLZ4_SHIM_H
#define SOCKEYE_CLZ4_SHIM_H
#include <lz4frame.h>

/// LZ4F_VERSION as a function (the macro's value for the header we build against).
static inline unsigned sockeye_lz4f_version(void) { return LZ4F_VERSION; }
#endif
