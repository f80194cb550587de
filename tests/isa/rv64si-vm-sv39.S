/* Sv39 virtual memory test (see vm.h). */
#define LEVELS 3
#include "vm.h"
