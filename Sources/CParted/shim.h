#include <parted/parted.h>
