/** The handler result meaning "registers already set, do not write a0" (exit, execve, rt_sigreturn). */
export const NORETURN_VALUE = -0x40000001;
