/* Sv48 virtual memory test (see vm.h). */
#define LEVELS 4
#include "vm.h"
