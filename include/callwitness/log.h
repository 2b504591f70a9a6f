/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Logging: one helper with syslog levels.
 *
 * Under systemd (JOURNAL_STREAM set) each line carries a "<N>" prefix so the
 * journal keeps the level. Phone numbers are only ever logged at debug level:
 * logs travel further than the recordings do. */

enum {
        CW_LOG_ERR = 3,
        CW_LOG_WARNING = 4,
        CW_LOG_NOTICE = 5,
        CW_LOG_INFO = 6,
        CW_LOG_DEBUG = 7,
};

void cw_log_set_max_level(int level);
int cw_log_get_max_level(void);
void cw_log(int level, const char *format, ...) __attribute__((format(printf, 2, 3)));

#define cw_log_error(...) cw_log(CW_LOG_ERR, __VA_ARGS__)
#define cw_log_warning(...) cw_log(CW_LOG_WARNING, __VA_ARGS__)
#define cw_log_notice(...) cw_log(CW_LOG_NOTICE, __VA_ARGS__)
#define cw_log_info(...) cw_log(CW_LOG_INFO, __VA_ARGS__)
#define cw_log_debug(...) cw_log(CW_LOG_DEBUG, __VA_ARGS__)
