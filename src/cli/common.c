/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libintl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "callwitness/config.h"
#include "callwitness/paths.h"
#include "callwitness/timestamp.h"
#include "common.h"
#include "media.h"

int cw_cli_open_catalog(bool writable, cw_catalog **ret, char **data_dir_ret) {
        cw_timestamp now = cw_timestamp_now();
        char *data_dir = NULL, *path = NULL;
        int r;

        r = cw_paths_data_dir(&data_dir);
        if (r < 0) {
                fprintf(stderr, _("callwitness: cannot find the data directory: set HOME or XDG_DATA_HOME\n"));
                return r;
        }
        if (asprintf(&path, "%s/catalog.db", data_dir) < 0) {
                free(data_dir);
                return -ENOMEM;
        }
        /* Opening for writing would create an empty catalog: say instead
         * that nothing was recorded. */
        if (writable && access(path, F_OK) < 0)
                r = -ENOENT;
        else
                r = writable ? cw_catalog_open(path, &now, ret) : cw_catalog_open_readonly(path, ret);
        if (r == -ENOENT)
                fprintf(stderr, _("callwitness: no calls recorded yet (no catalog at %s)\n"), path);
        else if (r == -EPROTONOSUPPORT)
                fprintf(stderr, _("callwitness: %s was written by a newer callwitness\n"), path);
        else if (r == -EBADMSG && !writable)
                fprintf(stderr, _("callwitness: %s is from an older callwitness; start callwitnessd once to "
                                  "update it\n"), path);
        else if (r < 0)
                fprintf(stderr, _("callwitness: cannot open %s: %s\n"), path, strerror(-r));
        free(path);
        if (r == 0 && data_dir_ret)
                *data_dir_ret = data_dir;
        else
                free(data_dir);
        return r;
}

int cw_cli_load_rules(cw_rulebook **ret) {
        char *error = NULL;
        int r = cw_config_user_rulebook(ret, &error);

        if (r < 0)
                fprintf(stderr, _("callwitness: the rules calls are judged by cannot be read: %s\n"),
                        error ? error : strerror(-r));
        free(error);
        return r;
}

int cw_cli_parse_time(const char *text, bool end_of_day, int64_t *utc_ms_ret) {
        struct tm tm = { .tm_isdst = -1 };
        cw_timestamp ts;
        const char *end;
        time_t t;

        if (cw_timestamp_parse_rfc3339(text, &ts) == 0) {
                *utc_ms_ret = ts.utc_ms;
                return 0;
        }
        end = strptime(text, "%Y-%m-%d", &tm);
        if (!end)
                return -EINVAL;
        if (*end == ' ' || *end == 'T') {
                const char *time_end = strptime(end + 1, "%H:%M:%S", &tm);

                end = time_end ? time_end : strptime(end + 1, "%H:%M", &tm);
                if (!end)
                        return -EINVAL;
        } else if (*end == '\0' && end_of_day)
                tm.tm_mday++;   /* mktime normalises the 32nd to the 1st */
        if (*end != '\0')
                return -EINVAL;
        t = mktime(&tm);
        if (t == (time_t) -1)
                return -EINVAL;
        *utc_ms_ret = (int64_t) t * 1000;
        return 0;
}

int cw_cli_parse_id(const char *text, int64_t *ret) {
        char *end;
        long long id;

        errno = 0;
        id = text ? strtoll(text, &end, 10) : 0;
        if (!text || errno || end == text || *end || id <= 0) {
                fprintf(stderr, _("callwitness: '%s' is not a call id (the number in the first column of "
                                  "callwitness list)\n"), text ? text : "");
                return -EINVAL;
        }
        *ret = id;
        return 0;
}

int cw_cli_filter_option(int opt, cw_call_filter *f) {
        switch (opt) {
        case 't':
                f->tagged_only = true;
                return 1;
        case 'T':
                f->tag = optarg;
                return 1;
        case 'n':
                f->number = optarg;
                return 1;
        case 's':
        case 'u':
                if (cw_cli_parse_time(optarg, opt == 'u', opt == 's' ? &f->since_ms : &f->until_ms) < 0) {
                        fprintf(stderr, _("callwitness: '%s' is not a date like 2026-11-24 or 2026-11-24 23:40\n"),
                                optarg);
                        return -1;
                }
                *(opt == 's' ? &f->has_since : &f->has_until) = true;
                return 1;
        case 'm':
                f->missed_only = true;
                return 1;
        case 'l':
                return cw_cli_parse_id(optarg, &f->limit) < 0 ? -1 : 1;
        default:
                return 0;
        }
}

bool cw_cli_is_media_command(const char *name) {
#define IS(command) strcmp(name, #command) == 0 ||
        return CW_CLI_MEDIA_COMMANDS(IS) false;
#undef IS
}

/* CALLWITNESS_LOCALEDIR: translations of a build that is not installed
 * (the tests use the build tree's). */
static const char *locale_dir(void) {
        const char *localedir = getenv("CALLWITNESS_LOCALEDIR");

        return localedir && localedir[0] == '/' ? localedir : LOCALEDIR;
}

void cw_cli_init_locale(void) {
        setlocale(LC_ALL, "");
        /* Numbers in reports, JSON, SVG and the catalog are written the
         * same in every language: 1.5 MB, not 1,5. */
        setlocale(LC_NUMERIC, "C");
        bindtextdomain(GETTEXT_PACKAGE, locale_dir());
        /* Reports, manifests and the catalog are UTF-8 whatever the
         * locale's character set (in the C locale gettext would write an
         * accent as '?'), and so is everything else printed from them. */
        bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
        textdomain(GETTEXT_PACKAGE);
}

/* English is the messages' own language; the others are those whose
 * catalog is installed. */
static bool language_exists(const char *language) {
        char *catalog;
        bool exists;

        if (strcmp(language, "en") == 0)
                return true;
        if (asprintf(&catalog, "%s/%s/LC_MESSAGES/%s.mo", locale_dir(), language, GETTEXT_PACKAGE) < 0)
                return false;
        exists = access(catalog, R_OK) == 0;
        free(catalog);
        return exists;
}

static int by_name(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void print_languages(FILE *out) {
        char *names[256];
        size_t n = 0;
        DIR *dir = opendir(locale_dir());
        struct dirent *entry;

        names[n++] = strdup("en");
        while (dir && n < sizeof names / sizeof names[0] && (entry = readdir(dir)))
                if (entry->d_name[0] != '.' && strcmp(entry->d_name, "en") != 0 && language_exists(entry->d_name))
                        names[n++] = strdup(entry->d_name);
        if (dir)
                closedir(dir);
        qsort(names, n, sizeof names[0], by_name);
        for (size_t i = 0; i < n; i++) {
                fprintf(out, "%s%s", i ? ", " : "", names[i] ? names[i] : "?");
                free(names[i]);
        }
        fputc('\n', out);
}

int cw_cli_set_language(const char *command, const char *language) {
        char name[16];
        size_t n = strlen(language);

        /* zh-CN as a web page writes it, zh_CN as gettext does. */
        if (n == 0 || n >= sizeof name || strspn(language, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-@") != n) {
                fprintf(stderr, _("callwitness %s: '%.40s' is not a language; give one such as es or zh_CN\n"),
                        command, language);
                return -EINVAL;
        }
        for (size_t i = 0; i <= n; i++)
                name[i] = language[i] == '-' ? '_' : language[i];
        if (!language_exists(name)) {
                fprintf(stderr, _("callwitness %s: there is no translation into '%s'; there is: "), command, language);
                print_languages(stderr);
                return -ENOENT;
        }
        /* glibc's gettext follows LANGUAGE, except in the C locale; musl's
         * follows the name of LC_MESSAGES, whatever it is. Set before the
         * first translated message: gettext keeps what it found. */
        setenv("LANGUAGE", name, 1);
        if (!setlocale(LC_MESSAGES, name)) {
                const char *now = setlocale(LC_MESSAGES, NULL);

                if (!now || strcmp(now, "C") == 0 || strcmp(now, "POSIX") == 0)
                        setlocale(LC_MESSAGES, "C.UTF-8");
        }
        return 0;
}
