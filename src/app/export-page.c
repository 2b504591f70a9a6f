/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <adwaita.h>
#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "callwitness/bundle.h"
#include "callwitness/config.h"
#include "callwitness/devicekey.h"
#include "callwitness/paths.h"
#include "export-page.h"

enum { CHOOSE_TAGGED, CHOOSE_CALL, CHOOSE_ALL };
enum { FORMAT_FOLDER, FORMAT_ZIP };

typedef struct export_page {
        char *data_dir;
        int64_t call_id;
        AdwComboRow *selection, *format;
        AdwActionRow *result, *check;
        GtkWidget *button, *spinner;
        gboolean running;
        void (*done)(const char *message, void *userdata);
        void *userdata;
} export_page;

/* What the worker needs, copied: the page may go while it runs. */
typedef struct export_job {
        char *data_dir, *output;
        int64_t call_id;
        gboolean tagged_only;
        /* Out. */
        size_t n_calls;
        char *error, *public_key;
        guint64 size;
} export_job;

static void export_job_free(gpointer data) {
        export_job *job = data;

        g_free(job->data_dir);
        g_free(job->output);
        g_free(job->error);
        g_free(job->public_key);
        g_free(job);
}

static export_page *page_of(GtkWidget *widget) {
        return g_object_get_data(G_OBJECT(widget), "export-page");
}

static char *catalog_path(const char *data_dir) {
        return g_build_filename(data_dir, "catalog.db", NULL);
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

static void run_export(GTask *task, gpointer source, gpointer data, GCancellable *cancellable) {
        export_job *job = data;
        cw_timestamp now = cw_timestamp_now();
        cw_call_filter filter = { .tagged_only = job->tagged_only };
        cw_export_request request = { .filter = &filter, .output = job->output, .data_dir = job->data_dir,
                                      .now = now };
        cw_export_result result = { 0 };
        cw_catalog *catalog = NULL;
        cw_device_key *key = NULL;
        cw_rulebook *rules = NULL;
        char *path = catalog_path(job->data_dir), *key_path = NULL, *zone = NULL, *error = NULL;
        char public_key[CW_PUBLIC_KEY_BASE64_LEN + 1];
        int created = 0, r;

        if (job->call_id > 0) {
                request.ids = &job->call_id;
                request.n_ids = 1;
        }
        r = cw_catalog_open(path, &now, &catalog);
        if (r < 0) {
                job->error = g_strdup_printf(_("Cannot open the catalog: %s"), g_strerror(-r));
                goto finish;
        }
        cw_catalog_set_busy_timeout(catalog, 5000);
        r = cw_paths_device_key(&key_path);
        if (r == 0)
                r = cw_device_key_open(key_path, &key, &created);
        if (r < 0) {
                job->error = g_strdup_printf(_("Cannot open this phone's key %s: %s (see callwitness key)"),
                                             key_path ? key_path : "", g_strerror(-r));
                goto finish;
        }
        cw_device_key_public(key, public_key);
        job->public_key = g_strdup(public_key);
        /* Without the rules the bundle still goes out, without "what the
         * rules say". */
        if (cw_config_user_rulebook(&rules, NULL) < 0)
                rules = NULL;
        zone = cw_local_time_zone_name();
        request.key = key;
        request.rules = rules;
        request.time_zone = zone ? zone : "UTC";
        r = cw_export(catalog, &request, &result, &error);
        if (r < 0)
                job->error = g_strdup_printf(_("Nothing was exported: %s"), error ? error : g_strerror(-r));
        else {
                job->n_calls = result.n_calls;
                job->size = size_of(job->output);
        }
finish:
        free(error);
        free(zone);
        free(key_path);
        g_free(path);
        cw_rulebook_free(rules);
        cw_device_key_free(key);
        cw_catalog_free(catalog);
        g_task_return_boolean(task, TRUE);
}

static void on_exported(GObject *source, GAsyncResult *result, gpointer userdata) {
        GtkWidget *widget = GTK_WIDGET(source);
        export_page *p = page_of(widget);
        export_job *job = g_task_get_task_data(G_TASK(result));
        char *message, *size, *check;

        p->running = FALSE;
        gtk_widget_set_sensitive(p->button, TRUE);
        gtk_spinner_stop(GTK_SPINNER(p->spinner));
        if (job->error) {
                adw_preferences_row_set_title(ADW_PREFERENCES_ROW(p->result), _("Not exported"));
                adw_action_row_set_subtitle(p->result, job->error);
                gtk_widget_set_visible(GTK_WIDGET(p->check), FALSE);
                g_message("export failed: %s", job->error);
                p->done(job->error, p->userdata);
                return;
        }
        size = g_format_size(job->size);
        message = g_strdup_printf(g_dngettext(NULL, "Exported %zu call to %s (%s)", "Exported %zu calls to %s (%s)",
                                              job->n_calls),
                                  job->n_calls, job->output, size);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(p->result), _("Exported"));
        adw_action_row_set_subtitle(p->result, message);
        check = g_strdup_printf("callwitness verify '%s' --key %s", job->output, job->public_key);
        adw_action_row_set_subtitle(p->check, check);
        gtk_widget_set_visible(GTK_WIDGET(p->check), TRUE);
        g_message("exported %zu calls to %s", job->n_calls, job->output);
        p->done(message, p->userdata);
        g_free(check);
        g_free(message);
        g_free(size);
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
        export_job *job;
        GTask *task;

        if (p->running)
                return;
        if (choice == CHOOSE_CALL && p->call_id <= 0) {
                p->done(_("Open a call first, or choose the tagged calls"), p->userdata);
                return;
        }
        job = g_new0(export_job, 1);
        job->data_dir = g_strdup(p->data_dir);
        job->output = output_path(adw_combo_row_get_selected(p->format) == FORMAT_ZIP);
        job->call_id = choice == CHOOSE_CALL ? p->call_id : 0;
        job->tagged_only = choice == CHOOSE_TAGGED;
        p->running = TRUE;
        gtk_widget_set_sensitive(p->button, FALSE);
        gtk_spinner_start(GTK_SPINNER(p->spinner));
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(p->result), _("Exporting…"));
        adw_action_row_set_subtitle(p->result, job->output);
        task = g_task_new(page, NULL, on_exported, NULL);
        g_task_set_task_data(task, job, export_job_free);
        g_task_run_in_thread(task, run_export);
        g_object_unref(task);
}

static void on_export_clicked(GtkButton *button, gpointer userdata) {
        cw_export_page_start(userdata);
}

void cw_export_page_set_call(GtkWidget *page, int64_t id) {
        page_of(page)->call_id = id;
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

        g_free(p->data_dir);
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

GtkWidget *cw_export_page_new(const char *data_dir, void (*done)(const char *message, void *userdata),
                              void *userdata) {
        const char *const selections[] = { _("All tagged calls"), _("The call shown"), _("All calls"), NULL };
        const char *const formats[] = { _("A folder"), _("A zip file"), NULL };
        export_page *p = g_new0(export_page, 1);
        GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 18);
        GtkWidget *choose = adw_preferences_group_new(), *outcome = adw_preferences_group_new();
        GtkWidget *key = adw_preferences_group_new(), *actions = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);

        p->data_dir = g_strdup(data_dir);
        p->done = done;
        p->userdata = userdata;
        g_object_set_data_full(G_OBJECT(box), "export-page", p, export_page_free);

        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(choose), _("Evidence bundle"));
        adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(choose),
                                              _("The recordings byte for byte, a report, and a signature anyone "
                                                "can check. Give it to a regulator, a lawyer or the police."));
        p->selection = combo_new(choose, _("Which calls"), selections);
        p->format = combo_new(choose, _("Save as"), formats);
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
