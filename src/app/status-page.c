/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

#include "callwitness/config.h"
#include "callwitness/paths.h"
#include "callwitness/profile.h"
#include "cli-tool.h"
#include "format.h"
#include "recorder-owner.h"
#include "status-page.h"

#define RECORDER_PATH "/org/callwitness/Recorder1"
#define RECORDER_INTERFACE "org.callwitness.Recorder1"
/* The warnings shown: the newest, as the daemon keeps them. */
#define MAX_WARNINGS 5

typedef struct status_page {
        AdwActionRow *service, *mode, *profile, *verdict;
        AdwPreferencesGroup *warnings;
        GPtrArray *warning_rows;
        GtkWidget *check_button, *spinner;
        GDBusConnection *bus;
        guint watch, changed;
        char *owner;               /* checked to be ours */
        char *appeared;            /* holds the name, not checked yet */
        GCancellable *cancellable;
} status_page;

static status_page *page_of(GtkWidget *widget) {
        return g_object_get_data(G_OBJECT(widget), "status-page");
}

static void set_row(AdwActionRow *row, const char *subtitle) {
        adw_action_row_set_subtitle(row, subtitle);
}

/* Without the daemon, what it would use: the configuration and the
 * device profile, chosen as the daemon and the doctor choose them. */
static void show_configured(status_page *p) {
        char *config_path = NULL, *error = NULL, *text;
        cw_profile profile = { 0 };
        cw_config cfg;

        cw_config_init_defaults(&cfg);
        if (cw_paths_config_file(&config_path) < 0 || cw_config_load(config_path, &cfg, &error) < 0) {
                text = g_strdup_printf(_("The configuration cannot be read: %s"), error ? error : "?");
                set_row(p->profile, text);
                set_row(p->mode, "");
                g_free(text);
                goto finish;
        }
        if (cw_profile_select(cw_paths_profiles_dir(), cfg.profile, "/", &profile, &error) < 0)
                set_row(p->profile, _("None: the defaults are used"));
        else {
                cw_config_apply_profile(&cfg, &profile);
                text = g_strdup_printf("%s (%s)", profile.name ? profile.name : profile.id,
                                       profile.confirmed ? _("confirmed on this hardware")
                                                         : _("not yet confirmed on this hardware"));
                set_row(p->profile, text);
                g_free(text);
        }
        if (!p->owner)
                set_row(p->mode, cw_app_capture_words(cfg.capture_mode));
finish:
        cw_profile_clear(&profile);
        cw_config_clear(&cfg);
        free(config_path);
        free(error);
}

static const char *state_words(const char *state) {
        if (strcmp(state, "recording") == 0)
                return _("Running: recording a call");
        if (strcmp(state, "ringing") == 0)
                return _("Running: a call is ringing");
        return _("Running: waiting for calls");
}

static void clear_warnings(status_page *p) {
        for (guint i = 0; i < p->warning_rows->len; i++)
                adw_preferences_group_remove(p->warnings, g_ptr_array_index(p->warning_rows, i));
        g_ptr_array_set_size(p->warning_rows, 0);
}

static void add_warning(status_page *p, const char *title, const char *subtitle) {
        GtkWidget *row = adw_action_row_new();

        /* Plain text first: a message with "&" or "<" is no markup. */
        adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
        adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
        adw_preferences_group_add(p->warnings, row);
        g_ptr_array_add(p->warning_rows, row);
}

static void show_properties(status_page *p, GVariant *properties) {
        const char *state = NULL, *mode = NULL;
        GVariant *warnings = NULL;
        cw_capture_mode capture;
        GVariantIter iter;
        gint64 call_id;
        const char *kind, *message;
        gsize n, i = 0;

        g_variant_lookup(properties, "State", "&s", &state);
        g_variant_lookup(properties, "CaptureMode", "&s", &mode);
        set_row(p->service, state ? state_words(state) : _("Running"));
        if (mode && cw_capture_mode_from_string(mode, &capture) == 0)
                set_row(p->mode, cw_app_capture_words(capture));
        clear_warnings(p);
        if (g_variant_lookup(properties, "Warnings", "@a(xss)", &warnings)) {
                n = g_variant_n_children(warnings);
                g_variant_iter_init(&iter, warnings);
                /* Oldest first: the last ones are the newest. */
                while (g_variant_iter_next(&iter, "(x&s&s)", &call_id, &kind, &message))
                        if (i++ + MAX_WARNINGS >= n) {
                                char *title = g_strdup_printf(_("Call %lld"), (long long) call_id);

                                add_warning(p, title, message);
                                g_free(title);
                        }
                g_variant_unref(warnings);
        }
        if (!p->warning_rows->len)
                add_warning(p, _("None"), _("No warning for a call in progress. Each call's warnings are on its "
                                            "page."));
        g_message("status: %s, %s, %u warnings", state ? state : "running", mode ? mode : "?", p->warning_rows->len);
}

static void on_properties(GObject *source, GAsyncResult *result, gpointer userdata) {
        GError *error = NULL;
        GVariant *reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
        GVariant *properties;

        if (reply && !((status_page *) userdata)->owner) {   /* gone meanwhile */
                g_variant_unref(reply);
                return;
        }
        if (!reply) {
                if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                        g_message("status: cannot read the service's state: %s", error->message);
                g_error_free(error);
                return;
        }
        g_variant_get(reply, "(@a{sv})", &properties);
        show_properties(userdata, properties);
        g_variant_unref(properties);
        g_variant_unref(reply);
}

static void read_properties(status_page *p) {
        g_dbus_connection_call(p->bus, p->owner, RECORDER_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                               g_variant_new("(s)", RECORDER_INTERFACE), G_VARIANT_TYPE("(a{sv})"),
                               G_DBUS_CALL_FLAGS_NONE, -1, p->cancellable, on_properties, p);
}

static void on_changed(GDBusConnection *bus, const char *sender, const char *path, const char *interface,
                       const char *member, GVariant *parameters, gpointer userdata) {
        read_properties(userdata);
}

static void on_owner_checked(const char *owner, gboolean ours, gpointer userdata) {
        status_page *p = userdata;
        GDBusConnection *bus = p->bus;

        if (g_strcmp0(owner, p->appeared) != 0)
                return;   /* gone, or another owner since */
        g_clear_pointer(&p->appeared, g_free);
        if (!ours) {
                set_row(p->service, _("Not trusted: a program of another user holds callwitnessd’s name on the "
                                      "bus. Calls are not being recorded by this phone’s service."));
                clear_warnings(p);
                add_warning(p, _("None"), _("The service is not running."));
                g_message("status: %s holds the name and runs as another user; not trusted", owner);
                return;
        }
        g_free(p->owner);
        p->owner = g_strdup(owner);
        if (p->changed)
                g_dbus_connection_signal_unsubscribe(bus, p->changed);
        /* From the name's owner only: any client can send a signal. */
        p->changed = g_dbus_connection_signal_subscribe(bus, owner, "org.freedesktop.DBus.Properties",
                                                        "PropertiesChanged", RECORDER_PATH, RECORDER_INTERFACE,
                                                        G_DBUS_SIGNAL_FLAGS_NONE, on_changed, p, NULL);
        read_properties(p);
}

static void on_appeared(GDBusConnection *bus, const char *name, const char *owner, gpointer userdata) {
        status_page *p = userdata;

        g_free(p->appeared);
        p->appeared = g_strdup(owner);
        cw_app_check_owner(bus, owner, p->cancellable, on_owner_checked, p);
}

static void on_vanished(GDBusConnection *bus, const char *name, gpointer userdata) {
        status_page *p = userdata;

        g_clear_pointer(&p->appeared, g_free);
        g_clear_pointer(&p->owner, g_free);
        if (p->changed && bus) {
                g_dbus_connection_signal_unsubscribe(bus, p->changed);
                p->changed = 0;
        }
        set_row(p->service, _("Not running: calls are not being recorded. Start it with "
                              "“systemctl --user enable --now callwitnessd”."));
        show_configured(p);
        clear_warnings(p);
        add_warning(p, _("None"), _("The service is not running."));
        g_message("status: not running");
}

/* --- the capture check ------------------------------------------------------ */

/* The doctor's verdict: what it printed after its last blank line. */
static char *verdict_of(const char *output) {
        const char *last = g_strrstr(output, "\n\n");
        char *verdict = g_strstrip(g_strdup(last ? last + 2 : output));

        return verdict;
}

static void on_doctor_done(GObject *source, GAsyncResult *result, gpointer userdata) {
        GSubprocess *doctor = G_SUBPROCESS(source);
        GError *error = NULL;
        char *output = NULL, *errors = NULL, *verdict;
        gboolean finished, works;
        status_page *p;

        finished = g_subprocess_communicate_utf8_finish(doctor, result, &output, &errors, &error);
        if (!finished) {
                if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
                        g_error_free(error);
                        g_object_unref(doctor);
                        return;   /* the page is gone */
                }
                output = g_strdup(error->message);
                g_error_free(error);
        }
        p = userdata;
        /* The verdict is on standard output; a doctor that could not run
         * says why on standard error. */
        works = finished && g_subprocess_get_if_exited(doctor) && g_subprocess_get_exit_status(doctor) == 0;
        verdict = verdict_of(output && output[0] ? output : errors ? errors : "");
        if (!verdict[0]) {
                g_free(verdict);
                verdict = g_strdup(_("The check gave no answer."));
        }
        set_row(p->verdict, verdict);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(p->verdict),
                                      works ? _("The capture works") : _("The capture needs attention"));
        g_message("capture check: exit %d: %s",
                  finished && g_subprocess_get_if_exited(doctor) ? g_subprocess_get_exit_status(doctor) : -1, verdict);
        gtk_widget_set_visible(p->spinner, FALSE);
        gtk_spinner_stop(GTK_SPINNER(p->spinner));
        gtk_widget_set_sensitive(p->check_button, TRUE);
        g_free(verdict);
        g_free(output);
        g_free(errors);
        g_object_unref(doctor);
}

void cw_status_page_check(GtkWidget *widget) {
        status_page *p = page_of(widget);
        GError *error = NULL;
        GSubprocess *doctor;

        if (!gtk_widget_get_sensitive(p->check_button))
                return;   /* one at a time */
        doctor = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                                  cw_app_cli_path(), "doctor", "--seconds", "3", NULL);
        if (!doctor) {
                adw_preferences_row_set_title(ADW_PREFERENCES_ROW(p->verdict), _("The check could not start"));
                set_row(p->verdict, error->message);
                g_message("capture check: %s", error->message);
                g_error_free(error);
                return;
        }
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(p->verdict), _("Listening for 3 s…"));
        set_row(p->verdict, _("Speak, or during a call let the other party speak."));
        gtk_widget_set_sensitive(p->check_button, FALSE);
        gtk_widget_set_visible(p->spinner, TRUE);
        gtk_spinner_start(GTK_SPINNER(p->spinner));
        g_subprocess_communicate_utf8_async(doctor, NULL, p->cancellable, on_doctor_done, p);
}

static void on_check_clicked(GtkButton *button, gpointer userdata) {
        cw_status_page_check(userdata);
}

/* --- the page ------------------------------------------------------------- */

static void status_page_free(gpointer data) {
        status_page *p = data;

        g_cancellable_cancel(p->cancellable);
        g_object_unref(p->cancellable);
        if (p->watch)
                g_bus_unwatch_name(p->watch);
        if (p->changed)
                g_dbus_connection_signal_unsubscribe(p->bus, p->changed);
        g_clear_object(&p->bus);
        g_ptr_array_unref(p->warning_rows);
        g_free(p->owner);
        g_free(p->appeared);
        g_free(p);
}

static AdwActionRow *info_row(GtkWidget *group, const char *title) {
        GtkWidget *row = adw_action_row_new();

        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
        adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), row);
        return ADW_ACTION_ROW(row);
}

GtkWidget *cw_status_page_new(void) {
        GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 18);
        GtkWidget *group = adw_preferences_group_new();
        GApplication *app = g_application_get_default();
        status_page *p = g_new0(status_page, 1);
        GtkWidget *check_box;

        p->cancellable = g_cancellable_new();
        p->warning_rows = g_ptr_array_new();
        g_object_set_data_full(G_OBJECT(box), "status-page", p, status_page_free);

        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(group), _("Recording"));
        p->service = info_row(group, _("Service"));
        p->profile = info_row(group, _("Device profile"));
        p->mode = info_row(group, _("Capture"));
        gtk_box_append(GTK_BOX(box), group);

        p->warnings = ADW_PREFERENCES_GROUP(adw_preferences_group_new());
        adw_preferences_group_set_title(p->warnings, _("Warnings now"));
        gtk_box_append(GTK_BOX(box), GTK_WIDGET(p->warnings));

        group = adw_preferences_group_new();
        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(group), _("Capture check"));
        adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(group),
                                              _("Listens to both sides for 3 s, as a call would be recorded, and "
                                                "says whether each was heard."));
        p->verdict = info_row(group, _("Not checked yet"));
        check_box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
        gtk_widget_set_halign(check_box, GTK_ALIGN_CENTER);
        gtk_widget_set_margin_top(check_box, 12);
        p->check_button = gtk_button_new_with_mnemonic(_("_Check the Capture"));
        gtk_widget_add_css_class(p->check_button, "pill");
        gtk_accessible_update_property(GTK_ACCESSIBLE(p->check_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       _("Check the capture"), -1);
        g_signal_connect(p->check_button, "clicked", G_CALLBACK(on_check_clicked), box);
        p->spinner = gtk_spinner_new();
        gtk_widget_set_visible(p->spinner, FALSE);
        gtk_box_append(GTK_BOX(check_box), p->check_button);
        gtk_box_append(GTK_BOX(check_box), p->spinner);
        gtk_box_append(GTK_BOX(box), group);
        gtk_box_append(GTK_BOX(box), check_box);

        show_configured(p);
        p->bus = app ? g_application_get_dbus_connection(app) : NULL;
        if (p->bus) {
                g_object_ref(p->bus);
                p->watch = g_bus_watch_name_on_connection(p->bus, CW_RECORDER_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                          on_appeared, on_vanished, p, NULL);
        } else
                set_row(p->service, _("Unknown: the app is not on the session bus"));
        return box;
}
