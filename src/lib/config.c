/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/config.h"

void cw_config_init_defaults(cw_config *cfg) {
        *cfg = (cw_config) {
                .bitrate = CW_BITRATE_DEFAULT,
                /* 21:00-08:00: outside 08:00-21:00, the hours collection
                 * rules in China (NIFA), the US (FDCPA) and the UK (FCA)
                 * treat as the limit. */
                .night = { { .start_min = 21 * 60, .end_min = 8 * 60 } },
                .n_night = 1,
                .backend_modemmanager = true,
                .backend_ofono = true,
        };
}

void cw_config_clear(cw_config *cfg) {
        free(cfg->local_source);
        free(cfg->remote_source);
        cw_config_init_defaults(cfg);
}

typedef struct parse_state {
        cw_config cfg;
        FILE *file;
        int line;            /* of the text inih is looking at */
        int error_line;      /* first error the handler found, 0 if none */
        char *error;         /* "[section] key: what is wrong" */
} parse_state;

static int fail(parse_state *s, const char *section, const char *key, const char *format, ...)
        __attribute__((format(printf, 4, 5)));

static int fail(parse_state *s, const char *section, const char *key, const char *format, ...) {
        char *what = NULL;
        va_list ap;

        if (s->error_line)
                return 0;   /* the first error is the one worth reading */
        va_start(ap, format);
        if (vasprintf(&what, format, ap) < 0)
                what = NULL;
        va_end(ap);
        s->error_line = s->line;
        if (asprintf(&s->error, "[%s] %s: %s", section, key, what ? what : "invalid") < 0)
                s->error = NULL;
        free(what);
        return 0;
}

static int set_string(char **field, const char *value) {
        char *copy = NULL;

        if (value[0] != '\0' && !(copy = strdup(value)))
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

static int parse_backends(parse_state *s, const char *section, const char *key, const char *value) {
        char *copy = strdup(value), *save = NULL;
        bool mm = false, ofono = false;
        int ok = 1;

        if (!copy)
                return 0;
        for (char *word = strtok_r(copy, ", \t", &save); word; word = strtok_r(NULL, ", \t", &save)) {
                if (strcmp(word, "modemmanager") == 0)
                        mm = true;
                else if (strcmp(word, "ofono") == 0)
                        ofono = true;
                else {
                        ok = fail(s, section, key, "unknown backend '%s' (known: modemmanager, ofono)", word);
                        break;
                }
        }
        free(copy);
        if (ok && !mm && !ofono)
                ok = fail(s, section, key, "names no backend; use modemmanager, ofono or both");
        if (ok) {
                s->cfg.backend_modemmanager = mm;
                s->cfg.backend_ofono = ofono;
        }
        return ok;
}

static int handle_key(void *userdata, const char *section, const char *key, const char *value) {
        parse_state *s = userdata;

        if (strcmp(section, "audio") == 0) {
                if (strcmp(key, "mode") == 0) {
                        if (cw_capture_mode_from_string(value, &s->cfg.capture_mode) < 0)
                                return fail(s, section, key, "'%s' is not one of separate, mixed, local-only", value);
                        return 1;
                }
                if (strcmp(key, "local_source") == 0)
                        return set_string(&s->cfg.local_source, value) == 0;
                if (strcmp(key, "remote_source") == 0)
                        return set_string(&s->cfg.remote_source, value) == 0;
                if (strcmp(key, "bitrate") == 0) {
                        char *end;
                        long v;

                        errno = 0;
                        v = strtol(value, &end, 10);
                        if (errno || end == value || *end || v < CW_BITRATE_MIN || v > CW_BITRATE_MAX)
                                return fail(s, section, key,
                                            "'%s' is not a whole number of bit/s from %d to %d",
                                            value, CW_BITRATE_MIN, CW_BITRATE_MAX);
                        s->cfg.bitrate = (int) v;
                        return 1;
                }
        } else if (strcmp(section, "tagging") == 0) {
                if (strcmp(key, "night") == 0) {
                        if (value[0] == '\0') {
                                s->cfg.n_night = 0;   /* night tagging switched off */
                                return 1;
                        }
                        if (cw_windows_parse(value, s->cfg.night, CW_WINDOWS_MAX, &s->cfg.n_night) < 0)
                                return fail(s, section, key,
                                            "'%s' is not a list of up to %d windows like 21:00-08:00",
                                            value, CW_WINDOWS_MAX);
                        return 1;
                }
        } else if (strcmp(section, "modem") == 0) {
                if (strcmp(key, "backends") == 0)
                        return parse_backends(s, section, key, value);
        } else
                return fail(s, section, key, "unknown section (known: audio, tagging, modem)");

        return fail(s, section, key, "unknown key");
}

/* inih gives no line numbers to the handler; counting the lines it reads
 * does. */
static char *read_line(char *buffer, int size, void *userdata) {
        parse_state *s = userdata;
        char *line = fgets(buffer, size, s->file);

        if (line)
                s->line++;
        return line;
}

int cw_config_load(const char *path, cw_config *cfg, char **error_message) {
        parse_state s = { .cfg = { 0 } };
        int r;

        s.file = fopen(path, "re");
        if (!s.file) {
                if (errno == ENOENT)
                        return 0;
                r = -errno;
                if (error_message && asprintf(error_message, "%s: %s", path, strerror(-r)) < 0)
                        *error_message = NULL;
                return r;
        }

        /* Parse into a copy so that a bad file leaves *cfg as it was: the
         * daemon keeps running on the last good configuration. */
        s.cfg = *cfg;
        s.cfg.local_source = cfg->local_source ? strdup(cfg->local_source) : NULL;
        s.cfg.remote_source = cfg->remote_source ? strdup(cfg->remote_source) : NULL;

        r = ini_parse_stream(read_line, &s, handle_key, &s);
        fclose(s.file);

        if (r == 0) {
                cw_config_clear(cfg);
                *cfg = s.cfg;
                return 0;
        }

        if (error_message) {
                int n;

                if (r < 0)
                        n = asprintf(error_message, "%s: cannot read", path);
                else if (s.error_line && s.error_line <= r)
                        n = asprintf(error_message, "%s:%d: %s", path, s.error_line,
                                     s.error ? s.error : "invalid");
                else
                        n = asprintf(error_message, "%s:%d: not 'key = value', a [section] or a comment",
                                     path, r);
                if (n < 0)
                        *error_message = NULL;
        }
        free(s.error);
        cw_config_clear(&s.cfg);
        return r < 0 ? -EIO : -EINVAL;
}
