/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ini-file.h"

struct cw_ini {
        FILE *file;
        int line;            /* of the text inih is looking at */
        int error_line;      /* of the first rejected key, 0 if none */
        char *error;         /* "[section] key: what is wrong" */
        cw_ini_handler handler;
        void *userdata;
};

void cw_ini_free_list(char **items, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(items[i]);
        free(items);
}

/* Splits text at any of separators, trimming blanks: "a, b,c" with "," →
 * {"a", "b", "c"}. At most CW_INI_MAX_LIST items. */
static int split_list(const char *text, const char *separators, char ***ret, size_t *n_ret) {
        char *copy = strdup(text), *save = NULL, **items = calloc(CW_INI_MAX_LIST, sizeof *items);
        size_t n = 0;

        if (!copy || !items)
                goto oom;
        for (char *item = strtok_r(copy, separators, &save); item; item = strtok_r(NULL, separators, &save)) {
                char *end;

                while (*item == ' ' || *item == '\t')
                        item++;
                end = item + strlen(item);
                while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
                        *--end = '\0';
                if (!*item)
                        continue;
                if (n == CW_INI_MAX_LIST) {
                        free(copy);
                        cw_ini_free_list(items, n);
                        return -E2BIG;
                }
                if (!(items[n++] = strdup(item)))
                        goto oom;
        }
        free(copy);
        *ret = items;
        *n_ret = n;
        return 0;
oom:
        free(copy);
        cw_ini_free_list(items, n);
        return -ENOMEM;
}

int cw_ini_set_list(cw_ini *ini, const char *section, const char *key, const char *value, const char *separators,
                    char ***items, size_t *n) {
        char **parsed;
        size_t n_parsed;
        int r = split_list(value, separators, &parsed, &n_parsed);

        if (r == -E2BIG)
                return cw_ini_fail(ini, section, key, "more than %d entries", CW_INI_MAX_LIST);
        if (r < 0)
                return 0;
        cw_ini_free_list(*items, *n);
        *items = parsed;
        *n = n_parsed;
        return 1;
}

int cw_ini_fail(cw_ini *ini, const char *section, const char *key, const char *format, ...) {
        char *what = NULL;
        va_list ap;

        if (ini->error_line)
                return 0;   /* the first error is the one worth reading */
        va_start(ap, format);
        if (vasprintf(&what, format, ap) < 0)
                what = NULL;
        va_end(ap);
        ini->error_line = ini->line;
        if (asprintf(&ini->error, "[%s] %s: %s", section, key, what ? what : "invalid") < 0)
                ini->error = NULL;
        free(what);
        return 0;
}

/* inih gives no line numbers to the handler; counting the lines it reads
 * does. */
static char *read_line(char *buffer, int size, void *userdata) {
        cw_ini *ini = userdata;
        char *line = fgets(buffer, size, ini->file);

        if (line)
                ini->line++;
        return line;
}

static int dispatch(void *userdata, const char *section, const char *key, const char *value) {
        cw_ini *ini = userdata;

        return ini->handler(ini, section, key, value, ini->userdata);
}

/* Only a regular file: a FIFO or a device at a configuration's path would
 * block (or never end) the daemon's start and the app's main loop. Opened
 * without blocking, checked, then read as usual. */
static FILE *open_regular(const char *path, int *error) {
        struct stat st;
        FILE *f;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

        if (fd < 0) {
                *error = -errno;
                return NULL;
        }
        if (fstat(fd, &st) < 0) {
                *error = -errno;
                close(fd);
                return NULL;
        }
        if (!S_ISREG(st.st_mode)) {
                *error = -EINVAL;
                close(fd);
                return NULL;
        }
        /* Blocking again: a regular file never blocks, and stdio expects it. */
        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0 || !(f = fdopen(fd, "r"))) {
                *error = -errno;
                close(fd);
                return NULL;
        }
        return f;
}

int cw_ini_parse(const char *path, cw_ini_handler handler, void *userdata, char **error_message) {
        cw_ini ini = { .handler = handler, .userdata = userdata };
        int r, n = 0;

        ini.file = open_regular(path, &r);
        if (!ini.file) {
                if (error_message && asprintf(error_message, "%s: %s", path,
                                              r == -EINVAL ? "not a file" : strerror(-r)) < 0)
                        *error_message = NULL;
                return r;
        }
        r = ini_parse_stream(read_line, &ini, dispatch, &ini);
        fclose(ini.file);
        if (r != 0 && error_message) {
                if (r < 0)
                        n = asprintf(error_message, "%s: cannot read", path);
                else if (ini.error_line && ini.error_line <= r)
                        n = asprintf(error_message, "%s:%d: %s", path, ini.error_line,
                                     ini.error ? ini.error : "invalid");
                else
                        n = asprintf(error_message, "%s:%d: not 'key = value', a [section] or a comment", path, r);
                if (n < 0)
                        *error_message = NULL;
        }
        free(ini.error);
        return r == 0 ? 0 : r < 0 ? -EIO : -EINVAL;
}

int cw_ini_set_text(char **field, const char *value) {
        free(*field);
        *field = value[0] ? strdup(value) : NULL;
        return !value[0] || *field;
}

char *cw_ini_id_from_path(const char *path) {
        const char *base = strrchr(path, '/');
        size_t len;

        base = base ? base + 1 : path;
        len = strlen(base);
        if (len > 5 && strcmp(base + len - 5, ".conf") == 0)
                len -= 5;
        return strndup(base, len);
}

int cw_ini_load_id(const char *dir, const char *id, const char *what, int (*load)(const char *path, void *ret,
                   char **error_message), void *ret, char **error_message) {
        char *path;
        int r;

        /* An id is a file name, never a path. */
        if (!id[0] || strchr(id, '/') || id[0] == '.') {
                if (error_message && asprintf(error_message, "'%s' is not a %s name", id, what) < 0)
                        *error_message = NULL;
                return -EINVAL;
        }
        if (asprintf(&path, "%s/%s.conf", dir, id) < 0)
                return -ENOMEM;
        r = load(path, ret, error_message);
        if (r == -ENOENT && error_message) {
                free(*error_message);
                if (asprintf(error_message, "there is no %s '%s' (%s)", what, id, path) < 0)
                        *error_message = NULL;
        }
        free(path);
        return r;
}
