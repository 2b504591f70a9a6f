/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Faults of the machine, for the integration tests, preloaded into a
 * callwitness process (LD_PRELOAD). Nothing of callwitness is replaced:
 * only the C library's answers change, as a slow disk or a full one
 * would change them.
 *
 *   CW_FAULT_SLOW_FSYNC_MS=N      fsync and fdatasync take N ms longer
 *   CW_FAULT_PAUSE_OPEN=SUFFIX    opening a path that ends in SUFFIX waits
 *   CW_FAULT_PAUSE_MS=N           ... N ms first
 *   CW_FAULT_ENOSPC_WHILE=PATH    while PATH exists, writes to files whose
 *   CW_FAULT_ENOSPC_SUFFIX=SUFFIX name ends in SUFFIX fail with ENOSPC
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(const char *variable) {
        const char *value = getenv(variable);
        long ms = value ? strtol(value, NULL, 10) : 0;
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

        while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static int ends_with(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void maybe_pause(const char *path) {
        const char *suffix = getenv("CW_FAULT_PAUSE_OPEN");

        if (suffix && *suffix && path && ends_with(path, suffix))
                sleep_ms("CW_FAULT_PAUSE_MS");
}

static int mode_of(int flags, va_list ap) {
        return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, int) : 0;
}

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*fd_fn)(int);
typedef ssize_t (*write_fn)(int, const void *, size_t);

/* The C library's own function of that name, looked up once. */
#define NEXT(name, type) \
        static type next_##name; \
        if (!next_##name) \
                next_##name = (type) dlsym(RTLD_NEXT, #name)

int open(const char *path, int flags, ...) {
        va_list ap;
        int mode;
        NEXT(open, open_fn);

        va_start(ap, flags);
        mode = mode_of(flags, ap);
        va_end(ap);
        maybe_pause(path);
        return next_open(path, flags, mode);
}

int open64(const char *path, int flags, ...) {
        va_list ap;
        int mode;
        NEXT(open64, open_fn);

        va_start(ap, flags);
        mode = mode_of(flags, ap);
        va_end(ap);
        maybe_pause(path);
        return next_open64(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...) {
        va_list ap;
        int mode;
        NEXT(openat, openat_fn);

        va_start(ap, flags);
        mode = mode_of(flags, ap);
        va_end(ap);
        maybe_pause(path);
        return next_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...) {
        va_list ap;
        int mode;
        NEXT(openat64, openat_fn);

        va_start(ap, flags);
        mode = mode_of(flags, ap);
        va_end(ap);
        maybe_pause(path);
        return next_openat64(dirfd, path, flags, mode);
}

int fsync(int fd) {
        NEXT(fsync, fd_fn);

        sleep_ms("CW_FAULT_SLOW_FSYNC_MS");
        return next_fsync(fd);
}

int fdatasync(int fd) {
        NEXT(fdatasync, fd_fn);

        sleep_ms("CW_FAULT_SLOW_FSYNC_MS");
        return next_fdatasync(fd);
}

/* Whether writes to fd should fail now: the flag file exists and fd is a
 * file whose name ends in the suffix. */
static int disk_full_for(int fd) {
        const char *flag = getenv("CW_FAULT_ENOSPC_WHILE"), *suffix = getenv("CW_FAULT_ENOSPC_SUFFIX");
        char link[64], target[PATH_MAX];
        ssize_t n;

        if (!flag || !suffix || access(flag, F_OK) < 0)
                return 0;
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        n = readlink(link, target, sizeof target - 1);
        if (n < 0)
                return 0;
        target[n] = '\0';
        return ends_with(target, suffix);
}

ssize_t write(int fd, const void *buf, size_t count) {
        NEXT(write, write_fn);

        if (disk_full_for(fd)) {
                errno = ENOSPC;
                return -1;
        }
        return next_write(fd, buf, count);
}
