#ifndef MEDFLOW_CMALLOC_H
#define MEDFLOW_CMALLOC_H

#if defined(__GLIBC__) || (defined(__linux__) && !defined(__ANDROID__))
#include <malloc.h>
#endif

/// Sets glibc's malloc to keep freed memory for reuse: a fixed mapping threshold (blocks below it come
/// from the heap and are reused after free), a large trim threshold (freed heap memory is not handed
/// back at once) and at most `arena_max` arenas (with one, a block freed on one thread serves the next
/// allocation on any other). Returns 1 when the C library took the settings, 0 where it has no such knobs.
static inline int medflow_keep_freed_memory(int mmap_threshold, int trim_threshold, int top_pad, int arena_max) {
#if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD) && defined(M_TOP_PAD) && defined(M_ARENA_MAX)
    return mallopt(M_MMAP_THRESHOLD, mmap_threshold) && mallopt(M_TRIM_THRESHOLD, trim_threshold)
        && mallopt(M_TOP_PAD, top_pad) && mallopt(M_ARENA_MAX, arena_max);
#else
    (void)mmap_threshold; (void)trim_threshold; (void)top_pad; (void)arena_max;
    return 0;
#endif
}

#endif
