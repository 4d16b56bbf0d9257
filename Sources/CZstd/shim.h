#ifndef SOCKEYE_CZSTD_SHIM_H
#define SOCKEYE_CZSTD_SHIM_H
#include <zstd.h>
#endif
