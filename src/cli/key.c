/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <libintl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/paths.h"
#include "common.h"
#include "key.h"

int cw_cli_device_key(cw_device_key **ret) {
        char *path = NULL, id[17];
        int created = 0, r;

        r = cw_paths_device_key(&path);
        if (r < 0) {
                fprintf(stderr, _("callwitness: cannot find the configuration directory: set HOME or "
                                  "XDG_CONFIG_HOME\n"));
                return r;
        }
        r = cw_device_key_open(path, ret, &created);
        if (r == -EPERM)
                fprintf(stderr, _("callwitness: %s can be read by others, so it may have been copied; "
                                  "chmod 600 it if you trust it, or move it away to make a new key\n"), path);
        else if (r == -EBADMSG)
                fprintf(stderr, _("callwitness: %s is damaged; move it away to make a new key (bundles signed "
                                  "with the old one stay checkable with its public key)\n"), path);
        else if (r < 0)
                fprintf(stderr, _("callwitness: cannot open the device key %s: %s\n"), path, strerror(-r));
        else if (created) {
                cw_device_key_id(*ret, id);
                fprintf(stderr, _("callwitness: made a new device key %s in %s\n"), id, path);
        }
        free(path);
        return r;
}

int cw_cli_key(int argc, char **argv) {
        char public_key[CW_PUBLIC_KEY_BASE64_LEN + 1], id[17];
        cw_device_key *key;

        if (argc > 1) {
                if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                        printf(_("Usage: callwitness key\n\nPrints this device's public key (made on first use). "
                                 "Bundles exported here are signed with it;\nanyone checks them with "
                                 "minisign -Vm SHA256SUMS -P <public key>.\n"));
                        return 0;
                }
                fprintf(stderr, _("Usage: callwitness key\n"));
                return 2;
        }
        if (cw_cli_device_key(&key) < 0)
                return 1;
        cw_device_key_public(key, public_key);
        cw_device_key_id(key, id);
        printf("%s\n", public_key);
        fprintf(stderr, _("Key id %s. Check a bundle with: minisign -Vm SHA256SUMS -P %s\n"), id, public_key);
        cw_device_key_free(key);
        return 0;
}
