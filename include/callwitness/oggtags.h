/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Rewrites the OpusTags header of a finished Ogg Opus file in place.
 *
 * The tags are written before the first audio page, but a call's end time
 * and end reason are known only at hang-up. The writer reserves padding in
 * the OpusTags packet; this module replaces the comment list with a longer
 * one of exactly the same packet length (less padding), so no page moves and
 * only the header page's CRC changes. */

#include <stddef.h>

/* comments: "KEY=value" strings, which replace the user comments of the file
 * (the vendor string is kept). Returns 0, -ENOSPC when they do not fit in the
 * reserved padding (the file is left as it was), -EBADMSG for a file that is
 * not Ogg Opus with a single-page OpusTags, or -errno. */
int cw_oggtags_rewrite(int fd, const char *const *comments, size_t n_comments);

/* Reads the user comments of an Ogg Opus file: calls cb for each "KEY=value".
 * Returns 0, -EBADMSG, or -errno. */
int cw_oggtags_read(int fd, void (*cb)(const char *comment, void *userdata), void *userdata);
