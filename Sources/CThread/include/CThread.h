#ifndef MEDFLOW_CTHREAD_H
#define MEDFLOW_CTHREAD_H

/// The calling thread's nice value (Linux: each thread has its own; -20 to 19); 0 where it cannot be read
/// or off Linux.
int medflow_thread_nice(void);

/// The process's nice value as it was started (`nice -n N medflow …`): its main thread's, whatever thread
/// asks; 0 where it cannot be read.
int medflow_process_nice(void);

/// Sets the calling thread's nice value (Linux: this thread only). Returns 0, or -1 when the system
/// refuses (a lower value than the current one needs privilege) or has no per-thread value.
int medflow_set_thread_nice(int nice);

#endif
