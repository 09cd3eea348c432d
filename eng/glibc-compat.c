/*
 * Binds the agent's two libm calls whose default symbol version is newer than glibc 2.28 to the
 * versions every glibc has: pow and log got new versions in 2.29 (the same functions without the
 * old SVID error-handling wrapper; the results are identical). With these, the binary needs at
 * most GLIBC_2.28 and runs on RHEL/UBI 8 userlands too. The link wraps the references
 * (-Wl,--wrap=pow,--wrap=log, see LeoFlow.Agent.Cli.csproj) so that every caller, the managed
 * code's Math.Pow/Math.Log and the runtime's own, goes through these.
 */
#if defined(__x86_64__)
#define LEOFLOW_BASELINE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define LEOFLOW_BASELINE "GLIBC_2.17"
#else
#error "glibc-compat.c: unknown architecture"
#endif

double pow(double x, double y);
double log(double x);

__asm__(".symver pow, pow@" LEOFLOW_BASELINE);
__asm__(".symver log, log@" LEOFLOW_BASELINE);

double __wrap_pow(double x, double y) { return pow(x, y); }
double __wrap_log(double x) { return log(x); }
