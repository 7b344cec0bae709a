#ifndef MEDFLOW_CMEMORY_H
#define MEDFLOW_CMEMORY_H

#include <stddef.h>

/// Grows the anonymous mapping at `address` from `old_size` to `new_size` bytes, moving it if it must
/// (Linux `mremap` with MREMAP_MAYMOVE: page tables move, bytes are not copied; the new part reads as
/// zero). Returns the mapping's new address, or NULL where mremap is unavailable or fails (the old
/// mapping is then unchanged).
void *medflow_mremap_grow(void *address, size_t old_size, size_t new_size);

#endif
