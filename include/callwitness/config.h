/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* callwitness.conf: INI, parsed with inih. Every key has a default, so a
 * missing file is a valid configuration. */

#include <stdbool.h>
#include <stddef.h>

#include "callwitness/call.h"
#include "callwitness/policy.h"
#include "callwitness/profile.h"
#include "callwitness/rules.h"

#define CW_BITRATE_MIN 6000
#define CW_BITRATE_MAX 256000
#define CW_BITRATE_DEFAULT 32000

typedef struct cw_config {
        char *profile;         /* [device] profile; NULL: detect the device */
        cw_capture_mode capture_mode;
        char *local_source;    /* NULL: the server's default source */
        char *remote_source;   /* NULL: the monitor of the default sink */
        int bitrate;           /* bit/s */
        cw_window night[CW_WINDOWS_MAX];
        size_t n_night;
        bool night_set;        /* [tagging] night given: replaces the default quiet hours */
        char *preset;          /* [tagging] preset; NULL: the one of the time zone */
        char *country_code;    /* [tagging] country_code; NULL: the preset's */
        bool backend_modemmanager;
        bool backend_ofono;
        char *mixer_card;      /* ALSA card for mixer_controls; NULL: none */
        char **mixer_controls; /* switched on during a call, restored after */
        size_t n_mixer_controls;
        char *card_name;       /* sound card (name or glob) switched for a call; NULL: none */
        char *card_profile;    /* its profile during a call */
        /* Which keys the file set: those win over the profile's. */
        bool capture_mode_set, local_source_set, remote_source_set, mixer_card_set, mixer_controls_set;
        bool card_name_set, card_profile_set;
} cw_config;

/* Fills *cfg with the defaults. Never fails. */
void cw_config_init_defaults(cw_config *cfg);

/* Loads a file over the defaults (not over *cfg: a key removed from the
 * file goes back to its default). A missing file is not an error. On
 * failure *cfg is untouched and, if error_message is not NULL, it receives a
 * malloc'ed sentence naming file, line and key ("…/callwitness.conf:7:
 * [audio] bitrate: '32k' is not a whole number of bit/s from 6000 to
 * 256000"). Returns 0, -EINVAL for bad content, or -errno for I/O. */
int cw_config_load(const char *path, cw_config *cfg, char **error_message);

void cw_config_clear(cw_config *cfg);

/* Fills the capture and mixer settings the file left unset from a device
 * profile. 0 or -ENOMEM. */
int cw_config_apply_profile(cw_config *cfg, const cw_profile *profile);

/* The rules the user's calls are judged by: the preset and quiet hours of
 * the user's callwitness.conf (defaults when there is none), for the
 * phone's time zone. On failure *error_message (may be NULL) says why. */
int cw_config_user_rulebook(cw_rulebook **ret, char **error_message);

/* --- changing the file (config-edit.c) ---------------------------------- */

/* One key of callwitness.conf to change. value NULL removes the key: its
 * default (or the device profile's) applies again. */
typedef struct cw_config_change {
        const char *section;
        const char *key;
        const char *value;
} cw_config_change;

/* Changes keys of the file at path and keeps everything else in it as the
 * person wrote it: comments, blank lines, the other keys and their order.
 * When a key is changed twice, the last change counts. A key that is set
 * is replaced on the line that counts (the last: the loader reads every
 * one, the last wins); a key that is not goes after the last key of its
 * section (or after its commented-out example, "# night = …"), or with a
 * new section at the end; a removed key loses every line.
 *
 * Nothing is written unless the result loads (cw_config_load) and differs
 * from the file as it was only in the keys changed. Written atomically: a
 * temporary file in the same directory (that of the file a symbolic link
 * points to, made if it does not exist), synced, renamed over the file,
 * the directory synced. A new file and its directory are private to the
 * user (0600, 0700).
 *
 * Returns 0, or:
 *   -EBADMSG  the file as it is does not load (or is no regular file: a
 *             FIFO is refused, not waited on): it is the person's to
 *             correct and is never overwritten; *error_message is the
 *             loader's sentence (file, line and key);
 *   -EAGAIN   another program replaced the file while it was being
 *             changed: nothing was written (callers of this function
 *             take turns, on a lock of the file's directory);
 *   -EINVAL   the changes do not make a valid file; *error_message says
 *             which key and why;
 *   -EFBIG    a file over CW_CONFIG_FILE_MAX bytes;
 *   -errno    reading or writing failed (*error_message names the file).
 * error_message may be NULL; else it is set on every failure (NULL when out
 * of memory). */
#define CW_CONFIG_FILE_MAX (64 * 1024)
int cw_config_change_file(const char *path, const cw_config_change *changes, size_t n_changes,
                          char **error_message);
