/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Evidence bundles: chosen calls exported as a folder or a .zip that a
 * stranger can check. It holds the original recordings byte for byte
 * (under recordings/), a copy of each that any player plays (an MP3 of
 * both sides mixed, by default), manifest.json, report.html and
 * report.txt, SHA256SUMS (sha256sum -c reads it) over every other file, and
 * SHA256SUMS.minisig, a minisign signature made with the device key. */

#include <stddef.h>
#include <stdint.h>

#include "callwitness/catalog.h"
#include "callwitness/rules.h"
#include "callwitness/devicekey.h"
#include "callwitness/timestamp.h"

#define CW_BUNDLE_FORMAT "callwitness-evidence-1"

/* The playable copy beside each original: MP3 (every computer and phone
 * plays it, a tenth of the size of WAV), WAV (16-bit, both sides as they
 * are), or none. */
typedef enum cw_bundle_copies {
        CW_COPIES_MP3,
        CW_COPIES_WAV,
        CW_COPIES_NONE,
} cw_bundle_copies;

/* "mp3", "wav", "none": 0, or -EINVAL. */
int cw_bundle_copies_from_string(const char *text, cw_bundle_copies *ret);

typedef struct cw_export_request {
        const int64_t *ids;          /* these calls, or (n_ids == 0) those filter selects */
        size_t n_ids;
        const cw_call_filter *filter;
        const char *output;          /* a folder to create, or a file ending in .zip */
        const char *data_dir;        /* where the recordings are */
        const cw_device_key *key;
        cw_timestamp now;
        const char *time_zone;       /* "Asia/Shanghai": named in the manifest and the report */
        const cw_rulebook *rules;    /* the rules calls are judged by, for "what the rules say"; NULL: none */
        cw_bundle_copies copies;
} cw_export_request;

typedef struct cw_export_result {
        size_t n_calls;
        size_t n_files;              /* in the bundle, SHA256SUMS and its signature included */
} cw_export_result;

/* Writes the bundle, recording the export in the catalog and its audit
 * log. Nothing is left behind on failure: the bundle is assembled next to
 * output and moved into place at the end. On failure *error_message (may
 * be NULL) receives a sentence; returns -ENOENT (an unknown call, named),
 * -ENODATA (no call selected), -EEXIST (output exists), -EBADMSG (a
 * recording no longer matches its SHA-256), or another -errno. */
int cw_export(cw_catalog *c, const cw_export_request *request, cw_export_result *result, char **error_message);

/* One thing wrong with a bundle, as a sentence naming the file. */
typedef void (*cw_bundle_problem_fn)(const char *problem, void *userdata);

/* Checks a bundle folder or .zip: the signature of SHA256SUMS with
 * expected_key, or (NULL) with the public key its manifest names, every
 * listed hash, no file missing or unlisted, and the manifest against the
 * files. A zip is unpacked into a temporary folder, every entry inside one
 * folder, at most CW_BUNDLE_MAX_ENTRIES entries and CW_BUNDLE_MAX_UNPACKED
 * bytes. *signing_key_ret (may be NULL): the key the signature was checked
 * with, for the caller to say whose it was. Returns the number of problems,
 * or -errno when the bundle cannot be read at all (also reported through
 * cb). */
#define CW_BUNDLE_MAX_ENTRIES 4096
#define CW_BUNDLE_MAX_UNPACKED (8ULL << 30)
int cw_bundle_verify(const char *path, const char *expected_key, char **signing_key_ret, cw_bundle_problem_fn cb,
                     void *userdata);
