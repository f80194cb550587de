/* The smallest check: stdio through write(2), exit status. */
#include <stdio.h>

int main(void) {
  printf("hello, world\n");
  return 0;
}
