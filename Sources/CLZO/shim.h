#include <lzo/lzo1x.h>

/// `lzo_init()` is a macro Swift cannot call; this wrapper is the same check.
static inline int medflow_lzo_init(void) { return lzo_init(); }
