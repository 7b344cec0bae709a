#ifndef MEDFLOW_CPREFETCH_H
#define MEDFLOW_CPREFETCH_H

/// Asks the CPU to start loading the cache line holding `address` (for reading and writing), so a
/// hash-table probe issued a few packets later finds it in cache. A hint only: never faults.
static inline void medflow_prefetch(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

#endif
