/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "callwitness/devicekey.h"

/* The device key, made on first use (the message says so on stderr). On
 * failure prints why and returns -errno. */
int cw_cli_device_key(cw_device_key **ret);

/* callwitness key: prints the device's public key. */
int cw_cli_key(int argc, char **argv);
