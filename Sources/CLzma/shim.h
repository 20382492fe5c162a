#include <lzma.h>
// mallopt: the decoder fixes glibc's mmap threshold (XzDecoder.returnLargeBuffersToTheSystem).
#include <malloc.h>
