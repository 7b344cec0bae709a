// The target's functions are static inline in include/CPrefetch.h; SwiftPM needs one source file.
#include "CPrefetch.h"
