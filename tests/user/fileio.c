/* File I/O against a directory given as argv[1]: open/write/lseek/read/pread, stat, rename, readdir, unlink. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  if (chdir(argv[1]) != 0) { perror("chdir"); return 1; }
  int fd = open("a.txt", O_CREAT | O_TRUNC | O_RDWR, 0644);
  if (fd < 0) { perror("open"); return 1; }
  const char *msg = "The quick brown fox jumps over the lazy dog\n";
  printf("write=%zd\n", write(fd, msg, strlen(msg)));
  printf("lseek=%ld\n", (long)lseek(fd, 4, SEEK_SET));
  char buf[64] = {0};
  printf("read=%zd [%.5s]\n", read(fd, buf, 5), buf);
  memset(buf, 0, sizeof buf);
  printf("pread=%zd [%s]\n", pread(fd, buf, 3, 40), buf);
  struct stat st;
  fstat(fd, &st);
  printf("size=%ld reg=%d mode=%o\n", (long)st.st_size, S_ISREG(st.st_mode), st.st_mode & 0777);
  close(fd);
  FILE *f = fopen("b.txt", "w");
  for (int i = 0; i < 1000; i++) fprintf(f, "line %d\n", i);
  fclose(f);
  f = fopen("b.txt", "r");
  char line[64];
  long sum = 0;
  int lines = 0;
  while (fgets(line, sizeof line, f)) { sum += atoi(line + 5); lines++; }
  fclose(f);
  printf("lines=%d sum=%ld\n", lines, sum);
  printf("rename=%d\n", rename("b.txt", "c.txt"));
  int rs = stat("b.txt", &st);
  printf("stat-old=%d errno=%d\n", rs, errno);
  int rm = mkdir("sub", 0755);
  printf("mkdir=%d access=%d\n", rm, access("sub", R_OK | W_OK));
  DIR *d = opendir(".");
  char *names[16];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 16) names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof names[0], cmp);
  for (int i = 0; i < n; i++) printf("entry %s\n", names[i]);
  int u1 = unlink("a.txt");
  int u2 = unlink("c.txt");
  printf("unlink=%d %d rmdir=%d\n", u1, u2, rmdir("sub"));
  int om = open("nope", O_RDONLY);
  printf("open-missing=%d errno=%d\n", om, errno);
  char cwd[256];
  printf("getcwd-ok=%d\n", getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, argv[1]) == 0);
  return 0;
}
