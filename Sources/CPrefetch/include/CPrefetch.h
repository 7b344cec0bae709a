#ifndef MEDFLOW_CPREFETCH_H
#define MEDFLOW_CPREFETCH_H

#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/// Asks the CPU to start loading the cache line holding `address` (for reading and writing), so a
/// hash-table probe issued a few packets later finds it in cache. A hint only: never faults.
static inline void medflow_prefetch(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

/// Asks the CPU to start loading the cache line holding `address` for reading (kept in every cache
/// level). A hint only: never faults, and does nothing where the page is not mapped yet.
static inline void medflow_prefetch_read(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// Compares the 16 control bytes at `control` with `tag`, 0 (empty) and 1 (deleted) at once and returns
/// one bit per byte for each: bits 0-15 where the byte equals `tag`, bits 16-31 where it is 0, bits 32-47
/// where it is 1 (bit i for byte i). SSE2 where the target has it (every x86-64), else a loop.
static inline uint64_t medflow_control_group16(const uint8_t *control, uint8_t tag) {
#if defined(__SSE2__)
    __m128i group = _mm_loadu_si128((const __m128i *)control);
    uint64_t match = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(group, _mm_set1_epi8((char)tag)));
    uint64_t empty = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(group, _mm_setzero_si128()));
    uint64_t deleted = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(group, _mm_set1_epi8(1)));
    return match | empty << 16 | deleted << 32;
#else
    uint64_t bits = 0;
    for (int i = 0; i < 16; i++) {
        uint8_t byte = control[i];
        if (byte == tag) bits |= (uint64_t)1 << i;
        if (byte == 0) bits |= (uint64_t)1 << (16 + i);
        if (byte == 1) bits |= (uint64_t)1 << (32 + i);
    }
    return bits;
#endif
}

#endif
