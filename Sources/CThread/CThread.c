#define _GNU_SOURCE
#include "CThread.h"

#if defined(__linux__)
#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

// On Linux PRIO_PROCESS with a thread id addresses that thread alone (setpriority(2), "BUGS").
int medflow_thread_nice(void) {
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
    return errno == 0 ? nice : 0;
}

// The main thread's id is the process id.
int medflow_process_nice(void) {
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, (id_t)getpid());
    return errno == 0 ? nice : 0;
}

int medflow_set_thread_nice(int nice) {
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice);
}
#else
int medflow_thread_nice(void) { return 0; }
int medflow_process_nice(void) { return 0; }
int medflow_set_thread_nice(int nice) { (void)nice; return -1; }
#endif
