/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by writing and checking bundles. Internal to libcallwitness. */

/* Removes a directory tree (a staging or unpacking folder). */
void cw_bundle_remove_tree(const char *path);
