/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callwitness/log.h"
#include "callwitness/paths.h"

static int xdg_dir(const char *variable, const char *fallback_under_home,
                   const char *leaf, char **ret) {
        const char *base = getenv(variable);
        char *path;
        int n;

        /* The XDG spec says a relative value is invalid and must be ignored. */
        if (base && base[0] == '/')
                n = asprintf(&path, "%s/%s", base, leaf);
        else {
                const char *home = getenv("HOME");

                if (!home || home[0] != '/')
                        return -ENOENT;
                n = asprintf(&path, "%s/%s/%s", home, fallback_under_home, leaf);
        }
        if (n < 0)
                return -ENOMEM;
        *ret = path;
        return 0;
}

int cw_paths_data_dir(char **ret) {
        return xdg_dir("XDG_DATA_HOME", ".local/share", "callwitness", ret);
}

int cw_paths_config_file(char **ret) {
        return xdg_dir("XDG_CONFIG_HOME", ".config", "callwitness/callwitness.conf", ret);
}

int cw_paths_device_key(char **ret) {
        return xdg_dir("XDG_CONFIG_HOME", ".config", "callwitness/device.key", ret);
}

const char *cw_paths_profiles_dir(void) {
        const char *dir = getenv("CALLWITNESS_PROFILES_DIR");

        return dir && dir[0] == '/' ? dir : CW_PROFILES_DIR;
}

const char *cw_paths_presets_dir(void) {
        const char *dir = getenv("CALLWITNESS_PRESETS_DIR");

        return dir && dir[0] == '/' ? dir : CW_PRESETS_DIR;
}

int cw_paths_sync_parent(const char *path) {
        const char *slash = strrchr(path, '/');
        char *dir = slash == path ? strdup("/") : slash ? strndup(path, (size_t) (slash - path)) : strdup(".");
        int fd, r = 0;

        if (!dir)
                return -ENOMEM;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        free(dir);
        if (fd < 0)
                return -errno;
        /* Some filesystems cannot sync a directory; they keep entries their
         * own way. */
        if (fsync(fd) < 0 && errno != EINVAL)
                r = -errno;
        close(fd);
        return r;
}

int cw_paths_mkdir_p(const char *path, mode_t mode) {
        char *copy = strdup(path);
        int r = 0;

        if (!copy)
                return -ENOMEM;
        for (char *slash = strchr(copy + 1, '/');; slash = strchr(slash + 1, '/')) {
                if (slash)
                        *slash = '\0';
                if (mkdir(copy, mode) == 0)
                        r = cw_paths_sync_parent(copy);   /* the new directory survives a power cut */
                else if (errno != EEXIST)
                        r = -errno;
                if (r < 0)
                        break;
                if (!slash)
                        break;
                *slash = '/';
        }
        free(copy);
        return r;
}

static int is_safe_byte(unsigned char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
               (c >= 'A' && c <= 'Z') || c == '+';
}

void cw_paths_sanitize_number(const char *number, char out[static CW_NUMBER_FILE_MAX + 1]) {
        size_t n = 0;

        for (const unsigned char *p = (const unsigned char *) (number ? number : "");
             *p && n < CW_NUMBER_FILE_MAX; p++) {
                if (is_safe_byte(*p)) {
                        out[n++] = (char) *p;
                        continue;
                }
                /* One '_' for a whole UTF-8 sequence: skip its continuation bytes. */
                while ((p[1] & 0xC0) == 0x80)
                        p++;
                out[n++] = '_';
        }
        if (n == 0) {
                strcpy(out, "unknown");
                return;
        }
        out[n] = '\0';
}

int cw_paths_recording_relpath(const cw_timestamp *started, cw_direction direction,
                               const char *number, char **ret) {
        char safe_number[CW_NUMBER_FILE_MAX + 1];
        struct tm tm;
        char *path;

        cw_timestamp_local_tm(started, &tm);
        cw_paths_sanitize_number(number, safe_number);
        if (asprintf(&path, "recordings/%04d/%02d/%04d-%02d-%02d_%02d-%02d-%02d_%s_%s.opus",
                     tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec,
                     direction == CW_DIRECTION_OUTGOING ? "out" : "in",
                     safe_number) < 0)
                return -ENOMEM;
        *ret = path;
        return 0;
}

int cw_paths_encounter_relpath(const cw_timestamp *started, char **ret) {
        struct tm tm;

        cw_timestamp_local_tm(started, &tm);
        return asprintf(ret, "recordings/%04d/%02d/%04d-%02d-%02d_%02d-%02d-%02d_encounter.opus", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                        tm.tm_sec) < 0 ? -ENOMEM : 0;
}

int cw_paths_rename_noreplace(const char *from, const char *to) {
        struct stat st;

        if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
                return 0;
        if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                return -errno;
        if (lstat(from, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode)) {
                if (link(from, to) < 0)
                        return -errno;
                return unlink(from) < 0 ? -errno : 0;
        }
        if (lstat(to, &st) == 0)
                return -EEXIST;
        if (errno != ENOENT)
                return -errno;
        return rename(from, to) < 0 ? -errno : 0;
}

int cw_paths_create_unique(const char *data_dir, const char *relpath, int (*create)(const char *path, void *userdata),
                           void *userdata, char **relpath_ret) {
        const char *dot = strrchr(relpath, '.'), *slash = strrchr(relpath, '/');
        size_t stem = dot && (!slash || dot > slash) ? (size_t) (dot - relpath) : strlen(relpath);
        char *name = NULL, *path = NULL;
        int r = -EEXIST, sync_error;

        for (int attempt = 1; attempt <= 9 && r == -EEXIST; attempt++) {
                free(name);
                free(path);
                path = NULL;
                if ((attempt == 1 ? asprintf(&name, "%s", relpath)
                                  : asprintf(&name, "%.*s-%d%s", (int) stem, relpath, attempt, relpath + stem)) < 0) {
                        name = NULL;
                        return -ENOMEM;
                }
                if (asprintf(&path, "%s/%s", data_dir, name) < 0) {
                        path = NULL;
                        r = -ENOMEM;
                        break;
                }
                *strrchr(path, '/') = '\0';
                r = cw_paths_mkdir_p(path, 0700);
                path[strlen(path)] = '/';
                if (r == 0)
                        r = create(path, userdata);
                /* Without its directory entry on disk, a file synced to
                 * the last page is still lost by a power cut; a directory
                 * that cannot be synced still gets the recording. */
                if (r == 0 && (sync_error = cw_paths_sync_parent(path)) < 0)
                        cw_log_warning("Cannot sync the directory of %s: %s; a power cut may lose the file",
                                       path, strerror(-sync_error));
        }
        free(path);
        if (r < 0) {
                free(name);
                return r;
        }
        *relpath_ret = name;
        return 0;
}
