#include <xxhash.h>
#if defined(__x86_64__)
/* XXH3 picked at run time for the CPU (AVX2, AVX-512): the plain entry points are SSE2 only. */
#define XXH_DISPATCH_DISABLE_REPLACE 1
#include <xxh_x86dispatch.h>
#endif
