/* Signals: a handler with siginfo for raise(), blocking and later delivery, SIGSEGV recovered with siglongjmp. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static volatile int code;
static sigjmp_buf env;

static void on_usr1(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  got = sig;
  code = si->si_signo;
}
static void on_segv(int sig) { siglongjmp(env, sig); }

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  printf("handler got=%d signo=%d\n", (int)got, code);
  got = 0;
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, &old);
  kill(getpid(), SIGUSR1);
  printf("while blocked got=%d\n", (int)got);
  sigprocmask(SIG_SETMASK, &old, NULL);
  printf("after unblock got=%d\n", (int)got);
  signal(SIGSEGV, on_segv);
  int r = sigsetjmp(env, 1);
  if (r == 0) {
    volatile int *p = (int *)16;
    *p = 1;
    printf("not reached\n");
  } else {
    printf("caught signal %d\n", r);
  }
  signal(SIGUSR2, SIG_IGN);
  raise(SIGUSR2);
  printf("ignored ok\n");
  fflush(stdout);
  return 0;
}
