/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The app's one window: the timeline of calls beside (on a phone: before)
 * the page of the call chosen. Every read and write goes through
 * libcallwitness, so each change is in the audit log as the CLI's is. */

#include <adwaita.h>
#include <stdint.h>

G_BEGIN_DECLS

#define CW_TYPE_WINDOW (cw_window_get_type())
G_DECLARE_FINAL_TYPE(CwWindow, cw_window, CW, WINDOW, AdwApplicationWindow)

CwWindow *cw_window_new(GtkApplication *app);
/* Reads the catalog again (the daemon wrote to it). */
void cw_window_reload(CwWindow *win);
/* Shows the call's page; FALSE when there is no such call. */
gboolean cw_window_show_call(CwWindow *win, int64_t id);
void cw_window_set_filter(CwWindow *win, const char *filter);
void cw_window_set_search(CwWindow *win, const char *text);
/* Each returns 0, or -errno with a toast saying what went wrong. */
int cw_window_add_note(CwWindow *win, int64_t id, const char *text);
int cw_window_set_caller(CwWindow *win, int64_t id, const char *company, const char *employee_id, const char *name);
/* Asks whether to delete the call (twice for a tagged or exported one, as
 * the CLI's --force), then deletes it. */
void cw_window_ask_delete(CwWindow *win, int64_t id);
/* Answers the question open ("cancel" or "delete"), as its button would. */
void cw_window_answer(CwWindow *win, const char *response);
/* For the tests, as a person's fingers would: types text into the call
 * page's entry ("note", "tag", "company", "employee", "name"), or taps
 * its apply button; on the preferences page, types into "quiet-hours" or
 * "bitrate", chooses the "mode", or taps "save". */
void cw_window_type(CwWindow *win, const char *entry, const char *text);
void cw_window_apply(CwWindow *win, const char *entry);
/* Plays or pauses the recording of the call shown. */
void cw_window_play(CwWindow *win, gboolean play);
/* "both", "other-party" (the right channel) or "you" (the left). */
void cw_window_hear(CwWindow *win, const char *sides);
void cw_window_show_export(CwWindow *win);
/* Whether calls are being recorded; check_capture also runs the check. */
void cw_window_show_status(CwWindow *win);
void cw_window_check_capture(CwWindow *win);
/* The preferences: quiet hours, bitrate and capture mode, read again from
 * callwitness.conf. */
void cw_window_show_prefs(CwWindow *win);
/* Exports from the export page: selection "tagged", "call" (the call
 * shown) or "all"; format "folder" or "zip". */
void cw_window_export(CwWindow *win, const char *selection, const char *format);
/* Saves what the window shows, once it is drawn, as a PNG. */
void cw_window_screenshot(CwWindow *win, const char *path);

G_END_DECLS
