// The target's one function is inline in include/CMalloc.h; SwiftPM needs a source file to build it.
#include "CMalloc.h"
