/* CPU-bound work: qsort of pseudo-random data from a fixed-seed LCG, plus some floating point. */
#include <stdio.h>
#include <stdlib.h>

static unsigned long long state = 42;
static unsigned rnd(void) {
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (unsigned)(state >> 33);
}
static int cmp(const void *a, const void *b) {
  unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
  return x < y ? -1 : x > y;
}

int main(void) {
  enum { N = 50000 };
  unsigned *v = malloc(N * sizeof *v);
  for (int i = 0; i < N; i++) v[i] = rnd();
  qsort(v, N, sizeof *v, cmp);
  unsigned long long h = 1469598103934665603ULL;
  int sorted = 1;
  for (int i = 0; i < N; i++) {
    h = (h ^ v[i]) * 1099511628211ULL;
    if (i && v[i - 1] > v[i]) sorted = 0;
  }
  printf("sorted=%d min=%u max=%u median=%u hash=%016llx\n", sorted, v[0], v[N - 1], v[N / 2], h);
  double s = 0;
  for (int i = 1; i <= 1000; i++) s += 1.0 / ((double)i * i);
  printf("basel=%.12f\n", s);
  free(v);
  return 0;
}
