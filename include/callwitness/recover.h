/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Rebuilding a lost or damaged catalog from the recordings alone: each
 * file's OpusTags say who called, when, how it ended and how it was
 * tagged; its SHA-256 and length are taken anew. */

#include <stdbool.h>
#include <stddef.h>

#include "callwitness/timestamp.h"

typedef void (*cw_recover_problem_fn)(const char *problem, void *userdata);

typedef struct cw_recover_result {
        size_t recovered;        /* calls rebuilt */
        size_t skipped;          /* .opus files that could not be read as recordings (each told) */
        char *set_aside;         /* where the old catalog went (NULL: there was none); the caller frees */
} cw_recover_result;

/* Rebuilds data_dir/catalog.db. A catalog that opens fine is left alone
 * (-EEXIST) unless force. The old one (and its -wal, -shm) is renamed
 * aside, never deleted. The new audit log begins with a "recover" entry;
 * every rebuilt call carries a "recovered" warning naming its file and the
 * id it had. Returns 0 or -errno; problems with single files go to cb. */
int cw_recover_catalog(const char *data_dir, bool force, const cw_timestamp *now, cw_recover_result *result,
                       cw_recover_problem_fn cb, void *userdata);
