/* Deliberately failing test: proves the runner can report failure.
 * Test 1 passes, test 2 checks 1+1 == 3 and must fail (exit status 2). */
#include "macros.h"
RVTEST_CODE_BEGIN
  TEST_RR_OP(1, add, 2, 1, 1)
  TEST_RR_OP(2, add, 3, 1, 1)
  RVTEST_PASS
RVTEST_CODE_END
