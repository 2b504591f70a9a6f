/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "callwitness/paths.h"
#include "tap.h"

static int sanitized_is(const char *number, const char *expected) {
        char out[CW_NUMBER_FILE_MAX + 1];

        cw_paths_sanitize_number(number, out);
        return ok(strcmp(out, expected) == 0, "'%s' -> '%s' (got '%s')",
                  number ? number : "(null)", expected, out);
}

static void number_sanitizing(void) {
        char long_number[201], out[CW_NUMBER_FILE_MAX + 1];

        sanitized_is("+8613800138000", "+8613800138000");
        sanitized_is("../../x", "______x");
        sanitized_is("", "unknown");
        sanitized_is(NULL, "unknown");
        sanitized_is("*#31#", "__31_");
        sanitized_is("\xe5\xbc\xa0\xe4\xb8\x89", "__");   /* 张三: one '_' per character */
        sanitized_is("a/b\\c d", "a_b_c_d");

        memset(long_number, '7', 200);
        long_number[200] = '\0';
        cw_paths_sanitize_number(long_number, out);
        ok(strlen(out) == CW_NUMBER_FILE_MAX, "200 characters are cut to %d", CW_NUMBER_FILE_MAX);
}

static void recording_name_uses_local_time(void) {
        int r;
        cw_timestamp ts;
        char *relpath = NULL;

        setenv("TZ", "Asia/Shanghai", 1);
        tzset();
        cw_timestamp_parse_rfc3339("2026-11-24T15:40:05Z", &ts);
        ts = cw_timestamp_from_utc_ms(ts.utc_ms);
        r = cw_paths_recording_relpath(&ts, CW_DIRECTION_INCOMING, "../+86 138", &relpath);
        ok(r == 0 &&
           strcmp(relpath, "recordings/2026/11/2026-11-24_23-40-05_in____+86_138.opus") == 0,
           "incoming at 23:40:05 +08:00: %s", relpath);
        free(relpath);

        cw_timestamp_parse_rfc3339("2026-12-31T16:30:00Z", &ts);
        ts = cw_timestamp_from_utc_ms(ts.utc_ms);
        r = cw_paths_recording_relpath(&ts, CW_DIRECTION_OUTGOING, "10086", &relpath);
        ok(r == 0 &&
           strcmp(relpath, "recordings/2027/01/2027-01-01_00-30-00_out_10086.opus") == 0,
           "local date, not UTC date, picks the folder: %s", relpath);
        free(relpath);
}

static void xdg_directories(void) {
        int r;
        char *path = NULL;

        setenv("XDG_DATA_HOME", "/srv/data", 1);
        r = cw_paths_data_dir(&path);
        ok(r == 0 && strcmp(path, "/srv/data/callwitness") == 0,
           "XDG_DATA_HOME is used: %s", path);
        free(path);

        setenv("XDG_DATA_HOME", "relative/dir", 1);
        setenv("HOME", "/home/user", 1);
        r = cw_paths_data_dir(&path);
        ok(r == 0 && strcmp(path, "/home/user/.local/share/callwitness") == 0,
           "a relative XDG_DATA_HOME is ignored: %s", path);
        free(path);

        unsetenv("XDG_CONFIG_HOME");
        r = cw_paths_config_file(&path);
        ok(r == 0 &&
           strcmp(path, "/home/user/.config/callwitness/callwitness.conf") == 0,
           "config file falls back to ~/.config: %s", path);
        free(path);

        unsetenv("XDG_DATA_HOME");
        unsetenv("HOME");
        r = cw_paths_data_dir(&path);
        ok(r < 0, "no HOME and no XDG_DATA_HOME is an error");
}

int main(void) {
        number_sanitizing();
        recording_name_uses_local_time();
        xdg_directories();
        return tap_done();
}
