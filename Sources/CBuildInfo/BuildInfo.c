#include "CBuildInfo.h"

// Package.swift defines EDGEFLASH_COMMIT from the environment for this file alone, so packaging a
// new commit recompiles this one file and relinks, nothing else.
const char *edgeflash_build_commit(void) {
    return EDGEFLASH_COMMIT;
}
