/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Changing callwitness.conf the way a person would with an editor: only
 * the lines of the keys changed move; comments, blank lines and the other
 * keys stay where they were written. The lines are told apart as inih
 * tells them (a comment, a [section], "key = value", an indented line that
 * continues the key before it); rather than trust that reading alone, the
 * file written is read again by inih itself and compared, key by key,
 * with the file before, before it replaces it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callwitness/config.h"
#include "callwitness/paths.h"
#include "ini-file.h"

/* inih's line buffer (INI_MAX_LINE) is 200 bytes: a longer line would be
 * cut. A value of ours (quiet hours, a source name) is far shorter. */
#define VALUE_MAX 150

typedef enum line_kind {
        LINE_BLANK_OR_COMMENT,
        LINE_SECTION,
        LINE_KEY,
        LINE_CONTINUATION,   /* indented: inih appends it to the key before */
} line_kind;

typedef struct line {
        const char *text;    /* into the file's text; not terminated */
        size_t len;
        line_kind kind;
        int section;         /* index of the line of its [section]; -1 before any */
        int key_line;        /* LINE_CONTINUATION: the line of its key */
        bool dropped;
        char *replacement;   /* "key = value", instead of the line */
        char *after;         /* lines added after it, each ending in '\n' */
} line;

typedef struct raw_key {
        char *section, *key, *value;
} raw_key;

/* Every key a file sets, with the value that counts (the last), as inih
 * reads it: what a change may and may not alter. */
typedef struct raw_keys {
        raw_key *items;
        size_t n;
        bool out_of_memory;
} raw_keys;

static int set_error(char **error_message, const char *format, ...) __attribute__((format(printf, 2, 3)));

static int set_error(char **error_message, const char *format, ...) {
        va_list ap;

        if (!error_message)
                return 0;
        va_start(ap, format);
        if (vasprintf(error_message, format, ap) < 0)
                *error_message = NULL;
        va_end(ap);
        return 0;
}

static void raw_keys_clear(raw_keys *keys) {
        for (size_t i = 0; i < keys->n; i++) {
                free(keys->items[i].section);
                free(keys->items[i].key);
                free(keys->items[i].value);
        }
        free(keys->items);
        *keys = (raw_keys) { 0 };
}

static raw_key *raw_keys_find(const raw_keys *keys, const char *section, const char *key) {
        for (size_t i = 0; i < keys->n; i++)
                if (strcmp(keys->items[i].section, section) == 0 && strcmp(keys->items[i].key, key) == 0)
                        return &keys->items[i];
        return NULL;
}

static int raw_keys_set(raw_keys *keys, const char *section, const char *key, const char *value) {
        raw_key *found = raw_keys_find(keys, section, key), *items;
        char *copy = strdup(value);

        if (!copy)
                return -ENOMEM;
        if (found) {
                free(found->value);
                found->value = copy;
                return 0;
        }
        items = realloc(keys->items, (keys->n + 1) * sizeof *items);
        if (!items) {
                free(copy);
                return -ENOMEM;
        }
        keys->items = items;
        items[keys->n] = (raw_key) { .section = strdup(section), .key = strdup(key), .value = copy };
        if (!items[keys->n].section || !items[keys->n].key) {
                free(items[keys->n].section);
                free(items[keys->n].key);
                free(copy);
                return -ENOMEM;
        }
        keys->n++;
        return 0;
}

static void raw_keys_remove(raw_keys *keys, const char *section, const char *key) {
        raw_key *found = raw_keys_find(keys, section, key);

        if (!found)
                return;
        free(found->section);
        free(found->key);
        free(found->value);
        *found = keys->items[--keys->n];
}

static int collect_key(cw_ini *ini, const char *section, const char *key, const char *value, void *userdata) {
        raw_keys *keys = userdata;

        if (raw_keys_set(keys, section, key, value) < 0)
                keys->out_of_memory = true;
        return 1;
}

static int read_raw_keys(const char *path, raw_keys *keys) {
        int r = cw_ini_parse(path, collect_key, keys, NULL);

        if (r == -ENOENT)
                r = 0;
        if (r == 0 && keys->out_of_memory)
                r = -ENOMEM;
        return r;
}

/* The file's text, or "" when there is none; *st_ret: what it was (st_ino
 * 0: none), to tell whether another program replaced it meanwhile. Opened
 * without blocking: a FIFO at the path is refused, not waited on. */
static int read_text(const char *path, char **ret, size_t *len_ret, struct stat *st_ret, char **error_message) {
        struct stat st;
        char *text;
        ssize_t n;
        size_t len = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), r;

        if (fd < 0 && errno == ENOENT) {
                *ret = strdup("");
                *len_ret = 0;
                *st_ret = (struct stat) { .st_mode = S_IFREG | 0600 };
                return *ret ? 0 : -ENOMEM;
        }
        if (fd < 0 || fstat(fd, &st) < 0) {
                r = -errno;
                if (fd >= 0)
                        close(fd);
                set_error(error_message, "%s: %s", path, strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode) || st.st_size > CW_CONFIG_FILE_MAX) {
                close(fd);
                set_error(error_message, "%s: %s", path,
                          S_ISREG(st.st_mode) ? "larger than a configuration can be" : "not a file");
                return S_ISREG(st.st_mode) ? -EFBIG : -EBADMSG;   /* not ours to replace */
        }
        if (!(text = malloc(CW_CONFIG_FILE_MAX + 1))) {
                close(fd);
                return -ENOMEM;
        }
        /* Read to the end, not to st_size: the file may have grown since. */
        while ((n = read(fd, text + len, CW_CONFIG_FILE_MAX + 1 - len)) > 0)
                len += (size_t) n;
        r = n < 0 ? -errno : 0;
        close(fd);
        if (r == 0 && len > CW_CONFIG_FILE_MAX)
                r = -EFBIG;
        if (r < 0) {
                free(text);
                set_error(error_message, "%s: %s", path, strerror(-r));
                return r;
        }
        text[len] = '\0';
        *ret = text;
        *len_ret = len;
        *st_ret = st;
        return 0;
}

/* Whether the file at path is still the one read (or still absent). */
static bool unchanged(const char *path, const struct stat *was) {
        struct stat now;

        if (stat(path, &now) < 0)
                return errno == ENOENT && was->st_ino == 0;
        return was->st_ino != 0 && now.st_ino == was->st_ino && now.st_dev == was->st_dev &&
               now.st_size == was->st_size && now.st_mtim.tv_sec == was->st_mtim.tv_sec &&
               now.st_mtim.tv_nsec == was->st_mtim.tv_nsec;
}

/* Where a change goes: the file path names, through a symbolic link (a
 * dotfiles repository) too, also one whose file does not exist yet. */
static int resolve_target(const char *path, char **ret) {
        char link[PATH_MAX];
        ssize_t n;

        if ((*ret = realpath(path, NULL)))
                return 0;
        if (errno != ENOENT)
                return -errno;
        n = readlink(path, link, sizeof link - 1);
        if (n < 0)   /* not a link: a file to create */
                return (*ret = strdup(path)) ? 0 : -ENOMEM;
        link[n] = '\0';
        if (link[0] == '/' || !strchr(path, '/'))
                *ret = strdup(link);
        else if (asprintf(ret, "%.*s/%s", (int) (strrchr(path, '/') - path), path, link) < 0)
                *ret = NULL;
        if (!*ret)
                return -ENOMEM;
        /* A link to a link that leads nowhere: too far to follow by hand. */
        if (readlink(*ret, link, sizeof link) >= 0) {
                free(*ret);
                *ret = NULL;
                return -ELOOP;
        }
        return 0;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r';
}

/* Splits text into lines and tells each kind, as inih's ini_parse_stream
 * does: after the leading blanks, ';' or '#' (or nothing) is a comment; an
 * indented line after a key continues it; '[' opens a section. */
static int split_lines(const char *text, size_t len, line **ret, size_t *n_ret) {
        size_t n = 0, cap = 16;
        line *lines = malloc(cap * sizeof *lines);
        int section = -1, last_key = -1;

        if (!lines)
                return -ENOMEM;
        for (const char *p = text; p < text + len;) {
                const char *end = memchr(p, '\n', (size_t) (text + len - p)), *start = p;
                line *l;

                if (!end)
                        end = text + len;
                if (n == cap) {
                        line *more = realloc(lines, (cap *= 2) * sizeof *lines);

                        if (!more) {
                                free(lines);
                                return -ENOMEM;
                        }
                        lines = more;
                }
                l = &lines[n];
                *l = (line) { .text = p, .len = (size_t) (end - p), .section = section, .key_line = -1 };
                while (start < end && is_blank(*start))
                        start++;
                if (start == end || *start == ';' || *start == '#')
                        l->kind = LINE_BLANK_OR_COMMENT;
                else if (last_key >= 0 && start > p) {
                        l->kind = LINE_CONTINUATION;
                        l->key_line = last_key;
                } else if (*start == '[') {
                        l->kind = LINE_SECTION;
                        l->section = section = (int) n;
                        last_key = -1;
                } else {
                        l->kind = LINE_KEY;
                        last_key = (int) n;
                }
                n++;
                p = end < text + len ? end + 1 : end;
        }
        *ret = lines;
        *n_ret = n;
        return 0;
}

/* The name of a [section] line, as inih takes it: up to ']', untrimmed. */
static bool section_is(const line *l, const char *name) {
        const char *open = memchr(l->text, '[', l->len), *close;

        if (!open)
                return false;
        close = memchr(open, ']', l->len - (size_t) (open - l->text));
        return close && (size_t) (close - open - 1) == strlen(name) && memcmp(open + 1, name, strlen(name)) == 0;
}

/* Whether text (len bytes) holds "key" before its first '=' or ':', blanks
 * around it ignored: a key line's name, or a commented-out example's. */
static bool names_key(const char *text, size_t len, const char *key) {
        const char *end = text + len, *delimiter;
        size_t key_len = strlen(key);

        while (text < end && is_blank(*text))
                text++;
        for (delimiter = text; delimiter < end && *delimiter != '=' && *delimiter != ':'; delimiter++)
                ;
        if (delimiter == end)
                return false;
        while (delimiter > text && is_blank(delimiter[-1]))
                delimiter--;
        return (size_t) (delimiter - text) == key_len && memcmp(text, key, key_len) == 0;
}

static bool is_key_line(const line *lines, const line *l, const char *section, const char *key) {
        return l->kind == LINE_KEY && l->section >= 0 && section_is(&lines[l->section], section) &&
               names_key(l->text, l->len, key);
}

static bool is_example_line(const line *lines, const line *l, const char *section, const char *key) {
        const char *start = l->text, *end = l->text + l->len;

        if (l->kind != LINE_BLANK_OR_COMMENT || l->section < 0 || !section_is(&lines[l->section], section))
                return false;
        while (start < end && is_blank(*start))
                start++;
        return start < end && (*start == '#' || *start == ';') && names_key(start + 1, (size_t) (end - start - 1), key);
}

static void drop_key(line *lines, size_t n, size_t at) {
        lines[at].dropped = true;
        for (size_t i = at + 1; i < n && lines[i].kind == LINE_CONTINUATION && lines[i].key_line == (int) at; i++)
                lines[i].dropped = true;
}

static int append_text(char **field, const char *text) {
        size_t old = *field ? strlen(*field) : 0;
        char *more = realloc(*field, old + strlen(text) + 1);

        if (!more)
                return -ENOMEM;
        memcpy(more + old, text, strlen(text) + 1);
        *field = more;
        return 0;
}

static bool is_name(const char *name) {
        if (!name[0])
                return false;
        for (const char *c = name; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
                        return false;
        return true;
}

/* A value inih gives back as it was written: one line, no blanks at its
 * ends (inih strips them), no ';' (an inline comment starts there). */
static bool is_plain_value(const char *value) {
        size_t len = strlen(value);

        if (len > VALUE_MAX || (len && (is_blank(value[0]) || is_blank(value[len - 1]))))
                return false;
        for (const unsigned char *c = (const unsigned char *) value; *c; c++)
                if (*c < 0x20 || *c == 0x7f || *c == ';')
                        return false;
        return true;
}

/* *tail holds the sections the file does not have, each "\n[name]\n" and
 * its "key = value\n" lines: a key goes into its section's block, which
 * is added when it is the first. */
static int add_to_tail(char **tail, const char *section, const char *key_line) {
        char *header, *block, *end, *joined;
        size_t at;
        int r = -ENOMEM;

        if (asprintf(&header, "\n[%s]\n", section) < 0)
                return -ENOMEM;
        block = *tail ? strstr(*tail, header) : NULL;
        if (!block) {
                r = append_text(tail, header) < 0 || append_text(tail, key_line) < 0 || append_text(tail, "\n") < 0
                            ? -ENOMEM : 0;
                free(header);
                return r;
        }
        end = strstr(block + strlen(header), "\n\n[");
        at = end ? (size_t) (end + 1 - *tail) : strlen(*tail);
        if (asprintf(&joined, "%.*s%s\n%s", (int) at, *tail, key_line, *tail + at) >= 0) {
                free(*tail);
                *tail = joined;
                r = 0;
        }
        free(header);
        return r;
}

/* Applies one change to the lines; *tail collects sections that are new. */
static int apply_change(line *lines, size_t n, const cw_config_change *change, char **tail) {
        ssize_t last = -1, anchor = -1, section = -1;
        char *text;
        int r;

        for (size_t i = 0; i < n; i++)
                if (!lines[i].dropped && is_key_line(lines, &lines[i], change->section, change->key)) {
                        if (!change->value)
                                drop_key(lines, n, i);   /* every one: an earlier would count */
                        last = (ssize_t) i;
                }
        if (!change->value)
                return 0;
        if (asprintf(&text, "%s =%s%s", change->key, change->value[0] ? " " : "", change->value) < 0)
                return -ENOMEM;
        if (last >= 0) {
                drop_key(lines, n, (size_t) last);
                lines[last].dropped = false;   /* the line stays, rewritten */
                free(lines[last].replacement);
                lines[last].replacement = text;
                return 0;
        }
        /* Where a person would add it: after the section's last key or its
         * commented-out example, whichever is later; else after its
         * header. The section's last occurrence, as inih merges them. */
        for (size_t i = 0; i < n; i++) {
                if (lines[i].kind == LINE_SECTION && section_is(&lines[i], change->section))
                        anchor = section = (ssize_t) i;
                else if (section >= 0 && lines[i].section == section &&
                         (lines[i].kind == LINE_KEY || lines[i].kind == LINE_CONTINUATION ||
                          is_example_line(lines, &lines[i], change->section, change->key)))
                        anchor = (ssize_t) i;
        }
        if (anchor >= 0)
                r = append_text(&lines[anchor].after, text) < 0 || append_text(&lines[anchor].after, "\n") < 0
                            ? -ENOMEM : 0;
        else
                r = add_to_tail(tail, change->section, text);
        free(text);
        return r;
}

static int render(const line *lines, size_t n, size_t bom, bool ends_in_newline, const char *tail, char **ret,
                  size_t *len_ret) {
        size_t size = 0;
        char *text = NULL;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                return -ENOMEM;
        fwrite("\xef\xbb\xbf", 1, bom, f);
        for (size_t i = 0; i < n; i++) {
                if (!lines[i].dropped) {
                        if (lines[i].replacement)
                                fputs(lines[i].replacement, f);
                        else
                                fwrite(lines[i].text, 1, lines[i].len, f);
                        if (i + 1 < n || ends_in_newline || lines[i].after || tail)
                                fputc('\n', f);
                }
                if (lines[i].after)
                        fputs(lines[i].after, f);
        }
        if (tail)
                fputs(n == 0 ? tail + 1 : tail, f);   /* a new file starts with its section */
        if (fclose(f) != 0) {
                free(text);
                return -ENOMEM;
        }
        *ret = text;
        *len_ret = size;
        return 0;
}

/* Writes text to a new file beside path; returns its name in *tmp_ret. */
static int write_temporary(const char *path, const char *text, size_t len, mode_t mode, char **tmp_ret) {
        const char *slash = strrchr(path, '/');
        char *tmp;
        int fd, r = 0;

        if (asprintf(&tmp, "%.*s.%s.XXXXXX", slash ? (int) (slash - path + 1) : 0, path, slash ? slash + 1 : path) < 0)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                free(tmp);
                return r;
        }
        /* The person's own mode stays; mkostemp's 0600 for a new file. */
        if (fchmod(fd, mode) < 0)
                r = -errno;
        for (size_t done = 0; r == 0 && done < len;) {
                ssize_t n = write(fd, text + done, len - done);

                if (n < 0 && errno != EINTR)
                        r = -errno;
                else if (n > 0)
                        done += (size_t) n;
        }
        /* Synced before the rename: after a power cut the name holds the
         * old file or the whole new one, never an empty one. */
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                free(tmp);
                return r;
        }
        *tmp_ret = tmp;
        return 0;
}

/* Whether the keys of the file written are those of the file before, with
 * the changes made, and no others. */
static bool only_changes_made(raw_keys *before, const raw_keys *after, const cw_config_change *changes,
                              size_t n_changes, char **error_message) {
        for (size_t i = 0; i < n_changes; i++) {
                if (!changes[i].value)
                        raw_keys_remove(before, changes[i].section, changes[i].key);
                else if (raw_keys_set(before, changes[i].section, changes[i].key, changes[i].value) < 0) {
                        set_error(error_message, "out of memory");
                        return false;
                }
        }
        for (size_t i = 0; i < before->n; i++) {
                const raw_key *now = raw_keys_find(after, before->items[i].section, before->items[i].key);

                if (!now || strcmp(now->value, before->items[i].value) != 0)
                        return set_error(error_message, "[%s] %s: the file could not be changed without changing "
                                         "this key too; edit it by hand", before->items[i].section,
                                         before->items[i].key), false;
        }
        if (after->n != before->n)
                return set_error(error_message, "the file could not be changed without adding another key; edit it "
                                 "by hand"), false;
        return true;
}

/* Whether a later change is to the same key: only the last one counts. */
static bool changed_again(const cw_config_change *changes, size_t n_changes, size_t i) {
        for (size_t j = i + 1; j < n_changes; j++)
                if (strcmp(changes[j].section, changes[i].section) == 0 && strcmp(changes[j].key, changes[i].key) == 0)
                        return true;
        return false;
}

int cw_config_change_file(const char *path, const cw_config_change *changes, size_t n_changes,
                          char **error_message) {
        char *target = NULL, *text = NULL, *tail = NULL, *written = NULL, *tmp = NULL, *error = NULL, *dir;
        raw_keys before = { 0 }, after = { 0 };
        line *lines = NULL;
        size_t len = 0, n_lines = 0, written_len = 0, bom = 0;
        struct stat was = { 0 };
        cw_config cfg;
        int r, dir_fd = -1;

        if (error_message)
                *error_message = NULL;
        cw_config_init_defaults(&cfg);
        for (size_t i = 0; i < n_changes; i++)
                if (!is_name(changes[i].section) || !is_name(changes[i].key) ||
                    (changes[i].value && !is_plain_value(changes[i].value))) {
                        set_error(error_message, "[%s] %s: '%s' cannot be written: one line of at most %d bytes "
                                  "without ';' or blanks at its ends", changes[i].section, changes[i].key,
                                  changes[i].value ? changes[i].value : "", VALUE_MAX);
                        return -EINVAL;
                }

        /* A link (a dotfiles repository) stays a link: its file changes. */
        r = resolve_target(path, &target);
        if (r < 0) {
                set_error(error_message, "%s: %s", path, strerror(-r));
                return r;
        }
        /* Two saves at once (a second window, the CLI) take turns; the
         * directory is locked, it stays when the file is replaced. */
        dir = strndup(target, strrchr(target, '/') ? (size_t) (strrchr(target, '/') - target) : 0);
        r = !dir ? -ENOMEM : dir[0] ? cw_paths_mkdir_p(dir, 0700) : 0;
        if (r == 0 && (dir_fd = open(dir[0] ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                r = -errno;
        if (r == 0 && flock(dir_fd, LOCK_EX) < 0)
                r = -errno;
        free(dir);
        if (r < 0) {
                set_error(error_message, "%s: %s", target, strerror(-r));
                goto finish;
        }

        if ((r = read_text(target, &text, &len, &was, error_message)) < 0)
                goto finish;
        r = cw_config_load(target, &cfg, &error);
        if (r == -EINVAL) {
                r = -EBADMSG;
                if (error_message) {
                        *error_message = error;
                        error = NULL;
                }
                goto finish;
        }
        if (r < 0) {
                set_error(error_message, "%s", error ? error : strerror(-r));
                goto finish;
        }
        /* inih skips a byte order mark; the lines are told apart after it,
         * and it is written back. */
        bom = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
        if ((r = read_raw_keys(target, &before)) < 0 ||
            (r = split_lines(text + bom, len - bom, &lines, &n_lines)) < 0)
                goto finish;
        for (size_t i = 0; i < n_changes; i++)
                if (!changed_again(changes, n_changes, i) && (r = apply_change(lines, n_lines, &changes[i], &tail)) < 0)
                        goto finish;
        if ((r = render(lines, n_lines, bom, len > 0 && text[len - 1] == '\n', tail, &written, &written_len)) < 0)
                goto finish;
        if ((r = write_temporary(target, written, written_len, was.st_mode & 07777, &tmp)) < 0) {
                set_error(error_message, "%s: %s", target, strerror(-r));
                goto finish;
        }
        /* The file as inih and the loader will read it, before it counts. */
        free(error);
        error = NULL;
        r = cw_config_load(tmp, &cfg, &error);
        if (r < 0) {
                const char *where = error ? strstr(error, ": [") : NULL;

                /* The temporary name means nothing to the person. */
                set_error(error_message, "%s", where ? where + 2 : error ? error : strerror(-r));
                r = -EINVAL;
                goto finish;
        }
        if ((r = read_raw_keys(tmp, &after)) < 0)
                goto finish;
        if (!only_changes_made(&before, &after, changes, n_changes, error_message)) {
                r = -EINVAL;
                goto finish;
        }
        /* A text editor does not take the lock: what it saved since the
         * file was read is not overwritten. */
        if (!unchanged(target, &was)) {
                r = -EAGAIN;
                set_error(error_message, "%s: another program changed it while it was being saved; nothing was "
                          "written, try again", target);
                goto finish;
        }
        if (rename(tmp, target) < 0) {
                r = -errno;
                set_error(error_message, "%s: %s", target, strerror(-r));
                goto finish;
        }
        free(tmp);
        tmp = NULL;
        r = cw_paths_sync_parent(target);
        if (r < 0)
                set_error(error_message, "%s: %s", target, strerror(-r));

finish:
        if (tmp) {
                unlink(tmp);
                free(tmp);
        }
        for (size_t i = 0; i < n_lines; i++) {
                free(lines[i].replacement);
                free(lines[i].after);
        }
        free(lines);
        raw_keys_clear(&before);
        raw_keys_clear(&after);
        cw_config_clear(&cfg);
        free(written);
        free(tail);
        free(text);
        free(error);
        free(target);
        if (dir_fd >= 0)
                close(dir_fd);   /* and the lock with it */
        return r;
}
