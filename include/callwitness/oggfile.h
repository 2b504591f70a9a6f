/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* How much audio an Ogg Opus file holds, read from the file alone: for a
 * recording whose writer died with the daemon, the end of its audio is the
 * best account of when the call was last heard. */

#include <stdint.h>

/* The audio of the file at fd, in ms: the last intact page's granule
 * position less the stream's pre-skip (RFC 7845). 0, -EBADMSG for a file
 * that is not Ogg Opus or holds no audio page, or -errno. */
int cw_oggfile_duration_ms(int fd, int64_t *ret);
