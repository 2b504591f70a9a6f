/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The audit log: an append-only list of entries in the catalog, each
 * holding the SHA-256 of the one before it (a hash chain). Finished
 * recordings, ended calls, notes, caller identities, manual tags,
 * deletions and exports are entries, so altering or removing a file, a row
 * or an entry shows. Anyone can recompute an entry's hash from its fields:
 *
 *   SHA-256("callwitness-audit-v1\n" seq "\n" at_ms "\n" offset_s "\n"
 *           kind "\n" call_id "\n" prev "\n" body)
 *
 * with the numbers in decimal, call_id empty when the entry concerns no
 * call, prev the previous entry's hash in lowercase hex (64 zeros for the
 * first), and body the entry's JSON text exactly as stored. */

#include <stdint.h>

#include "callwitness/catalog.h"
#include "callwitness/hash.h"
#include "callwitness/timestamp.h"

#define CW_AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

typedef struct cw_audit_entry {
        int64_t seq;             /* 1, 2, 3 … */
        cw_timestamp at;
        const char *kind;        /* "call", "recording", "note", "identity", "tag", "untag", "delete", "export" */
        int64_t call_id;         /* 0: none */
        const char *body;        /* JSON */
        const char *prev;        /* hex */
        const char *hash;        /* hex */
} cw_audit_entry;

/* The hash an entry must carry, from its other fields. 0 or -ENOMEM. */
int cw_audit_entry_hash(const cw_audit_entry *e, char hex[static CW_SHA256_HEX_LEN + 1]);

/* Appends an entry at the end of the chain, in its own transaction. 0 or
 * -errno. */
int cw_audit_append(cw_catalog *c, const char *kind, int64_t call_id, const char *body, const cw_timestamp *at);

typedef int (*cw_audit_entry_fn)(const cw_audit_entry *e, void *userdata);

/* Entries in order; only those of call_id when call_id > 0. A non-zero
 * return from cb stops and is returned. */
int cw_audit_foreach(cw_catalog *c, int64_t call_id, cw_audit_entry_fn cb, void *userdata);

/* One thing that does not match, as a sentence naming it. */
typedef void (*cw_audit_problem_fn)(const char *problem, void *userdata);

/* Checks the chain (every hash, every link, no gap), every catalog row and
 * recording against the entries that cover it, and every file under
 * data_dir/recordings against its entry. Returns the number of problems
 * (each also passed to cb), or -errno when the catalog cannot be read. */
int cw_audit_verify(cw_catalog *c, const char *data_dir, cw_audit_problem_fn cb, void *userdata);
