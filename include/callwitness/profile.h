/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Device profiles: where call audio can be captured on a given phone, as
 * data files (one small INI file per device) installed with the program.
 * Chosen by the device tree's "compatible" strings (or DMI on x86); the
 * user's configuration can name one and override any of its keys. */

#include <stdbool.h>
#include <stddef.h>

#include "callwitness/call.h"

#define CW_PROFILE_GENERIC "generic"

typedef struct cw_profile {
        char *id;                /* file name without ".conf" */
        char *name;              /* "PINE64 PinePhone" */
        char **compatible;       /* device-tree compatible strings (blank-separated in the file) */
        size_t n_compatible;
        char *dmi_product;       /* glob on /sys/class/dmi/id/product_name */
        bool confirmed;          /* tried on the hardware and known to work */
        cw_capture_mode mode;
        char *local_source;      /* source name or glob; NULL: server default */
        char *remote_source;     /* source name or glob; NULL: default sink's monitor */
        char *mixer_card;        /* ALSA card name or index, for mixer_controls */
        char **mixer_controls;   /* switched on during a call, restored after */
        size_t n_mixer_controls;
        char *card_name;         /* sound card (name or glob) switched to card_profile during a call */
        char *card_profile;
        char **present;          /* files (globs) whose presence picks this profile, after compatible and DMI */
        size_t n_present;
        char *notes;             /* what a user of this phone should know */
} cw_profile;

/* What identifies the device. */
typedef struct cw_device {
        char **compatible;       /* most specific first, as in the device tree */
        size_t n_compatible;
        char *dmi_product;
        char *root;              /* where a profile's present files are looked for */
} cw_device;

/* Reads /proc/device-tree/compatible and /sys/class/dmi/id/product_name
 * under root ("/" on a phone; a test's directory in tests). Missing files
 * leave the fields empty. 0 or -ENOMEM. */
int cw_device_read(const char *root, cw_device *ret);
void cw_device_clear(cw_device *d);

/* Parses one profile file. On failure error_message names file, line and
 * key as cw_config_load() does. 0, -EINVAL, or -errno. */
int cw_profile_load(const char *path, cw_profile *ret, char **error_message);
void cw_profile_clear(cw_profile *p);

/* The profile for device from dir: the one whose compatible list contains
 * the most specific of the device's compatible strings, else one whose
 * dmi_product matches, else the first (by name) one of whose present files
 * exists, else "generic". -ENOENT when dir has none of these. */
int cw_profile_detect(const char *dir, const cw_device *device, cw_profile *ret, char **error_message);
/* The profile a configuration asks for: the one it names in [device]
 * profile, else the one detected for the device under root. */
int cw_profile_select(const char *dir, const char *configured_id, const char *root, cw_profile *ret,
                      char **error_message);

/* The profile with that id from dir. -ENOENT when there is none. */
int cw_profile_load_id(const char *dir, const char *id, cw_profile *ret, char **error_message);
