/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* inih with what both our INI files need: the line of every key, and one
 * error message naming file, line and key. Internal to libcallwitness. */

#include <stddef.h>

#define CW_INI_MAX_LIST 16

typedef struct cw_ini cw_ini;

/* Returns non-zero to accept the key, or cw_ini_fail(). */
typedef int (*cw_ini_handler)(cw_ini *ini, const char *section, const char *key, const char *value,
                              void *userdata);

/* Parses path. Returns 0; -EINVAL with *error_message "path:line: [section]
 * key: what is wrong" (the first error only); or -errno (-ENOENT for a
 * missing file) with *error_message "path: reason". error_message may be
 * NULL. */
int cw_ini_parse(const char *path, cw_ini_handler handler, void *userdata, char **error_message);

/* Records what is wrong with a key (the first call wins) and returns 0, the
 * value a handler returns to reject it. */
int cw_ini_fail(cw_ini *ini, const char *section, const char *key, const char *format, ...)
        __attribute__((format(printf, 4, 5)));

/* Parses value as a list split at any of separators, blanks trimmed and
 * empty items dropped ("a, b,,c" with "," is {"a", "b", "c"}), into *items
 * (replacing what was there). Returns 1, or 0 after cw_ini_fail() for more
 * than CW_INI_MAX_LIST items, or 0 when out of memory. */
int cw_ini_set_list(cw_ini *ini, const char *section, const char *key, const char *value, const char *separators,
                    char ***items, size_t *n);
void cw_ini_free_list(char **items, size_t n);

/* Replaces *field with a copy of value (NULL for ""). 1, or 0 when out of
 * memory: what a handler returns. */
int cw_ini_set_text(char **field, const char *value);

/* What data files are named by: the file's name less ".conf". NULL when
 * out of memory. */
char *cw_ini_id_from_path(const char *path);

/* Loads dir/id.conf with load(), refusing an id that is a path. */
int cw_ini_load_id(const char *dir, const char *id, const char *what, int (*load)(const char *path, void *ret,
                   char **error_message), void *ret, char **error_message);
