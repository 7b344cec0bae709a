#define _GNU_SOURCE
#include "CMemory.h"

#if defined(__linux__)
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void *medflow_mremap_grow(void *address, size_t old_size, size_t new_size) {
    void *moved = mremap(address, old_size, new_size, MREMAP_MAYMOVE);
    return moved == MAP_FAILED ? NULL : moved;
}

// MARK: - SIGBUS guard for mapped captures

enum { guard_slots = 16, guard_path_bytes = 1024 };

/// One guarded mapping. `base` is 0 while the slot is free, and the slot's other fields are written
/// before `base` is published (release) and read after it is seen (acquire), so the handler never reads
/// a half-written slot. A slot being claimed holds 1.
struct guarded_mapping {
    _Atomic uintptr_t base;
    size_t size;
    char path[guard_path_bytes];
};

static struct guarded_mapping guarded[guard_slots];
static atomic_int handler_installed;

/// Appends the decimal digits of `value` to `out` (async-signal-safe); returns the new end.
static char *append_decimal(char *out, size_t value) {
    char digits[24];
    int count = 0;
    do { digits[count++] = (char)('0' + value % 10); value /= 10; } while (value != 0);
    while (count > 0) *out++ = digits[--count];
    return out;
}

static void write_all(const char *bytes, size_t count) {
    while (count > 0) {
        ssize_t written = write(STDERR_FILENO, bytes, count);
        if (written <= 0) return;
        bytes += written;
        count -= (size_t)written;
    }
}

static void on_sigbus(int signal, siginfo_t *info, void *context) {
    (void)context;
    uintptr_t address = (uintptr_t)info->si_addr;
    for (int i = 0; i < guard_slots; i++) {
        uintptr_t base = atomic_load_explicit(&guarded[i].base, memory_order_acquire);
        if (base <= 1 || address < base || address - base >= guarded[i].size) continue;
        static const char prefix[] = "medflow: ";
        static const char middle[] = ": the file shrank while it was being read (at byte ";
        static const char suffix[] = "; truncated by another process?)\n";
        char line[guard_path_bytes + 128];
        char *out = line;
        memcpy(out, prefix, sizeof prefix - 1); out += sizeof prefix - 1;
        size_t path_length = strnlen(guarded[i].path, guard_path_bytes - 1);
        memcpy(out, guarded[i].path, path_length); out += path_length;
        memcpy(out, middle, sizeof middle - 1); out += sizeof middle - 1;
        out = append_decimal(out, (size_t)(address - base));
        memcpy(out, suffix, sizeof suffix - 1); out += sizeof suffix - 1;
        write_all(line, (size_t)(out - line));
        _exit(65);
    }
    // Not a guarded mapping: the default action, as if no handler were installed.
    struct sigaction fallback;
    memset(&fallback, 0, sizeof fallback);
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(signal, &fallback, NULL);
    raise(signal);
}

static int install_handler(void) {
    int expected = 0;
    if (!atomic_compare_exchange_strong(&handler_installed, &expected, 1)) return 0;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGBUS, &action, NULL) != 0) {
        atomic_store(&handler_installed, 0);
        return -1;
    }
    return 0;
}

int medflow_guard_mapping(const void *address, size_t size, const char *path) {
    if (address == NULL || size == 0 || install_handler() != 0) return -1;
    for (int i = 0; i < guard_slots; i++) {
        uintptr_t expected = 0;
        if (!atomic_compare_exchange_strong(&guarded[i].base, &expected, (uintptr_t)1)) continue;
        guarded[i].size = size;
        strncpy(guarded[i].path, path ? path : "", guard_path_bytes - 1);
        guarded[i].path[guard_path_bytes - 1] = 0;
        atomic_store_explicit(&guarded[i].base, (uintptr_t)address, memory_order_release);
        return 0;
    }
    return -1;
}

void medflow_unguard_mapping(const void *address) {
    for (int i = 0; i < guard_slots; i++) {
        uintptr_t expected = (uintptr_t)address;
        if (atomic_compare_exchange_strong(&guarded[i].base, &expected, (uintptr_t)0)) return;
    }
}
#else
void *medflow_mremap_grow(void *address, size_t old_size, size_t new_size) {
    (void)address; (void)old_size; (void)new_size;
    return NULL;
}

int medflow_guard_mapping(const void *address, size_t size, const char *path) {
    (void)address; (void)size; (void)path;
    return -1;
}

void medflow_unguard_mapping(const void *address) { (void)address; }
#endif
