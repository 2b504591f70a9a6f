/* SPDX-License-Identifier: GPL-3.0-or-later */
/* callwitness-media: the commands of callwitness that need the sound
 * server, the audio codecs or the archive reader. callwitness runs it. */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "doctor.h"
#include "export.h"
#include "media.h"
#include "play.h"
#include "recover.h"
#include "verify.h"

static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
} commands[] = {
#define COMMAND(name) { #name, cw_cli_##name },
        CW_CLI_MEDIA_COMMANDS(COMMAND)
#undef COMMAND
};

int cw_cli_media(int argc, char **argv) {
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (strcmp(argv[0], commands[i].name) == 0)
                        return commands[i].run(argc, argv);
        fprintf(stderr, _("callwitness: unknown command '%s'\n"), argv[0]);
        return 2;
}

int main(int argc, char **argv) {
        cw_cli_init_locale();
        if (argc < 2) {
                fprintf(stderr, _("callwitness-media is run by callwitness: callwitness COMMAND\n"));
                return 2;
        }
        return cw_cli_media(argc - 1, argv + 1);
}
