#!/bin/sh
# Regenerates man/edgeflash.1 from the argument parser itself: swift-argument-parser's
# generate-manual plugin builds edgeflash (debug, faster than the plugin's default release build)
# and renders its `--experimental-dump-help`. Works offline: the plugin comes with the package's
# own checkout of swift-argument-parser.
#
#   scripts/gen-man.sh            (from anywhere in the repository)
#
# Run it after changing any command, option or help text, and commit man/edgeflash.1.
# Tests/EndToEndTests/ManPageTests.swift fails while the page is out of date.
# The page's date is the last commit's date, so regenerating unchanged sources changes nothing.
set -eu
cd "$(dirname "$0")/.."
date=$(git log -1 --format=%cs 2>/dev/null || date -u +%F)
swift package --disable-sandbox plugin generate-manual --configuration debug --date "$date" --output-directory man
echo "man/edgeflash.1 regenerated; view it with: man -l man/edgeflash.1"
