/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static int create_exclusive(const char *path, void *userdata) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

        if (fd < 0)
                return -errno;
        close(fd);
        return 0;
}

static void second_call_in_the_same_second_gets_its_own_file(void) {
        char dir[] = "/tmp/test-paths-XXXXXX", path[256];
        char *first = NULL, *second = NULL, *third = NULL;
        struct stat st;

        if (!mkdtemp(dir))
                abort();
        ok(cw_paths_create_unique(dir, "recordings/2026/11/a_in_+86.opus", create_exclusive, NULL, &first) == 0 &&
           strcmp(first, "recordings/2026/11/a_in_+86.opus") == 0, "the first takes the name (%s)", first);
        snprintf(path, sizeof path, "%s/recordings/2026", dir);
        ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0700, "directories are made 0700");
        ok(cw_paths_create_unique(dir, "recordings/2026/11/a_in_+86.opus", create_exclusive, NULL, &second) == 0 &&
           strcmp(second, "recordings/2026/11/a_in_+86-2.opus") == 0, "the second gets -2 (%s)", second);
        for (int i = 3; i <= 9; i++) {
                free(third);
                third = NULL;
                cw_paths_create_unique(dir, "recordings/2026/11/a_in_+86.opus", create_exclusive, NULL, &third);
        }
        ok(cw_paths_create_unique(dir, "recordings/2026/11/a_in_+86.opus", create_exclusive, NULL, &third) == -EEXIST,
           "after nine, -EEXIST");
        free(first);
        free(second);
        free(third);
        snprintf(path, sizeof path, "rm -rf %s", dir);
        ok(system(path) == 0, "cleaned up");
}

static void rename_never_replaces(void) {
        char dir[] = "/tmp/test-paths-XXXXXX", from[256], to[256];

        if (!mkdtemp(dir))
                abort();
        snprintf(from, sizeof from, "%s/from", dir);
        snprintf(to, sizeof to, "%s/to", dir);
        tap_write_file(from, "new");
        tap_write_file(to, "old");
        ok(cw_paths_rename_noreplace(from, to) == -EEXIST, "an existing file is not replaced");
        unlink(to);
        ok(cw_paths_rename_noreplace(from, to) == 0 && access(from, F_OK) < 0 && access(to, F_OK) == 0, "renamed");
        unlink(to);
        rmdir(dir);
}

int main(void) {
        number_sanitizing();
        recording_name_uses_local_time();
        xdg_directories();
        second_call_in_the_same_second_gets_its_own_file();
        rename_never_replaces();
        return tap_done();
}
