/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Fuzz targets for every parser of outside input, in libFuzzer's shape.
 * Built with clang and -Dfuzzing=true they are libFuzzer binaries; else
 * driver.c runs them over their seed corpus (a meson test, in the plain
 * and the sanitizer build). */

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a file (a memfd): for parsers that take a path or an fd.
 * Returns the fd; *path (static buffer) names it. Aborts on failure. */
int fuzz_input_file(const uint8_t *data, size_t size, const char **path);
