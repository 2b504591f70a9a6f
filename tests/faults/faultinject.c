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
 *   CW_FAULT_PAUSE_FSYNC=SUFFIX   fsync (not fdatasync) of a file whose name
 *                                 ends in SUFFIX waits CW_FAULT_PAUSE_MS first
 *   CW_FAULT_NO_RENAME_NOREPLACE=1  renameat2 with RENAME_NOREPLACE fails with
 *                                 EINVAL, as on FUSE and some network
 *                                 filesystems
 *   CW_FAULT_ENOMEM_WHILE=PATH    while PATH exists, anonymous mappings of
 *   CW_FAULT_ENOMEM_BYTES=N       exactly N bytes fail with ENOMEM
 *   CW_FAULT_SYNC_LOG=PATH        appends to PATH what a power cut would keep:
 *                                 "create P" (a new file or directory),
 *                                 "sync SIZE P", "dirsync D", "rename A B";
 *                                 harness.power_cut() replays it
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

typedef ssize_t (*write_fn)(int, const void *, size_t);

/* One line to the sync log, written whole (O_APPEND, one write). */
static void sync_log(const char *format, ...) {
        static write_fn raw_write;
        const char *log = getenv("CW_FAULT_SYNC_LOG");
        char line[2 * PATH_MAX + 64];
        va_list ap;
        int fd, n;

        if (!log || !*log)
                return;
        if (!raw_write)
                raw_write = (write_fn) dlsym(RTLD_NEXT, "write");
        va_start(ap, format);
        n = vsnprintf(line, sizeof line, format, ap);
        va_end(ap);
        if (n < 0 || (size_t) n >= sizeof line)
                return;
        fd = (int) syscall(SYS_openat, AT_FDCWD, log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return;
        raw_write(fd, line, (size_t) n);
        close(fd);
}

/* The absolute path of fd, or NULL. */
static const char *fd_path(int fd, char *buf, size_t size) {
        char link[64];
        ssize_t n;

        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        n = readlink(link, buf, size - 1);
        if (n < 0)
                return NULL;
        buf[n] = '\0';
        return buf;
}

/* The absolute form of path as seen from dirfd. */
static const char *at_path(int dirfd, const char *path, char *buf, size_t size) {
        char dir[PATH_MAX];

        if (path[0] == '/')
                return path;
        if (dirfd == AT_FDCWD ? !getcwd(dir, sizeof dir) : !fd_path(dirfd, dir, sizeof dir))
                return NULL;
        if ((size_t) snprintf(buf, size, "%s/%.*s", dir, PATH_MAX / 2, path) >= size)
                return NULL;
        return buf;
}

static int existed(int dirfd, const char *path) {
        struct stat st;

        return fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void log_create(int dirfd, const char *path, int flags, int was_there, int result) {
        char buf[PATH_MAX];
        const char *full;

        if (result < 0 || !(flags & O_CREAT) || was_there)
                return;
        full = at_path(dirfd, path, buf, sizeof buf);
        if (full)
                sync_log("create %s\n", full);
}

static void log_sync(int fd, int result) {
        char buf[PATH_MAX];
        struct stat st;

        if (result < 0 || !fd_path(fd, buf, sizeof buf) || fstat(fd, &st) < 0)
                return;
        if (S_ISDIR(st.st_mode))
                sync_log("dirsync %s\n", buf);
        else
                sync_log("sync %lld %s\n", (long long) st.st_size, buf);
}

static int mode_of(int flags, va_list ap) {
        return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, int) : 0;
}

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*fd_fn)(int);

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
        int was_there, fd;

        maybe_pause(path);
        was_there = existed(AT_FDCWD, path);
        fd = next_open(path, flags, mode);
        log_create(AT_FDCWD, path, flags, was_there, fd);
        return fd;
}

int open64(const char *path, int flags, ...) {
        va_list ap;
        int mode;
        NEXT(open64, open_fn);

        va_start(ap, flags);
        mode = mode_of(flags, ap);
        va_end(ap);
        int was_there, fd;

        maybe_pause(path);
        was_there = existed(AT_FDCWD, path);
        fd = next_open64(path, flags, mode);
        log_create(AT_FDCWD, path, flags, was_there, fd);
        return fd;
}

int openat(int dirfd, const char *path, int flags, ...) {
        va_list ap;
        int mode;
        NEXT(openat, openat_fn);

        va_start(ap, flags);
        mode = mode_of(flags, ap);
        va_end(ap);
        int was_there, fd;

        maybe_pause(path);
        was_there = existed(dirfd, path);
        fd = next_openat(dirfd, path, flags, mode);
        log_create(dirfd, path, flags, was_there, fd);
        return fd;
}

int openat64(int dirfd, const char *path, int flags, ...) {
        va_list ap;
        int mode;
        NEXT(openat64, openat_fn);

        va_start(ap, flags);
        mode = mode_of(flags, ap);
        va_end(ap);
        int was_there, fd;

        maybe_pause(path);
        was_there = existed(dirfd, path);
        fd = next_openat64(dirfd, path, flags, mode);
        log_create(dirfd, path, flags, was_there, fd);
        return fd;
}

int fsync(int fd) {
        const char *suffix = getenv("CW_FAULT_PAUSE_FSYNC");
        char buf[PATH_MAX];
        int r;
        NEXT(fsync, fd_fn);

        sleep_ms("CW_FAULT_SLOW_FSYNC_MS");
        if (suffix && *suffix && fd_path(fd, buf, sizeof buf) && ends_with(buf, suffix))
                sleep_ms("CW_FAULT_PAUSE_MS");
        r = next_fsync(fd);
        log_sync(fd, r);
        return r;
}

int fdatasync(int fd) {
        int r;
        NEXT(fdatasync, fd_fn);

        sleep_ms("CW_FAULT_SLOW_FSYNC_MS");
        r = next_fdatasync(fd);
        log_sync(fd, r);
        return r;
}

typedef int (*mkdir_fn)(const char *, mode_t);
typedef int (*rename_fn)(const char *, const char *);
typedef int (*renameat2_fn)(int, const char *, int, const char *, unsigned);
typedef FILE *(*fopen_fn)(const char *, const char *);

int mkdir(const char *path, mode_t mode) {
        int r;
        NEXT(mkdir, mkdir_fn);

        r = next_mkdir(path, mode);
        log_create(AT_FDCWD, path, O_CREAT, 0, r);
        return r;
}

static void log_rename(int olddirfd, const char *from, int newdirfd, const char *to, int result) {
        char a[PATH_MAX], b[PATH_MAX];
        const char *full_from, *full_to;

        if (result < 0)
                return;
        full_from = at_path(olddirfd, from, a, sizeof a);
        full_to = at_path(newdirfd, to, b, sizeof b);
        if (full_from && full_to)
                sync_log("rename %s %s\n", full_from, full_to);
}

int rename(const char *from, const char *to) {
        int r;
        NEXT(rename, rename_fn);

        r = next_rename(from, to);
        log_rename(AT_FDCWD, from, AT_FDCWD, to, r);
        return r;
}

int renameat2(int olddirfd, const char *from, int newdirfd, const char *to, unsigned flags) {
        int r;
        NEXT(renameat2, renameat2_fn);

        if ((flags & RENAME_NOREPLACE) && getenv("CW_FAULT_NO_RENAME_NOREPLACE")) {
                errno = EINVAL;
                return -1;
        }
        r = next_renameat2(olddirfd, from, newdirfd, to, flags);
        log_rename(olddirfd, from, newdirfd, to, r);
        return r;
}

/* The C library's fopen opens without going through open(). */
static FILE *logged_fopen(fopen_fn next, const char *path, const char *mode) {
        int was_there = existed(AT_FDCWD, path);
        FILE *f = next(path, mode);

        log_create(AT_FDCWD, path, strchr(mode, 'w') || strchr(mode, 'a') ? O_CREAT : 0, was_there, f ? 0 : -1);
        return f;
}

FILE *fopen(const char *path, const char *mode) {
        NEXT(fopen, fopen_fn);

        return logged_fopen(next_fopen, path, mode);
}

FILE *fopen64(const char *path, const char *mode) {
        NEXT(fopen64, fopen_fn);

        return logged_fopen(next_fopen64, path, mode);
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

/* Memory short for one size of mapping (a capture's ring) while the flag
 * file exists: the rest of the process still gets its memory. */
static int memory_short_for(size_t length, int flags) {
        const char *flag = getenv("CW_FAULT_ENOMEM_WHILE"), *bytes = getenv("CW_FAULT_ENOMEM_BYTES");

        return flag && bytes && (flags & MAP_ANONYMOUS) && length == strtoull(bytes, NULL, 10) &&
               access(flag, F_OK) == 0;
}

typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);

static void *map_unless_short(mmap_fn next, void *address, size_t length, int protection, int flags, int fd,
                              off_t offset) {
        if (memory_short_for(length, flags)) {
                errno = ENOMEM;
                return MAP_FAILED;
        }
        return next(address, length, protection, flags, fd, offset);
}

void *mmap(void *address, size_t length, int protection, int flags, int fd, off_t offset) {
        NEXT(mmap, mmap_fn);

        return map_unless_short(next_mmap, address, length, protection, flags, fd, offset);
}

/* What a build with 64-bit file offsets calls. */
void *mmap64(void *address, size_t length, int protection, int flags, int fd, off_t offset) {
        NEXT(mmap64, mmap_fn);

        return map_unless_short(next_mmap64, address, length, protection, flags, fd, offset);
}
