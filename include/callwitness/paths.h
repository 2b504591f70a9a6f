/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Where callwitness keeps things, and the names of recording files. */

#include <stddef.h>
#include <sys/types.h>

#include "callwitness/call.h"
#include "callwitness/timestamp.h"

/* $XDG_DATA_HOME/callwitness (default ~/.local/share/callwitness). The
 * caller frees *ret. 0, -ENOENT when neither XDG_DATA_HOME nor HOME is set,
 * or -ENOMEM. */
int cw_paths_data_dir(char **ret);

/* $XDG_CONFIG_HOME/callwitness/callwitness.conf. */
int cw_paths_config_file(char **ret);
/* $XDG_CONFIG_HOME/callwitness/device.key: the device's signing key. */
int cw_paths_device_key(char **ret);

/* Where device profiles are: $CALLWITNESS_PROFILES_DIR if set (running from
 * a source tree), else the installed data directory. */
const char *cw_paths_profiles_dir(void);
/* Where the rule presets are: $CALLWITNESS_PRESETS_DIR, else installed. */
const char *cw_paths_presets_dir(void);

/* Creates a directory and its missing parents with the given mode. An
 * existing directory is fine and keeps its mode. 0 or -errno. */
/* Each directory it creates is made durable (its parent synced). */
int cw_paths_mkdir_p(const char *path, mode_t mode);
/* Syncs the directory holding path: a file created or renamed there keeps
 * its name through a power cut. */
int cw_paths_sync_parent(const char *path);

/* Writes a form of the number that is safe as part of a file name: digits,
 * ASCII letters and '+' pass; every other byte (a UTF-8 sequence counts as
 * one character) becomes '_'; empty becomes "unknown"; at most
 * CW_NUMBER_FILE_MAX bytes are kept. Always terminates. */
#define CW_NUMBER_FILE_MAX 32
void cw_paths_sanitize_number(const char *number, char out[static CW_NUMBER_FILE_MAX + 1]);

/* Relative path of a recording under the data dir:
 * "recordings/2026/11/2026-11-24_23-40-05_in_+8613800000000.opus", using the
 * local time of the timestamp. The caller frees *ret. */
int cw_paths_recording_relpath(const cw_timestamp *started, cw_direction direction,
                               const char *number, char **ret);
/* The same for an encounter: "recordings/2026/11/2026-11-24_23-40-05_encounter.opus". */
int cw_paths_encounter_relpath(const cw_timestamp *started, char **ret);

/* Renames from to to, never replacing something at to (-EEXIST). Where the
 * filesystem has no RENAME_NOREPLACE (FUSE, some network filesystems): a
 * file is linked then unlinked, which cannot replace either; a directory
 * is renamed after checking that nothing is at to, which leaves a moment
 * in which another program could put something there. 0 or -errno. */
int cw_paths_rename_noreplace(const char *from, const char *to);

/* Creates a file under data_dir at relpath, or, if a file there already
 * took the name (a second call in the same second), at "x-2.opus" …
 * "x-9.opus", making missing directories 0700. create makes the file at
 * path and returns 0, -EEXIST (next name) or another -errno (stop). The
 * name taken goes to *relpath_ret (the caller frees it). 0 or -errno. */
int cw_paths_create_unique(const char *data_dir, const char *relpath, int (*create)(const char *path, void *userdata),
                           void *userdata, char **relpath_ret);
