#ifndef CBUILDINFO_H
#define CBUILDINFO_H

/// The commit this binary was built from ("" from a plain `swift build`): see Package.swift.
const char *edgeflash_build_commit(void);

#endif
