/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once
/* The commands that need the sound server, the audio codecs or the archive
 * reader (export, verify, recover, doctor, play) live in a second program,
 * callwitness-media, so that the others do not load those libraries: they
 * are most of callwitness's start-up, and `show` is meant to be instant. */

#include <stdbool.h>

/* Each runs as cw_cli_NAME(argc, argv), argv[0] the command's name. */
#define CW_CLI_MEDIA_COMMANDS(X) X(doctor) X(export) X(play) X(recover) X(verify)

/* Whether name is one of callwitness-media's commands. */
bool cw_cli_is_media_command(const char *name);

/* In callwitness: runs argv (argv[0] the command) in callwitness-media and
 * returns only if it cannot be started (an exit status). In
 * callwitness-media: runs the command. */
int cw_cli_media(int argc, char **argv);

/* gettext set up for either program. */
void cw_cli_init_locale(void);

/* Messages from here on in language (es, zh_CN or zh-CN, en), whatever the
 * phone's locale: call it before the first message is translated. A
 * language without a translation is refused with the list of those there
 * are. 0 or -errno (told on stderr as command's error). */
int cw_cli_set_language(const char *command, const char *language);
