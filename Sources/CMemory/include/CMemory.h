#ifndef MEDFLOW_CMEMORY_H
#define MEDFLOW_CMEMORY_H

#include <stddef.h>

/// Grows the anonymous mapping at `address` from `old_size` to `new_size` bytes, moving it if it must
/// (Linux `mremap` with MREMAP_MAYMOVE: page tables move, bytes are not copied; the new part reads as
/// zero). Returns the mapping's new address, or NULL where mremap is unavailable or fails (the old
/// mapping is then unchanged).
void *medflow_mremap_grow(void *address, size_t old_size, size_t new_size);

/// Guards the file mapping `[address, address + size)`: should reading it raise SIGBUS (the file was
/// truncated by another process after it was mapped, so pages past the new end no longer exist), the
/// process writes `medflow: <path>: the file shrank while it was being read (at byte N; truncated by
/// another process?)` to standard error and exits with status 65 (bad input data) instead of dying on
/// the signal. A SIGBUS anywhere else keeps its default action. At most 16 mappings are guarded at once;
/// returns 0 when the mapping is guarded, -1 when no slot is free or the handler cannot be installed
/// (the mapping is then unguarded). `path` is copied (up to 1023 bytes).
int medflow_guard_mapping(const void *address, size_t size, const char *path);

/// Stops guarding the mapping that begins at `address` (call before unmapping it).
void medflow_unguard_mapping(const void *address);

#endif
