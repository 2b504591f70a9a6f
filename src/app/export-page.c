/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "callwitness/devicekey.h"
#include "callwitness/paths.h"
#include "cli-tool.h"
#include "export-page.h"

enum { CHOOSE_TAGGED, CHOOSE_CALL, CHOOSE_ALL };
enum { FORMAT_FOLDER, FORMAT_ZIP };

/* The report's language: the phone's, or one chosen (a Spanish-speaking
 * user may need an English report for a US regulator). Each named in its
 * own language, as a person looking for theirs reads it. */
static const struct {
        const char *code, *name;
} report_languages[] = {
        { NULL, NULL },   /* the phone's: its name is translated */
        { "en", "English" },
        { "es", "Español" },
        { "zh_CN", "简体中文" },
};

typedef struct export_page {
        int64_t call_id;
        AdwComboRow *selection, *format, *language;
        AdwActionRow *result, *check;
        GtkWidget *button, *spinner;
        gboolean running;
        char *output;                 /* of the export running */
        void (*done)(const char *message, void *userdata);
        void *userdata;
} export_page;

static export_page *page_of(GtkWidget *widget) {
        return g_object_get_data(G_OBJECT(widget), "export-page");
}

static guint64 size_of(const char *path) {
        GStatBuf st;
        GDir *dir;
        const char *name;
        guint64 size = 0;

        if (g_lstat(path, &st) < 0)
                return 0;
        if (!S_ISDIR(st.st_mode))
                return (guint64) st.st_size;
        if (!(dir = g_dir_open(path, 0, NULL)))
                return 0;
        while ((name = g_dir_read_name(dir))) {
                char *child = g_build_filename(path, name, NULL);

                size += size_of(child);
                g_free(child);
        }
        g_dir_close(dir);
        return size;
}

static void show_failure(export_page *p, const char *why) {
        char *message = g_strdup_printf(_("Nothing was exported: %s"), why);

        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(p->result), _("Not exported"));
        adw_action_row_set_subtitle(p->result, message);
        gtk_widget_set_visible(GTK_WIDGET(p->check), FALSE);
        g_message("export failed: %s", message);
        p->done(message, p->userdata);
        g_free(message);
}

static void show_success(export_page *p, size_t n_calls, const char *public_key) {
        char *size = g_format_size(size_of(p->output)), *message, *check, *quoted = g_shell_quote(p->output);
        char *shown = g_filename_display_name(p->output);

        message = g_strdup_printf(g_dngettext(NULL, "Exported %zu call to %s (%s)", "Exported %zu calls to %s (%s)",
                                              n_calls),
                                  n_calls, shown, size);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(p->result), _("Exported"));
        adw_action_row_set_subtitle(p->result, message);
        /* A line to paste into a shell, whatever the folder is called. */
        check = g_strdup_printf("callwitness verify %s --key %s", quoted, public_key);
        adw_action_row_set_subtitle(p->check, check);
        gtk_widget_set_visible(GTK_WIDGET(p->check), TRUE);
        g_message("exported %zu calls to %s", n_calls, shown);
        p->done(message, p->userdata);
        g_free(quoted);
        g_free(shown);
        g_free(check);
        g_free(message);
        g_free(size);
}

/* The last line of what a process wrote, as text to show (its bytes may
 * hold a path in the file system's encoding, not UTF-8). */
static char *last_line(GBytes *bytes) {
        gsize size = 0;
        const char *data = bytes ? g_bytes_get_data(bytes, &size) : NULL;
        char *text = g_strstrip(g_utf8_make_valid(data ? data : "", (gssize) size));
        char *line = strrchr(text, '\n'), *last = g_strdup(line ? line + 1 : text);

        g_free(text);
        return last;
}

/* The export ran in `callwitness export --json`: its last line says how
 * many calls went out and with which key (anything before it is not the
 * answer); a failure is its last line on standard error. */
static void on_exported(GObject *source, GAsyncResult *result, gpointer userdata) {
        GSubprocess *export = G_SUBPROCESS(source);
        GtkWidget *page = userdata;
        export_page *p = page_of(page);
        GBytes *output = NULL, *errors = NULL;
        GError *error = NULL;
        json_object *said = NULL, *calls = NULL, *key = NULL;
        char *line = NULL;

        p->running = FALSE;
        gtk_widget_set_sensitive(p->button, TRUE);
        gtk_spinner_stop(GTK_SPINNER(p->spinner));
        if (!g_subprocess_communicate_finish(export, result, &output, &errors, &error)) {
                show_failure(p, error->message);
                g_error_free(error);
        } else if (!g_subprocess_get_if_exited(export) || g_subprocess_get_exit_status(export) != 0) {
                line = last_line(errors);
                show_failure(p, line[0] ? line : _("callwitness export failed"));
        } else if (!(said = json_tokener_parse(line = last_line(output))) ||
                   !json_object_object_get_ex(said, "calls", &calls) ||
                   !json_object_object_get_ex(said, "public_key", &key))
                show_failure(p, _("callwitness export gave no answer"));
        else
                show_success(p, (size_t) json_object_get_int64(calls), json_object_get_string(key));
        json_object_put(said);
        g_free(line);
        if (output)
                g_bytes_unref(output);
        if (errors)
                g_bytes_unref(errors);
        g_object_unref(export);
        g_object_unref(page);
}

/* A new name each time, in Documents (else the home folder). */
static char *output_path(gboolean zip) {
        const char *documents = g_get_user_special_dir(G_USER_DIRECTORY_DOCUMENTS);
        GDateTime *now = g_date_time_new_now_local();
        char *stamp = g_date_time_format(now, "%Y-%m-%d_%H-%M-%S");
        char *name = g_strdup_printf("callwitness-evidence-%s%s", stamp, zip ? ".zip" : "");
        char *path = g_build_filename(documents && g_file_test(documents, G_FILE_TEST_IS_DIR) ? documents
                                                                                               : g_get_home_dir(),
                                      name, NULL);

        g_date_time_unref(now);
        g_free(stamp);
        g_free(name);
        return path;
}

void cw_export_page_start(GtkWidget *page) {
        export_page *p = page_of(page);
        guint choice = adw_combo_row_get_selected(p->selection);
        const char *language = report_languages[adw_combo_row_get_selected(p->language)].code;
        GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
        GSubprocess *export;
        GError *error = NULL;
        char *shown;

        if (p->running)
                return;
        if (choice == CHOOSE_CALL && p->call_id <= 0) {
                p->done(_("Open a call first, or choose the tagged calls"), p->userdata);
                g_ptr_array_unref(argv);
                return;
        }
        g_free(p->output);
        p->output = output_path(adw_combo_row_get_selected(p->format) == FORMAT_ZIP);
        /* In a process of its own: the report's language is the process's
         * (gettext's), and zipping a long call takes seconds. It records
         * the export in the catalog's audit log as any export. */
        g_ptr_array_add(argv, g_strdup(cw_app_cli_path()));
        g_ptr_array_add(argv, g_strdup("export"));
        g_ptr_array_add(argv, choice == CHOOSE_CALL    ? g_strdup_printf("%" G_GINT64_FORMAT, p->call_id)
                              : choice == CHOOSE_ALL ? g_strdup("--all")
                                                     : g_strdup("--tagged"));
        if (language) {
                g_ptr_array_add(argv, g_strdup("--lang"));
                g_ptr_array_add(argv, g_strdup(language));
        }
        g_ptr_array_add(argv, g_strdup("--json"));
        g_ptr_array_add(argv, g_strdup("-o"));
        g_ptr_array_add(argv, g_strdup(p->output));
        g_ptr_array_add(argv, NULL);
        export = g_subprocess_newv((const char *const *) argv->pdata,
                                   G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
        g_ptr_array_unref(argv);
        if (!export) {
                show_failure(p, error->message);
                g_error_free(error);
                return;
        }
        p->running = TRUE;
        gtk_widget_set_sensitive(p->button, FALSE);
        gtk_spinner_start(GTK_SPINNER(p->spinner));
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(p->result), _("Exporting…"));
        shown = g_filename_display_name(p->output);
        adw_action_row_set_subtitle(p->result, shown);
        g_free(shown);
        g_subprocess_communicate_async(export, NULL, NULL, on_exported, g_object_ref(page));
}

static void on_export_clicked(GtkButton *button, gpointer userdata) {
        cw_export_page_start(userdata);
}

void cw_export_page_set_call(GtkWidget *page, int64_t id) {
        page_of(page)->call_id = id;
}

gboolean cw_export_page_set_language(GtkWidget *page, const char *code) {
        export_page *p = page_of(page);

        for (guint i = 0; i < G_N_ELEMENTS(report_languages); i++)
                if (g_strcmp0(report_languages[i].code, code) == 0 ||
                    (!report_languages[i].code && strcmp(code, "phone") == 0)) {
                        adw_combo_row_set_selected(p->language, i);
                        return TRUE;
                }
        return FALSE;
}

void cw_export_page_choose(GtkWidget *page, const char *selection, const char *format) {
        export_page *p = page_of(page);

        adw_combo_row_set_selected(p->selection, strcmp(selection, "call") == 0  ? CHOOSE_CALL
                                                 : strcmp(selection, "all") == 0 ? CHOOSE_ALL
                                                                                 : CHOOSE_TAGGED);
        adw_combo_row_set_selected(p->format, strcmp(format, "zip") == 0 ? FORMAT_ZIP : FORMAT_FOLDER);
}

static void export_page_free(gpointer data) {
        export_page *p = data;

        g_free(p->output);
        g_free(p);
}

static AdwComboRow *combo_new(GtkWidget *group, const char *title, const char *const *choices) {
        GtkWidget *row = adw_combo_row_new();

        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
        adw_combo_row_set_model(ADW_COMBO_ROW(row), G_LIST_MODEL(gtk_string_list_new(choices)));
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), row);
        return ADW_COMBO_ROW(row);
}

static AdwActionRow *info_row(GtkWidget *group, const char *title, const char *subtitle) {
        GtkWidget *row = adw_action_row_new();

        adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
        adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle ? subtitle : "");
#if ADW_CHECK_VERSION(1, 3, 0)
        adw_action_row_set_subtitle_selectable(ADW_ACTION_ROW(row), TRUE);
#endif
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), row);
        return ADW_ACTION_ROW(row);
}

/* The key's id and public half, as `callwitness key` prints them; made now
 * if the phone has none yet (as the first export would). */
static void show_key(export_page *p, GtkWidget *group) {
        char *path = NULL, public_key[CW_PUBLIC_KEY_BASE64_LEN + 1], id[17], *text;
        cw_device_key *key = NULL;
        int created = 0;

        if (cw_paths_device_key(&path) == 0 && cw_device_key_open(path, &key, &created) == 0) {
                cw_device_key_public(key, public_key);
                cw_device_key_id(key, id);
                text = g_strdup_printf(_("Key %s: %s"), id, public_key);
                info_row(group, _("This phone's key"), text);
                g_free(text);
        } else
                info_row(group, _("This phone's key"), _("Cannot be read: see callwitness key"));
        cw_device_key_free(key);
        free(path);
}

GtkWidget *cw_export_page_new(void (*done)(const char *message, void *userdata), void *userdata) {
        const char *const selections[] = { _("All tagged calls"), _("The call shown"), _("All calls"), NULL };
        const char *const formats[] = { _("A folder"), _("A zip file"), NULL };
        const char *languages[G_N_ELEMENTS(report_languages) + 1] = { _("The phone's language") };
        export_page *p = g_new0(export_page, 1);
        GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 18);
        GtkWidget *choose = adw_preferences_group_new(), *outcome = adw_preferences_group_new();
        GtkWidget *key = adw_preferences_group_new(), *actions = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);

        p->done = done;
        p->userdata = userdata;
        g_object_set_data_full(G_OBJECT(box), "export-page", p, export_page_free);

        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(choose), _("Evidence bundle"));
        adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(choose),
                                              _("The recordings byte for byte, a report, and a signature anyone "
                                                "can check. Give it to a regulator, a lawyer or the police."));
        p->selection = combo_new(choose, _("Which calls"), selections);
        p->format = combo_new(choose, _("Save as"), formats);
        for (guint i = 1; i < G_N_ELEMENTS(report_languages); i++)
                languages[i] = report_languages[i].name;
        p->language = combo_new(choose, _("Report in"), languages);
        gtk_box_append(GTK_BOX(box), choose);

        p->button = gtk_button_new_with_label(_("Export"));
        gtk_widget_add_css_class(p->button, "suggested-action");
        gtk_widget_add_css_class(p->button, "pill");
        gtk_widget_set_hexpand(p->button, TRUE);
        g_signal_connect(p->button, "clicked", G_CALLBACK(on_export_clicked), box);
        p->spinner = gtk_spinner_new();
        gtk_accessible_update_property(GTK_ACCESSIBLE(p->spinner), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Exporting"), -1);
        gtk_box_append(GTK_BOX(actions), p->button);
        gtk_box_append(GTK_BOX(actions), p->spinner);
        gtk_box_append(GTK_BOX(box), actions);

        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(outcome), _("Result"));
        p->result = info_row(outcome, _("Not exported yet"), NULL);
        p->check = info_row(outcome, _("How anyone checks it"), NULL);
        gtk_widget_set_visible(GTK_WIDGET(p->check), FALSE);
        gtk_box_append(GTK_BOX(box), outcome);

        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(key), _("Signed by"));
        adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(key),
                                              _("Give this key to whoever receives the bundle by another way "
                                                "(a message, on paper): it proves the bundle came from this "
                                                "phone unchanged."));
        show_key(p, key);
        gtk_box_append(GTK_BOX(box), key);
        return box;
}
