/* argv, envp and the portable parts of the auxiliary vector. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>

int main(int argc, char **argv, char **envp) {
  printf("argc=%d\n", argc);
  for (int i = 1; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  int n = 0;
  for (char **e = envp; *e; e++)
    if (strncmp(*e, "TSVM_T_", 7) == 0) printf("env %s\n", *e), n++;
  printf("getenv=%s\n", getenv("TSVM_T_A") ? getenv("TSVM_T_A") : "(null)");
  printf("pagesz=%lu\n", getauxval(AT_PAGESZ));
  printf("secure=%lu\n", getauxval(AT_SECURE));
  printf("uid-match=%d\n", getauxval(AT_UID) == (unsigned long)getuid());
  printf("random=%d execfn=%d entry=%d phnum=%d\n", getauxval(AT_RANDOM) != 0, getauxval(AT_EXECFN) != 0,
         getauxval(AT_ENTRY) != 0, getauxval(AT_PHNUM) > 0);
  printf("sysconf-pagesize=%ld\n", sysconf(_SC_PAGESIZE));
  return n == 2 ? 0 : 1;
}
