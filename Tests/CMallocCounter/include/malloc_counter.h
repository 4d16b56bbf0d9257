#ifndef SOCKEYE_MALLOC_COUNTER_H
#define SOCKEYE_MALLOC_COUNTER_H
/// Counts heap allocations made by the calling thread between start and stop.
/// The test binary links this library, whose malloc/calloc/realloc/aligned allocators
/// interpose glibc's (ELF symbol interposition) and forward to __libc_* entry points.
void sockeye_malloc_counter_start(void);
long sockeye_malloc_counter_stop(void);
#endif
