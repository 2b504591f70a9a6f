/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cw_config_change_file: what the app's preferences (and any tool) write
 * into the person's own callwitness.conf. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callwitness/config.h"
#include "tap.h"

static char dir[] = "/tmp/test-config-edit-XXXXXX";
static char path[256];

static char *read_file(const char *name) {
        static char text[8192];
        FILE *f = fopen(name, "re");
        size_t n;

        if (!f)
                return NULL;
        n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[n] = '\0';
        return text;
}

/* Changes the file holding before; checks it then holds expected. */
static void changes_to(const char *name, const char *before, const cw_config_change *changes, size_t n,
                       const char *expected) {
        char *error = NULL, *after;
        int r;

        if (before)
                tap_write_file(path, before);
        else
                unlink(path);
        r = cw_config_change_file(path, changes, n, &error);
        after = read_file(path);
        ok(r == 0, "%s: written%s%s", name, error ? ": " : "", error ? error : "");
        ok(after && strcmp(after, expected) == 0, "%s: the file is\n%s", name, after ? after : "(none)");
        free(error);
}

/* Nothing but the file itself is left in the directory. */
static bool no_temporary_left(void) {
        DIR *d = opendir(dir);
        struct dirent *e;
        bool clean = true;

        while (d && (e = readdir(d)))
                if (e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                        clean = false;
        if (d)
                closedir(d);
        return clean;
}

static void refused_and_unchanged(const char *name, const char *before, const cw_config_change *change,
                                  int expected_r, const char *expected_words) {
        char *error = NULL, *after;
        int r;

        tap_write_file(path, before);
        r = cw_config_change_file(path, change, 1, &error);
        after = read_file(path);
        ok(r == expected_r, "%s: refused with %d (%s)", name, r, error ? error : "no message");
        ok(error && strstr(error, expected_words), "%s: the message says '%s'", name, expected_words);
        ok(after && strcmp(after, before) == 0, "%s: the file is as it was", name);
        ok(no_temporary_left(), "%s: no temporary file left", name);
        free(error);
}

static const char readme_like[] =
        "# my phone\n"
        "[audio]\n"
        "# bit/s for the stereo file\n"
        "bitrate = 32000\n"
        "\n"
        "[tagging]\n"
        "preset = auto\n"
        "# Your own quiet hours\n"
        "# night = 21:00-08:00\n"
        "\n"
        "[modem]\n"
        "backends = modemmanager, ofono\n";

static void comments_and_other_keys_are_kept(void) {
        changes_to("bitrate and night", readme_like,
                   (cw_config_change[]) { { "audio", "bitrate", "48000" }, { "tagging", "night", "22:00-07:00" } }, 2,
                   "# my phone\n"
                   "[audio]\n"
                   "# bit/s for the stereo file\n"
                   "bitrate = 48000\n"
                   "\n"
                   "[tagging]\n"
                   "preset = auto\n"
                   "# Your own quiet hours\n"
                   "# night = 21:00-08:00\n"
                   "night = 22:00-07:00\n"
                   "\n"
                   "[modem]\n"
                   "backends = modemmanager, ofono\n");
}

static void a_new_key_goes_after_its_section_last_key(void) {
        changes_to("mode added to [audio]", readme_like, (cw_config_change[]) { { "audio", "mode", "mixed" } }, 1,
                   "# my phone\n"
                   "[audio]\n"
                   "# bit/s for the stereo file\n"
                   "bitrate = 32000\n"
                   "mode = mixed\n"
                   "\n"
                   "[tagging]\n"
                   "preset = auto\n"
                   "# Your own quiet hours\n"
                   "# night = 21:00-08:00\n"
                   "\n"
                   "[modem]\n"
                   "backends = modemmanager, ofono\n");
        changes_to("a section that is not there", "[audio]\nbitrate = 32000",
                   (cw_config_change[]) { { "tagging", "night", "" } }, 1,
                   "[audio]\nbitrate = 32000\n\n[tagging]\nnight =\n");
}

static void a_missing_file_and_directory_are_made_private(void) {
        struct stat st;

        snprintf(path, sizeof path, "%s/new/callwitness.conf", dir);
        changes_to("a new file", NULL, (cw_config_change[]) { { "audio", "bitrate", "24000" } }, 1,
                   "[audio]\nbitrate = 24000\n");
        if (stat(path, &st) < 0)
                st.st_mode = 0;
        ok((st.st_mode & 0777) == 0600, "a new file is 0600 (%o)", st.st_mode & 0777);
        path[strlen(path) - strlen("/callwitness.conf")] = '\0';
        if (stat(path, &st) < 0)
                st.st_mode = 0;
        ok((st.st_mode & 0777) == 0700, "its new directory is 0700 (%o)", st.st_mode & 0777);
        snprintf(path, sizeof path, "%s/new/callwitness.conf", dir);
        unlink(path);
        path[strlen(path) - strlen("/callwitness.conf")] = '\0';
        rmdir(path);
        snprintf(path, sizeof path, "%s/callwitness.conf", dir);
}

static void the_key_that_counts_is_the_one_changed(void) {
        /* inih reads both: the last wins; an indented line continues it. */
        changes_to("the last of two", "[audio]\nbitrate = 16000\nbitrate = 24000\n",
                   (cw_config_change[]) { { "audio", "bitrate", "64000" } }, 1,
                   "[audio]\nbitrate = 16000\nbitrate = 64000\n");
        changes_to("a continued value", "[tagging]\nnight = 21:00-08:00\n  12:00-13:00\npreset = cn\n",
                   (cw_config_change[]) { { "tagging", "night", "23:00-06:00" } }, 1,
                   "[tagging]\nnight = 23:00-06:00\npreset = cn\n");
        changes_to("removed: every line of it", "[audio]\nmode = mixed\nbitrate = 24000\nmode = separate\n",
                   (cw_config_change[]) { { "audio", "mode", NULL } }, 1, "[audio]\nbitrate = 24000\n");
        changes_to("a repeated section", "[audio]\nbitrate = 24000\n[modem]\nbackends = ofono\n[audio]\n# end\n",
                   (cw_config_change[]) { { "audio", "mode", "local-only" } }, 1,
                   "[audio]\nbitrate = 24000\n[modem]\nbackends = ofono\n[audio]\nmode = local-only\n# end\n");
}

static void a_broken_file_is_never_overwritten(void) {
        refused_and_unchanged("a broken file", "[audio]\n# mine\nbitrate = 32k\n",
                              (cw_config_change[]) { { "tagging", "night", "22:00-07:00" } }, -EBADMSG,
                              "callwitness.conf:3: [audio] bitrate");
}

static void an_invalid_value_is_never_written(void) {
        refused_and_unchanged("a bitrate out of range", readme_like,
                              (cw_config_change[]) { { "audio", "bitrate", "5" } }, -EINVAL,
                              "[audio] bitrate: '5' is not a whole number");
        refused_and_unchanged("a night window out of range", readme_like,
                              (cw_config_change[]) { { "tagging", "night", "21:00-25:00" } }, -EINVAL,
                              "[tagging] night");
        refused_and_unchanged("a value inih would cut", readme_like,
                              (cw_config_change[]) { { "audio", "local_source", "mic ; x" } }, -EINVAL,
                              "cannot be written");
        refused_and_unchanged("a value of two lines", readme_like,
                              (cw_config_change[]) { { "audio", "local_source", "mic\nbitrate = 5" } }, -EINVAL,
                              "cannot be written");
}

static void the_mode_and_a_link_are_kept(void) {
        char target[300];
        struct stat st;

        snprintf(target, sizeof target, "%s/dotfiles.conf", dir);
        tap_write_file(target, "[audio]\nbitrate = 32000\n");
        chmod(target, 0640);
        unlink(path);
        if (symlink(target, path) < 0)
                abort();
        ok(cw_config_change_file(path, (cw_config_change[]) { { "audio", "bitrate", "40000" } }, 1, NULL) == 0,
           "through a link: written");
        ok(lstat(path, &st) == 0 && S_ISLNK(st.st_mode), "the link is still a link");
        ok(strcmp(read_file(target), "[audio]\nbitrate = 40000\n") == 0, "the file it points to is changed");
        if (stat(target, &st) < 0)
                st.st_mode = 0;
        ok((st.st_mode & 0777) == 0640, "its mode is kept (%o)", st.st_mode & 0777);
        unlink(path);
        unlink(target);
}

/* From a review: the page's ordinary save on a new phone changes two keys
 * of a section the file does not have. */
static void several_changes_make_one_section_and_the_last_counts(void) {
        changes_to("two keys of a new section", NULL,
                   (cw_config_change[]) { { "tagging", "night", "22:00-06:00" }, { "audio", "bitrate", "48000" },
                                          { "audio", "mode", "mixed" } }, 3,
                   "[tagging]\nnight = 22:00-06:00\n\n[audio]\nbitrate = 48000\nmode = mixed\n");
        changes_to("the same key twice", "[audio]\nbitrate = 32000\n",
                   (cw_config_change[]) { { "audio", "mode", "mixed" }, { "audio", "mode", "separate" } }, 2,
                   "[audio]\nbitrate = 32000\nmode = separate\n");
        changes_to("set, then removed", "[audio]\nbitrate = 32000\n",
                   (cw_config_change[]) { { "audio", "mode", "mixed" }, { "audio", "mode", NULL } }, 2,
                   "[audio]\nbitrate = 32000\n");
}

static void a_byte_order_mark_is_kept_and_read_past(void) {
        changes_to("a BOM: the key in its first section changed", "\xef\xbb\xbf[audio]\nbitrate = 24000\n",
                   (cw_config_change[]) { { "audio", "bitrate", "48000" } }, 1,
                   "\xef\xbb\xbf[audio]\nbitrate = 48000\n");
        changes_to("a BOM: the key removed", "\xef\xbb\xbf[audio]\nbitrate = 24000\nmode = mixed\n",
                   (cw_config_change[]) { { "audio", "mode", NULL } }, 1, "\xef\xbb\xbf[audio]\nbitrate = 24000\n");
}

static void a_dangling_link_gets_its_file_and_a_fifo_is_refused(void) {
        char target[300], *error = NULL;
        struct stat st;
        int r;

        snprintf(target, sizeof target, "%s/dots.conf", dir);
        unlink(path);
        unlink(target);
        if (symlink("dots.conf", path) < 0)
                abort();
        ok(cw_config_change_file(path, (cw_config_change[]) { { "audio", "bitrate", "40000" } }, 1, NULL) == 0,
           "a link to a file not there yet: written");
        ok(lstat(path, &st) == 0 && S_ISLNK(st.st_mode), "the link is still a link");
        ok(read_file(target) && strcmp(read_file(target), "[audio]\nbitrate = 40000\n") == 0,
           "the file it points to is made");
        unlink(path);
        unlink(target);

        if (mkfifo(path, 0600) < 0)
                abort();
        /* Waiting on a FIFO froze the app's main loop: now an error at once. */
        r = cw_config_change_file(path, (cw_config_change[]) { { "audio", "bitrate", "40000" } }, 1, &error);
        ok(r == -EBADMSG && error && strstr(error, "not a file"), "a FIFO at the path: refused (%d, %s)", r,
           error ? error : "no message");
        ok(lstat(path, &st) == 0 && S_ISFIFO(st.st_mode), "the FIFO is left as it is");
        free(error);
        unlink(path);
}

int main(void) {
        if (!mkdtemp(dir))
                return 1;
        snprintf(path, sizeof path, "%s/callwitness.conf", dir);

        comments_and_other_keys_are_kept();
        a_new_key_goes_after_its_section_last_key();
        a_missing_file_and_directory_are_made_private();
        the_key_that_counts_is_the_one_changed();
        a_broken_file_is_never_overwritten();
        an_invalid_value_is_never_written();
        the_mode_and_a_link_are_kept();
        several_changes_make_one_section_and_the_last_counts();
        a_byte_order_mark_is_kept_and_read_past();
        a_dangling_link_gets_its_file_and_a_fifo_is_refused();

        unlink(path);
        rmdir(dir);
        return tap_done();
}
