/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <adwaita.h>
#include <errno.h>
#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "callwitness/config.h"
#include "callwitness/paths.h"
#include "callwitness/policy.h"
#include "callwitness/rules.h"
#include "callwitness/timestamp.h"
#include "collectors-group.h"
#include "numbers-group.h"
#include "prefs-page.h"
#include "recorder-owner.h"

#define RECORDER_PATH "/org/callwitness/Recorder1"
#define RECORDER_INTERFACE "org.callwitness.Recorder1"

/* The capture choices, in the order the page lists them. The first leaves
 * [audio] mode out of the file, so that the device profile decides: a
 * mode written here would outlive a profile corrected later. */
static const struct {
        const char *name;   /* for the tests' "type" */
        const char *label;
        int mode;           /* cw_capture_mode; -1: the profile's */
} capture_choices[] = {
        { "profile", N_("Profile’s choice"), -1 },
        { "separate", N_("Separate"), CW_CAPTURE_SEPARATE },
        { "mixed", N_("Mixed"), CW_CAPTURE_MIXED },
        { "local-only", N_("Microphone only"), CW_CAPTURE_LOCAL_ONLY },
};

typedef struct prefs_page {
        AdwEntryRow *quiet_hours, *bitrate;
        AdwComboRow *mode, *preset;
        GtkWidget *collectors, *numbers;
        /* The presets the page offers, by id; the first, NULL, leaves
         * [tagging] preset out of the file: the time zone's. */
        GPtrArray *preset_ids;
        AdwActionRow *file_row, *outcome;
        GtkWidget *save_button;
        char *config_path;
        /* What the file held when read, as the page shows it: only what
         * differs from it is written. */
        char *loaded_quiet_hours, *loaded_bitrate;
        guint loaded_mode, loaded_preset;
        GDBusConnection *bus;
        guint watch;
        char *owner;               /* of the daemon's name, ours; NULL: not running */
        char *appeared;            /* holds the name, not checked yet, or not ours */
        gboolean impostor;         /* the name is held by another user's program */
        GCancellable *cancellable;
} prefs_page;

static prefs_page *page_of(GtkWidget *widget) {
        return g_object_get_data(G_OBJECT(widget), "prefs-page");
}

static void show_outcome(prefs_page *p, const char *title, const char *detail) {
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(p->outcome), title);
        adw_action_row_set_subtitle(p->outcome, detail);
        gtk_widget_set_visible(GTK_WIDGET(p->outcome), TRUE);
}

/* "21:00-08:00, 12:00-13:00": the form the file takes (an ASCII '-'). */
static char *windows_text(const cw_window *windows, size_t n) {
        GString *text = g_string_new(NULL);

        for (size_t i = 0; i < n; i++)
                g_string_append_printf(text, "%s%02d:%02d-%02d:%02d", i ? ", " : "", windows[i].start_min / 60,
                                       windows[i].start_min % 60, windows[i].end_min / 60, windows[i].end_min % 60);
        return g_string_free(text, FALSE);
}

static void set_field(AdwEntryRow *row, const char *text) {
        gtk_editable_set_text(GTK_EDITABLE(row), text);
        gtk_widget_remove_css_class(GTK_WIDGET(row), "error");
}

static void load_file(prefs_page *p) {
        char *error = NULL;
        cw_config cfg;
        guint mode = 0, preset = 0;

        cw_config_init_defaults(&cfg);
        gtk_widget_set_visible(GTK_WIDGET(p->outcome), FALSE);
        if (!p->config_path) {
                show_outcome(p, _("No place for the configuration"),
                             _("Neither XDG_CONFIG_HOME nor HOME is set, so there is no callwitness.conf to change."));
                gtk_widget_set_sensitive(p->save_button, FALSE);
                cw_config_clear(&cfg);
                return;
        }
        /* A file with a mistake is shown as the defaults would be, and
         * said to be wrong: saving refuses to overwrite it (the mistake
         * is the person's to see and correct, perhaps a key we do not
         * know of yet). */
        if (cw_config_load(p->config_path, &cfg, &error) < 0) {
                char *detail = g_strdup_printf(_("It is left as it is, and nothing is saved to it until the mistake "
                                                 "is corrected in a text editor: %s"), error ? error : "?");

                show_outcome(p, _("callwitness.conf has a mistake"), detail);
                g_message("prefs: the file has a mistake: %s", error ? error : "?");
                g_free(detail);
                cw_config_init_defaults(&cfg);
        }
        g_free(p->loaded_quiet_hours);
        g_free(p->loaded_bitrate);
        p->loaded_quiet_hours = windows_text(cfg.night, cfg.n_night);
        p->loaded_bitrate = g_strdup_printf("%d", cfg.bitrate);
        for (guint i = 0; cfg.capture_mode_set && i < G_N_ELEMENTS(capture_choices); i++)
                if (capture_choices[i].mode == (int) cfg.capture_mode)
                        mode = i;
        p->loaded_mode = mode;
        for (guint i = 1; cfg.preset && cfg.preset[0] && i < p->preset_ids->len; i++)
                if (strcmp(g_ptr_array_index(p->preset_ids, i), cfg.preset) == 0)
                        preset = i;
        p->loaded_preset = preset;
        set_field(p->quiet_hours, p->loaded_quiet_hours);
        set_field(p->bitrate, p->loaded_bitrate);
        adw_combo_row_set_selected(p->mode, mode);
        adw_combo_row_set_selected(p->preset, preset);
        g_message("prefs: read %s: quiet hours '%s', %s bit/s, capture %s, rules %s", p->config_path,
                  p->loaded_quiet_hours, p->loaded_bitrate, capture_choices[mode].name,
                  preset ? (const char *) g_ptr_array_index(p->preset_ids, preset) : "of the time zone");
        cw_config_clear(&cfg);
        free(error);
}

void cw_prefs_page_load(GtkWidget *widget) {
        prefs_page *p = page_of(widget);

        cw_collectors_group_load(p->collectors);
        cw_numbers_group_load(p->numbers);
        load_file(p);
}

/* --- checking what was typed ------------------------------------------- */

static void refuse(prefs_page *p, AdwEntryRow *row, const char *detail) {
        gtk_widget_add_css_class(GTK_WIDGET(row), "error");
        show_outcome(p, _("Not saved"), detail);
        g_message("prefs: refused: %s", detail);
}

/* The quiet hours in the file's form, or NULL (and the page says why).
 * An en dash, which phone keyboards put in for "-", is taken as one. */
static char *checked_quiet_hours(prefs_page *p) {
        char **parts = g_strsplit(gtk_editable_get_text(GTK_EDITABLE(p->quiet_hours)), "\u2013", -1);
        char *typed = g_strstrip(g_strjoinv("-", parts)), *detail;
        cw_window windows[CW_WINDOWS_MAX];
        size_t n = 0;

        g_strfreev(parts);
        if (!typed[0])
                return typed;   /* no quiet hours: no call is tagged for its hour */
        if (cw_windows_parse(typed, windows, CW_WINDOWS_MAX, &n) == 0) {
                g_free(typed);
                return windows_text(windows, n);
        }
        detail = g_strdup_printf(_("“%s” are not quiet hours: write them as HH:MM-HH:MM (00:00 to 24:00, start and "
                                   "end not the same), up to %d separated by commas, or nothing."),
                                 typed, CW_WINDOWS_MAX);
        refuse(p, p->quiet_hours, detail);
        g_free(detail);
        g_free(typed);
        return NULL;
}

static char *checked_bitrate(prefs_page *p) {
        char *typed = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(p->bitrate)))), *end, *detail;
        gint64 value;

        value = g_ascii_strtoll(typed, &end, 10);
        if (typed[0] && !*end && g_ascii_isdigit(typed[0]) && value >= CW_BITRATE_MIN && value <= CW_BITRATE_MAX) {
                char *text = g_strdup_printf("%" G_GINT64_FORMAT, value);

                g_free(typed);
                return text;
        }
        detail = g_strdup_printf(_("“%s” is not a bitrate: write a whole number of bit/s from %d to %d."), typed,
                                 CW_BITRATE_MIN, CW_BITRATE_MAX);
        refuse(p, p->bitrate, detail);
        g_free(detail);
        g_free(typed);
        return NULL;
}

/* --- saving and reloading ------------------------------------------------ */

static void on_reloaded(GObject *source, GAsyncResult *result, gpointer userdata) {
        GError *error = NULL;
        GVariant *reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
        prefs_page *p;
        char *detail, *remote;

        if (!reply && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
                g_error_free(error);
                return;   /* the page is gone */
        }
        p = userdata;
        if (reply) {
                show_outcome(p, _("Saved"), _("callwitnessd has read it again and uses it from now on."));
                g_message("prefs: saved, callwitnessd reloaded");
                g_variant_unref(reply);
                return;
        }
        /* Failed: the daemon read the file and refused it (its log says
         * why); anything else: it was not reached. */
        remote = g_dbus_error_get_remote_error(error);   /* NULL: not from the daemon */
        if (g_strcmp0(remote, "org.freedesktop.DBus.Error.Failed") == 0) {
                g_dbus_error_strip_remote_error(error);
                detail = g_strdup_printf(_("callwitnessd did not take it and keeps recording with the settings it "
                                           "had (%s)."), error->message);
                show_outcome(p, _("Saved, not in use"), detail);
                g_message("prefs: saved, callwitnessd refused it: %s", error->message);
        } else {
                g_dbus_error_strip_remote_error(error);
                detail = g_strdup_printf(_("callwitnessd could not be asked to read it again (%s); it applies when "
                                           "callwitnessd starts again."), error->message);
                show_outcome(p, _("Saved"), detail);
                g_message("prefs: saved, the reload failed: %s", error->message);
        }
        g_free(remote);
        g_free(detail);
        g_error_free(error);
}

/* The daemon reads the file again on its API's Reload and replies whether
 * it took it (`systemctl --user reload` would need systemd and a unit the
 * tests do not have). The daemon checks that the caller is its
 * own user; nothing but the request goes to whoever holds the name. */
static void ask_reload(prefs_page *p) {
        if (!p->owner && p->impostor) {
                show_outcome(p, _("Saved"), _("A program of another user holds callwitnessd’s name on the bus: it "
                                              "was not asked to read the file. It applies when callwitnessd "
                                              "starts."));
                g_message("prefs: saved, the name's holder is not trusted");
                return;
        }
        if (!p->owner) {
                show_outcome(p, _("Saved"), _("Saved; applies when callwitnessd starts."));
                g_message("prefs: saved, callwitnessd not running");
                return;
        }
        g_dbus_connection_call(p->bus, p->owner, RECORDER_PATH, RECORDER_INTERFACE, "Reload", NULL, NULL,
                               G_DBUS_CALL_FLAGS_NO_AUTO_START, 10000, p->cancellable, on_reloaded, p);
}

gboolean cw_prefs_page_apply(GtkWidget *widget, const char *what) {
        prefs_page *p = page_of(widget);

        if (strcmp(what, "save") == 0) {
                cw_prefs_page_save(widget);
                return TRUE;
        }
        return cw_collectors_group_apply(p->collectors, what) || cw_numbers_group_apply(p->numbers, what);
}

void cw_prefs_page_save(GtkWidget *widget) {
        prefs_page *p = page_of(widget);
        char *quiet_hours, *bitrate, *error = NULL, *detail;
        cw_config_change changes[4];
        guint mode = adw_combo_row_get_selected(p->mode), preset = adw_combo_row_get_selected(p->preset);
        size_t n = 0;
        int r;

        if (!p->config_path || !gtk_widget_get_sensitive(p->save_button))
                return;
        gtk_widget_remove_css_class(GTK_WIDGET(p->quiet_hours), "error");
        gtk_widget_remove_css_class(GTK_WIDGET(p->bitrate), "error");
        quiet_hours = checked_quiet_hours(p);
        bitrate = quiet_hours ? checked_bitrate(p) : NULL;
        if (!quiet_hours || !bitrate || mode >= G_N_ELEMENTS(capture_choices) || preset >= p->preset_ids->len)
                goto finish;
        /* Only what was changed: a default the file left out stays out,
         * so that a better default later still reaches this phone. */
        if (strcmp(quiet_hours, p->loaded_quiet_hours) != 0)
                changes[n++] = (cw_config_change) { "tagging", "night", quiet_hours };
        if (strcmp(bitrate, p->loaded_bitrate) != 0)
                changes[n++] = (cw_config_change) { "audio", "bitrate", bitrate };
        if (mode != p->loaded_mode)
                changes[n++] = (cw_config_change) {
                        "audio", "mode",
                        capture_choices[mode].mode < 0 ? NULL
                                                       : cw_capture_mode_to_string(capture_choices[mode].mode) };
        if (preset != p->loaded_preset)
                changes[n++] = (cw_config_change) { "tagging", "preset", g_ptr_array_index(p->preset_ids, preset) };
        if (n == 0) {
                show_outcome(p, _("Nothing to save"), _("The page holds what callwitness.conf already says."));
                g_message("prefs: nothing changed");
                goto finish;
        }
        r = cw_config_change_file(p->config_path, changes, n, &error);
        if (r == -EBADMSG) {
                detail = g_strdup_printf(_("callwitness.conf has a mistake, so it is left as it is; correct it in a "
                                           "text editor first: %s"), error ? error : "?");
                show_outcome(p, _("Not saved"), detail);
                g_message("prefs: not saved, the file has a mistake: %s", error ? error : "?");
                g_free(detail);
                goto finish;
        }
        if (r < 0) {
                detail = g_strdup_printf(_("callwitness.conf could not be written: %s"),
                                         error ? error : g_strerror(-r));
                show_outcome(p, _("Not saved"), detail);
                g_message("prefs: not saved: %s", error ? error : g_strerror(-r));
                g_free(detail);
                goto finish;
        }
        g_message("prefs: wrote %zu change(s) to %s", n, p->config_path);
        /* What is in the file now is what later changes are told from. */
        g_free(p->loaded_quiet_hours);
        g_free(p->loaded_bitrate);
        p->loaded_quiet_hours = g_strdup(quiet_hours);
        p->loaded_bitrate = g_strdup(bitrate);
        p->loaded_mode = mode;
        p->loaded_preset = preset;
        set_field(p->quiet_hours, quiet_hours);
        set_field(p->bitrate, bitrate);
        ask_reload(p);
finish:
        g_free(quiet_hours);
        g_free(bitrate);
        free(error);
}

gboolean cw_prefs_page_type(GtkWidget *widget, const char *field, const char *text) {
        prefs_page *p = page_of(widget);
        AdwEntryRow *row = strcmp(field, "quiet-hours") == 0 ? p->quiet_hours
                         : strcmp(field, "bitrate") == 0     ? p->bitrate
                                                             : NULL;

        if (row) {
                gtk_widget_grab_focus(GTK_WIDGET(row));
                gtk_editable_set_text(GTK_EDITABLE(row), text);
                return TRUE;
        }
        if (cw_collectors_group_type(p->collectors, field, text) || cw_numbers_group_type(p->numbers, field, text))
                return TRUE;
        if (strcmp(field, "rules") == 0) {
                for (guint i = 0; i < p->preset_ids->len; i++)
                        if (i ? strcmp(g_ptr_array_index(p->preset_ids, i), text) == 0 : strcmp(text, "auto") == 0) {
                                adw_combo_row_set_selected(p->preset, i);
                                return TRUE;
                        }
                return FALSE;
        }
        if (strcmp(field, "mode") != 0)
                return FALSE;
        for (guint i = 0; i < G_N_ELEMENTS(capture_choices); i++)
                if (strcmp(capture_choices[i].name, text) == 0) {
                        adw_combo_row_set_selected(p->mode, i);
                        return TRUE;
                }
        return FALSE;
}

/* --- the page ------------------------------------------------------------- */

static void on_owner_checked(const char *owner, gboolean ours, gpointer userdata) {
        prefs_page *p = userdata;

        if (g_strcmp0(owner, p->appeared) != 0)
                return;   /* gone, or another owner since */
        p->impostor = !ours;
        if (!ours) {
                g_message("prefs: %s holds callwitnessd's name and runs as another user; not trusted", owner);
                return;
        }
        g_free(p->owner);
        p->owner = g_strdup(owner);
}

static void on_appeared(GDBusConnection *bus, const char *name, const char *owner, gpointer userdata) {
        prefs_page *p = userdata;

        g_clear_pointer(&p->owner, g_free);
        g_free(p->appeared);
        p->appeared = g_strdup(owner);
        cw_app_check_owner(bus, owner, p->cancellable, on_owner_checked, p);
}

static void on_vanished(GDBusConnection *bus, const char *name, gpointer userdata) {
        prefs_page *p = userdata;

        g_clear_pointer(&p->owner, g_free);
        g_clear_pointer(&p->appeared, g_free);
        p->impostor = FALSE;
}

static void on_save_clicked(GtkButton *button, gpointer userdata) {
        cw_prefs_page_save(userdata);
}

static void on_entry_activated(AdwEntryRow *row, gpointer userdata) {
        cw_prefs_page_save(userdata);
}

static void prefs_page_free(gpointer data) {
        prefs_page *p = data;

        g_cancellable_cancel(p->cancellable);
        g_object_unref(p->cancellable);
        if (p->watch)
                g_bus_unwatch_name(p->watch);
        g_clear_object(&p->bus);
        g_free(p->owner);
        g_free(p->appeared);
        g_free(p->loaded_quiet_hours);
        g_free(p->loaded_bitrate);
        g_ptr_array_unref(p->preset_ids);
        free(p->config_path);
        g_free(p);
}

static gint by_name(gconstpointer a, gconstpointer b) {
        return g_utf8_collate(*(const char *const *) a, *(const char *const *) b);
}

/* The installed presets, each offered by its name; first the time zone's,
 * which names the one it is now. */
static AdwComboRow *preset_row_new(prefs_page *p) {
        GtkStringList *labels = gtk_string_list_new(NULL);
        AdwComboRow *row = ADW_COMBO_ROW(adw_combo_row_new());
        GPtrArray *found = g_ptr_array_new_with_free_func(g_free);
        const char *dir = cw_paths_presets_dir(), *file;
        char *zone = cw_local_time_zone_name(), *label;
        GDir *listing = g_dir_open(dir, 0, NULL);

        p->preset_ids = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(p->preset_ids, NULL);
        while (listing && (file = g_dir_read_name(listing)))
                if (g_str_has_suffix(file, ".conf"))
                        g_ptr_array_add(found, g_strndup(file, strlen(file) - strlen(".conf")));
        if (listing)
                g_dir_close(listing);
        g_ptr_array_sort(found, by_name);
        label = g_strdup_printf(_("Of the time zone (%s)"), cw_preset_for_zone(zone, NULL));
        gtk_string_list_append(labels, label);
        g_free(label);
        for (guint i = 0; i < found->len; i++) {
                cw_preset preset = { 0 };
                char *error = NULL;

                /* A preset that does not load is not offered: the daemon
                 * would refuse it. */
                if (cw_preset_load_id(dir, g_ptr_array_index(found, i), &preset, &error) == 0) {
                        label = g_strdup_printf("%s (%s)", preset.name, preset.id);
                        gtk_string_list_append(labels, label);
                        g_ptr_array_add(p->preset_ids, g_strdup(preset.id));
                        g_free(label);
                }
                cw_preset_clear(&preset);
                free(error);
        }
        g_ptr_array_unref(found);
        free(zone);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), _("Rules"));
        gtk_accessible_update_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Rules"), -1);
        adw_combo_row_set_model(row, G_LIST_MODEL(labels));
        g_object_unref(labels);
        return row;
}

static AdwEntryRow *entry_row(GtkWidget *group, const char *title, GtkWidget *page) {
        GtkWidget *row = adw_entry_row_new();

        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
        /* The row's title is what a screen reader says for the entry. */
        gtk_accessible_update_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
        g_signal_connect(row, "entry-activated", G_CALLBACK(on_entry_activated), page);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), row);
        return ADW_ENTRY_ROW(row);
}

GtkWidget *cw_prefs_page_new(void) {
        GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 18);
        GApplication *app = g_application_get_default();
        prefs_page *p = g_new0(prefs_page, 1);
        GtkStringList *choices = gtk_string_list_new(NULL);
        GtkWidget *group, *button_box;
        char *description, *full;

        p->cancellable = g_cancellable_new();
        g_object_set_data_full(G_OBJECT(box), "prefs-page", p, prefs_page_free);
        if (cw_paths_config_file(&p->config_path) < 0)
                p->config_path = NULL;

        group = adw_preferences_group_new();
        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(group), _("Quiet hours"));
        adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(group),
                                              _("A call that starts in these hours of the phone's local time is "
                                                "tagged “night”, besides the hours your country's rules set. "
                                                "HH:MM-HH:MM, several separated by commas; one may cross "
                                                "midnight. Empty: no call is tagged for its hour. Every call is "
                                                "judged again when this changes."));
        p->quiet_hours = entry_row(group, _("Quiet hours"), box);
        gtk_box_append(GTK_BOX(box), group);

        group = adw_preferences_group_new();
        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(group), _("Collection rules"));
        adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(group),
                                              _("The hours and how often a collector may call, as the law where "
                                                "you live sets them: calls outside them are tagged, with the rule "
                                                "in the reason. Every call is judged again when this changes."));
        p->preset = preset_row_new(p);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), GTK_WIDGET(p->preset));
        gtk_box_append(GTK_BOX(box), group);


        group = adw_preferences_group_new();
        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(group), _("Recording"));
        description = g_strdup_printf(_("For the calls recorded from now on. Bitrate from %d to %d bit/s: 32000 "
                                        "keeps voices clear in about 240 kB a minute."),
                                      CW_BITRATE_MIN, CW_BITRATE_MAX);
        /* The capture choices are one word each (a 360 px row has room for
         * little beside its title); what they mean is said here. */
        full = g_strconcat(description, " ", _("Separate: each side on its own channel. Mixed: both sides from one "
                                               "source."), NULL);
        adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(group), full);
        g_free(full);
        g_free(description);
        p->bitrate = entry_row(group, _("Bitrate (bit/s)"), box);
        gtk_editable_set_max_width_chars(GTK_EDITABLE(p->bitrate), 6);
        g_object_set(p->bitrate, "input-purpose", GTK_INPUT_PURPOSE_DIGITS, NULL);
        for (guint i = 0; i < G_N_ELEMENTS(capture_choices); i++)
                gtk_string_list_append(choices, _(capture_choices[i].label));
        p->mode = ADW_COMBO_ROW(adw_combo_row_new());
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(p->mode), _("Capture"));
        gtk_accessible_update_property(GTK_ACCESSIBLE(p->mode), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Capture"), -1);
        adw_combo_row_set_model(p->mode, G_LIST_MODEL(choices));
        g_object_unref(choices);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), GTK_WIDGET(p->mode));
        gtk_box_append(GTK_BOX(box), group);

        group = adw_preferences_group_new();
        p->file_row = ADW_ACTION_ROW(adw_action_row_new());
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(p->file_row), _("Written to"));
        adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(p->file_row), FALSE);
        adw_action_row_set_subtitle(p->file_row, p->config_path ? p->config_path : "");
#if ADW_CHECK_VERSION(1, 3, 0)
        adw_action_row_set_subtitle_selectable(p->file_row, TRUE);   /* to find it in a text editor */
#endif
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), GTK_WIDGET(p->file_row));
        /* What saving did: a file path or a message with "&" is no markup. */
        p->outcome = ADW_ACTION_ROW(adw_action_row_new());
        adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(p->outcome), FALSE);
        adw_action_row_set_subtitle_lines(p->outcome, 0);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), GTK_WIDGET(p->outcome));
        gtk_box_append(GTK_BOX(box), group);

        button_box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
        gtk_widget_set_halign(button_box, GTK_ALIGN_CENTER);
        p->save_button = gtk_button_new_with_mnemonic(_("_Save"));
        gtk_widget_add_css_class(p->save_button, "pill");
        gtk_widget_add_css_class(p->save_button, "suggested-action");
        gtk_accessible_update_property(GTK_ACCESSIBLE(p->save_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       _("Save the preferences"), -1);
        g_signal_connect(p->save_button, "clicked", G_CALLBACK(on_save_clicked), box);
        gtk_box_append(GTK_BOX(button_box), p->save_button);
        gtk_box_append(GTK_BOX(box), button_box);
        /* Below the Save button, which is the file's: the collectors and
         * the rules for numbers are in the catalog, saved as each is
         * changed. */
        p->collectors = cw_collectors_group_new();
        gtk_box_append(GTK_BOX(box), p->collectors);
        p->numbers = cw_numbers_group_new();
        gtk_box_append(GTK_BOX(box), p->numbers);

        load_file(p);
        p->bus = app ? g_application_get_dbus_connection(app) : NULL;
        if (p->bus) {
                g_object_ref(p->bus);
                p->watch = g_bus_watch_name_on_connection(p->bus, CW_RECORDER_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                          on_appeared, on_vanished, p, NULL);
        }
        return box;
}
