#define _GNU_SOURCE
#include "CMemory.h"

#if defined(__linux__)
#include <sys/mman.h>

void *medflow_mremap_grow(void *address, size_t old_size, size_t new_size) {
    void *moved = mremap(address, old_size, new_size, MREMAP_MAYMOVE);
    return moved == MAP_FAILED ? NULL : moved;
}
#else
void *medflow_mremap_grow(void *address, size_t old_size, size_t new_size) {
    (void)address; (void)old_size; (void)new_size;
    return NULL;
}
#endif
