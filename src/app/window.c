/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <glib/gi18n.h>
#include <string.h>
#include <sys/stat.h>

#include "callwitness/catalog.h"
#include "callwitness/paths.h"
#include "callwitness/review.h"
#include "callwitness/text.h"
#include "calls-model.h"
#include "export-page.h"
#include "format.h"
#include "player.h"
#include "prefs-page.h"
#include "status-page.h"
#include "window.h"

/* After the daemon writes, the catalog is read again this much later: one
 * call makes several writes in a row. */
#define RELOAD_DELAY_MS 300

static const struct {
        const char *name, *label;
        CwCallsFilter filter;
} filters[] = {
        { "all", N_("All"), CW_CALLS_ALL },
        { "tagged", N_("Tagged"), CW_CALLS_TAGGED },
        { "missed", N_("Missed"), CW_CALLS_MISSED },
        { "messages", N_("Texts"), CW_CALLS_MESSAGES },
        { "encounters", N_("Visits"), CW_CALLS_ENCOUNTERS },
};

struct _CwWindow {
        AdwApplicationWindow parent;
        AdwToastOverlay *toasts;
        AdwLeaflet *leaflet;
        GtkWidget *list_pane, *call_pane;
        GtkStack *list_stack;
        AdwStatusPage *empty;
        GtkListView *list;
        GtkSingleSelection *selection;
        CwCallsModel *model;
        GtkWidget *filter_buttons[G_N_ELEMENTS(filters)];
        GtkSearchEntry *search;
        AdwWindowTitle *call_title;
        GtkBox *call_content;
        GtkStack *right;              /* a call's page, or the export page */
        GtkWidget *export_page, *status_page, *prefs_page;
        char *data_dir, *catalog_path;
        cw_catalog *reader;
        dev_t reader_dev;             /* the file the reader has open */
        ino_t reader_ino;
        GFileMonitor *monitor;
        guint reload_source;
        int64_t shown_id;
        /* The recording being heard, and its controls on the page shown. */
        cw_player *player;
        int64_t player_call;
        guint sides;                  /* the choice of sides_choices heard */
        guint position_source;
        GtkWidget *play_button, *position_scale, *position_label;
        AdwMessageDialog *question;   /* the confirmation open, if any */
};

G_DEFINE_TYPE(CwWindow, cw_window, ADW_TYPE_APPLICATION_WINDOW)

/* A toast's title is markup in libadwaita 1.2: a path with "&" would
 * come out empty. */
static void toast(CwWindow *win, const char *text) {
        char *escaped = g_markup_escape_text(text, -1);

        adw_toast_overlay_add_toast(win->toasts, adw_toast_new(escaped));
        g_free(escaped);
}

/* --- the catalog -------------------------------------------------------- */

static void update_empty(CwWindow *win) {
        guint n = g_list_model_get_n_items(G_LIST_MODEL(win->model));

        if (!win->list_stack)   /* still being built */
                return;
        if (n) {
                gtk_stack_set_visible_child_name(win->list_stack, "list");
                return;
        }
        if (!win->reader) {
                adw_status_page_set_title(win->empty, _("No calls recorded yet"));
                adw_status_page_set_description(win->empty, _("Calls appear here as callwitnessd records them."));
        } else if (cw_calls_model_get_total(win->model)) {
                adw_status_page_set_title(win->empty, _("Nothing here"));
                adw_status_page_set_description(win->empty, _("No call matches this filter or search."));
        } else {
                adw_status_page_set_title(win->empty, _("No calls recorded yet"));
                adw_status_page_set_description(win->empty, NULL);
        }
        gtk_stack_set_visible_child_name(win->list_stack, "empty");
}

/* The catalog's file now, by path: `callwitness recover` puts a new one in
 * place and the old one aside. */
static bool catalog_file(CwWindow *win, dev_t *dev, ino_t *ino) {
        struct stat st;

        if (stat(win->catalog_path, &st) < 0)
                return false;
        *dev = st.st_dev;
        *ino = st.st_ino;
        return true;
}

static bool reader_current(CwWindow *win) {
        dev_t dev;
        ino_t ino;

        return win->reader && catalog_file(win, &dev, &ino) && dev == win->reader_dev && ino == win->reader_ino;
}

static bool open_reader(CwWindow *win) {
        int r;

        if (win->reader && reader_current(win))
                return true;
        /* Replaced or gone: what the page showed is from another file. */
        win->reader = cw_catalog_free(win->reader);
        if (!catalog_file(win, &win->reader_dev, &win->reader_ino))
                return false;
        r = cw_catalog_open_readonly(win->catalog_path, &win->reader);
        if (r < 0 && r != -ENOENT) {
                char *text = g_strdup_printf(_("Cannot read the catalog: %s"), g_strerror(-r));

                toast(win, text);
                g_free(text);
        }
        return r == 0;
}

/* What the list shows, for the log (the tests read it). */
static void log_listing(CwWindow *win) {
        GListModel *list = G_LIST_MODEL(win->model);
        guint n = g_list_model_get_n_items(list);
        GString *top = g_string_new(NULL);

        for (guint i = 0; i < n && i < 3; i++) {
                CwCallItem *item = g_list_model_get_item(list, i);

                g_string_append_printf(top, "%s%s", i ? " | " : ": ", cw_call_item_get_title(item));
                g_object_unref(item);
        }
        g_debug("listing %u of %u calls%s", n, cw_calls_model_get_total(win->model), top->str);
        g_string_free(top, TRUE);
}

void cw_window_reload(CwWindow *win) {
        int r;

        if (open_reader(win) && (r = cw_calls_model_load(win->model, win->reader)) < 0) {
                char *text = g_strdup_printf(_("Cannot read the catalog: %s"), g_strerror(-r));

                toast(win, text);
                g_free(text);
                /* A catalog replaced by `callwitness recover` is opened anew. */
                win->reader = cw_catalog_free(win->reader);
        }
        update_empty(win);
        log_listing(win);
        if (win->shown_id)
                cw_window_show_call(win, win->shown_id);
}

static gboolean on_reload_due(gpointer userdata) {
        CwWindow *win = userdata;

        win->reload_source = 0;
        cw_window_reload(win);
        return G_SOURCE_REMOVE;
}

static void on_data_dir_changed(GFileMonitor *monitor, GFile *file, GFile *other, GFileMonitorEvent event,
                                gpointer userdata) {
        CwWindow *win = userdata;
        char *name = g_file_get_basename(file);

        /* Only what a writer changes: the database and its write-ahead log.
         * Reading touches catalog.db-shm, and reacting to that would read
         * again and again. */
        if ((strcmp(name, "catalog.db") == 0 || strcmp(name, "catalog.db-wal") == 0) &&
            event != G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED && !win->reload_source)
                win->reload_source = g_timeout_add(RELOAD_DELAY_MS, on_reload_due, win);
        g_free(name);
}

/* A writable catalog for one change, as the CLI opens it. */
static cw_catalog *open_writer(CwWindow *win) {
        cw_timestamp now = cw_timestamp_now();
        cw_catalog *catalog = NULL;
        int r;

        /* A change goes to the catalog the page was read from: after a
         * recover, call 2 may be another call. */
        if (!reader_current(win)) {
                toast(win, _("The catalog was replaced: look at the call again"));
                g_message("not saved: the catalog was replaced");
                cw_window_reload(win);
                return NULL;
        }
        r = cw_catalog_open(win->catalog_path, &now, &catalog);

        if (r < 0) {
                char *text = g_strdup_printf(_("Cannot write to the catalog: %s"), g_strerror(-r));

                toast(win, text);
                g_free(text);
                return NULL;
        }
        /* The daemon may be in a write: wait for it as long as a person does. */
        cw_catalog_set_busy_timeout(catalog, 5000);
        return catalog;
}

static int finish_change(CwWindow *win, cw_catalog *catalog, int r, const char *done) {
        if (r < 0) {
                char *text = g_strdup_printf(_("Not saved: %s"), r == -EINVAL ? _("the text is empty, too long, or has "
                                                                                   "characters that cannot be kept")
                                                                 : r == -ENOENT ? _("there is no such call")
                                                                                : g_strerror(-r));

                toast(win, text);
                g_message("%s", text);
                g_free(text);
        } else
                toast(win, done);
        cw_catalog_free(catalog);
        cw_window_reload(win);
        return r;
}

int cw_window_add_note(CwWindow *win, int64_t id, const char *text) {
        cw_timestamp now = cw_timestamp_now();
        cw_catalog *catalog = open_writer(win);

        if (!catalog)
                return -EIO;
        return finish_change(win, catalog, cw_review_add_note(catalog, id, text, &now), _("Note added"));
}

int cw_window_set_caller(CwWindow *win, int64_t id, const char *company, const char *employee_id, const char *name) {
        cw_timestamp now = cw_timestamp_now();
        cw_catalog *catalog = open_writer(win);

        if (!catalog)
                return -EIO;
        return finish_change(win, catalog, cw_review_set_identity(catalog, id, company, employee_id, name, &now),
                             _("Who called is saved"));
}

static int tag_call(CwWindow *win, int64_t id, const char *tag, bool add) {
        cw_timestamp now = cw_timestamp_now();
        cw_catalog *catalog = open_writer(win);

        if (!catalog)
                return -EIO;
        return finish_change(win, catalog, add ? cw_review_tag(catalog, id, tag, NULL, &now)
                                               : cw_review_untag(catalog, id, tag, &now),
                             add ? _("Tag added") : _("Tag removed"));
}

/* --- deleting a call -------------------------------------------------------- */

static void ask_delete(CwWindow *win, int64_t id, cw_delete_refusal refused);
static bool catalog_file(CwWindow *win, dev_t *dev, ino_t *ino);

/* What a delete question is about. */
typedef struct question {
        int64_t id;
        dev_t dev;
        ino_t ino;
        bool force;
} question;
static void stop_player(CwWindow *win);

static int note_call(const cw_call_record *call, void *userdata) {
        char **who = userdata;
        const char *what;
        char *when, *seen;

        if (*who)
                return 1;
        /* A number or label is what the modem or a person gave: written
         * out, never a line break or a direction override. */
        what = call->kind == CW_KIND_ENCOUNTER ? call->label : call->number;
        seen = what ? cw_text_visible_line(what) : NULL;
        when = cw_app_format_when(&call->started);
        *who = g_strdup_printf("%s, %s", seen ? seen : call->kind == CW_KIND_ENCOUNTER ? _("A visit")
                                                                                     : _("Withheld number"),
                               when ? when : "");
        g_free(when);
        free(seen);
        return 0;
}

/* Who and when, for the question; NULL when there is no such call. */
static char *call_words(CwWindow *win, int64_t id) {
        char *who = NULL;

        if (id > 0 && open_reader(win))
                cw_catalog_find_calls(win->reader, &(cw_call_filter) { .id = id }, note_call, &who);
        return who;
}

static bool call_exists(CwWindow *win, int64_t id) {
        char *who = call_words(win, id);
        bool exists = who != NULL;

        g_free(who);
        return exists;
}

static void delete_call(CwWindow *win, int64_t id, bool force) {
        cw_timestamp now = cw_timestamp_now();
        cw_delete_refusal refusal = CW_DELETE_OK;
        cw_catalog *catalog = open_writer(win);
        char *text;
        bool gone;
        int r;

        if (!catalog)
                return;
        r = cw_review_delete(catalog, win->data_dir, id, force, &now, &refusal);
        cw_catalog_free(catalog);
        if (r == -EPERM) {
                /* Tagged or exported: possibly evidence, so asked again. */
                ask_delete(win, id, refusal);
                return;
        }
        /* Only removing the file comes after the rows are gone; any other
         * failure (a busy or read-only catalog, a full disk) deleted
         * nothing. */
        gone = r == 0 || (r != -EBUSY && r != -ENOENT && !call_exists(win, id));
        if (r == 0)
                text = g_strdup(_("Call deleted; the audit log records it"));
        else if (r == -EBUSY && refusal == CW_DELETE_IN_PROGRESS)
                text = g_strdup(_("The call is still in progress; nothing deleted"));
        else if (r == -ENOENT)
                text = g_strdup(_("There is no such call; nothing deleted"));
        else if (gone)
                text = g_strdup_printf(_("The call is deleted, but its file could not be removed: %s"), g_strerror(-r));
        else
                text = g_strdup_printf(_("Nothing deleted: %s"), g_strerror(-r));
        g_message("delete call %" G_GINT64_FORMAT ": %s", id, r == 0 ? "deleted" : g_strerror(-r));
        toast(win, text);
        g_free(text);
        if (gone) {
                if (win->player_call == id)
                        stop_player(win);
                if (win->shown_id == id) {
                        cw_window_show_call(win, 0);   /* side by side, its page would stay */
                        adw_leaflet_navigate(win->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
                }
        }
        cw_window_reload(win);
}

/* A question answered without its button (the tests' "answer") stays
 * open: it is closed once its answer is handled. */
static gboolean close_answered(gpointer data) {
        if (gtk_widget_get_visible(data))
                gtk_window_destroy(data);
        return G_SOURCE_REMOVE;
}

static void on_question_answered(AdwMessageDialog *dialog, const char *response, gpointer userdata) {
        CwWindow *win = userdata;
        const question *q = g_object_get_data(G_OBJECT(dialog), "question");
        dev_t dev;
        ino_t ino;

        g_signal_handlers_disconnect_by_data(dialog, win);
        g_idle_add_full(G_PRIORITY_DEFAULT, close_answered, g_object_ref(dialog), g_object_unref);
        if (win->question == dialog)
                win->question = NULL;
        if (strcmp(response, "delete") != 0) {
                g_message("kept call %" G_GINT64_FORMAT, q->id);
                return;
        }
        /* Asked about a call of the catalog then: after a recover, the same
         * id may be another call. */
        if (!catalog_file(win, &dev, &ino) || dev != q->dev || ino != q->ino) {
                toast(win, _("The catalog was replaced: look at the call again"));
                g_message("not deleted: the catalog was replaced");
                cw_window_reload(win);
                return;
        }
        delete_call(win, q->id, q->force);
}

/* First whether to delete at all; a call refused as possible evidence
 * (tagged, or in a bundle handed over) is asked about once more. */
static void ask_delete(CwWindow *win, int64_t id, cw_delete_refusal refused) {
        const char *heading = _("Delete this call?");
        const char *body = _("Its recording, notes and tags are deleted for good. The audit log keeps a record "
                             "that it was deleted.");
        const char *yes = _("_Delete");
        AdwMessageDialog *dialog;
        question *q;
        char *who = call_words(win, id), *text;

        if (refused == CW_DELETE_TAGGED || refused == CW_DELETE_EXPORTED) {
                heading = _("This call may be evidence");
                body = refused == CW_DELETE_TAGGED
                               ? _("It is tagged as possible harassment. Once deleted, it cannot be shown to anyone. "
                                   "Delete it anyway?")
                               : _("It is in an evidence bundle you exported. The bundle stays as it is, but this "
                                   "phone can no longer show the call. Delete it anyway?");
                yes = _("Delete _Anyway");
        }
        if (!who) {
                toast(win, _("There is no such call; nothing deleted"));
                g_message("delete call %" G_GINT64_FORMAT ": no such call", id);
                return;
        }
        q = g_new0(question, 1);
        q->id = id;
        q->force = refused != CW_DELETE_OK;
        if (!catalog_file(win, &q->dev, &q->ino)) {
                g_free(q);
                g_free(who);
                return;
        }
        if (win->question) {
                g_signal_handlers_disconnect_by_data(win->question, win);
                gtk_window_destroy(GTK_WINDOW(win->question));
        }
        /* The call named: the question may come from outside (the
         * "delete" action) over another call's page. */
        text = g_strdup_printf("%s\n\n%s", who, body);
        dialog = ADW_MESSAGE_DIALOG(adw_message_dialog_new(GTK_WINDOW(win), heading, text));
        g_free(text);
        g_free(who);
        adw_message_dialog_add_responses(dialog, "cancel", refused == CW_DELETE_OK ? _("_Cancel") : _("_Keep It"),
                                         "delete", yes, NULL);
        adw_message_dialog_set_response_appearance(dialog, "delete", ADW_RESPONSE_DESTRUCTIVE);
        adw_message_dialog_set_default_response(dialog, "cancel");
        adw_message_dialog_set_close_response(dialog, "cancel");
        g_object_set_data_full(G_OBJECT(dialog), "question", q, g_free);
        g_signal_connect(dialog, "response", G_CALLBACK(on_question_answered), win);
        win->question = dialog;
        g_message("asking to delete call %" G_GINT64_FORMAT "%s", id,
                  refused == CW_DELETE_OK ? "" : refused == CW_DELETE_TAGGED ? " (tagged)" : " (exported)");
        gtk_window_present(GTK_WINDOW(dialog));
}

void cw_window_ask_delete(CwWindow *win, int64_t id) {
        ask_delete(win, id, CW_DELETE_OK);
}

void cw_window_answer(CwWindow *win, const char *response) {
        if (!win->question) {
                g_message("no question is open");
                return;
        }
        adw_message_dialog_response(win->question, response);
}

/* --- the list ----------------------------------------------------------- */

static GtkWidget *label_new(const char *css_class, float xalign) {
        GtkWidget *label = gtk_label_new(NULL);

        gtk_label_set_xalign(GTK_LABEL(label), xalign);
        gtk_label_set_ellipsize(GTK_LABEL(label), PANGO_ELLIPSIZE_END);
        if (css_class)
                gtk_widget_add_css_class(label, css_class);
        return label;
}

static void on_row_setup(GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer userdata) {
        GtkWidget *outer = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
        GtkWidget *day = label_new("heading", 0);
        GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
        GtkWidget *text = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
        GtkWidget *tags = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 4);

        gtk_widget_set_margin_top(day, 12);
        gtk_box_append(GTK_BOX(outer), day);
        gtk_box_append(GTK_BOX(row), gtk_image_new());
        gtk_widget_set_hexpand(text, TRUE);
        gtk_box_append(GTK_BOX(text), label_new(NULL, 0));
        gtk_box_append(GTK_BOX(text), label_new("dim-label", 0));
        gtk_box_append(GTK_BOX(text), tags);
        gtk_box_append(GTK_BOX(row), text);
        gtk_box_append(GTK_BOX(row), gtk_image_new_from_icon_name("dialog-warning-symbolic"));
        gtk_box_append(GTK_BOX(outer), row);
        gtk_widget_set_margin_start(outer, 12);
        gtk_widget_set_margin_end(outer, 12);
        gtk_widget_set_margin_bottom(outer, 6);
        gtk_list_item_set_child(list_item, outer);
}

static void on_row_bind(GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer userdata) {
        CwCallItem *item = gtk_list_item_get_item(list_item);
        GtkWidget *outer = gtk_list_item_get_child(list_item);
        GtkWidget *day = gtk_widget_get_first_child(outer), *row = gtk_widget_get_next_sibling(day);
        GtkWidget *icon = gtk_widget_get_first_child(row), *text = gtk_widget_get_next_sibling(icon);
        GtkWidget *warning = gtk_widget_get_next_sibling(text);
        GtkWidget *title = gtk_widget_get_first_child(text), *subtitle = gtk_widget_get_next_sibling(title);
        GtkWidget *tags = gtk_widget_get_next_sibling(subtitle), *child;
        const char *const *names = cw_call_item_get_tags(item);
        char *description;

        gtk_label_set_text(GTK_LABEL(day), cw_call_item_get_day(item));
        gtk_widget_set_visible(day, cw_call_item_get_starts_day(item));
        gtk_image_set_from_icon_name(GTK_IMAGE(icon), cw_call_item_get_icon_name(item));
        gtk_label_set_text(GTK_LABEL(title), cw_call_item_get_title(item));
        gtk_label_set_text(GTK_LABEL(subtitle), cw_call_item_get_subtitle(item));
        gtk_widget_set_visible(warning, cw_call_item_get_has_warnings(item));
        while ((child = gtk_widget_get_first_child(tags)))
                gtk_box_remove(GTK_BOX(tags), child);
        for (size_t i = 0; names[i]; i++) {
                GtkWidget *pill = gtk_label_new(names[i]);

                gtk_widget_add_css_class(pill, "cw-tag");
                gtk_box_append(GTK_BOX(tags), pill);
        }
        gtk_widget_set_visible(tags, names[0] != NULL);
        /* A screen reader hears the row as one sentence. */
        description = g_strdup_printf("%s, %s%s%s", cw_call_item_get_title(item), cw_call_item_get_subtitle(item),
                                      names[0] ? _(", tagged ") : "", names[0] ? names[0] : "");
        gtk_accessible_update_property(GTK_ACCESSIBLE(outer), GTK_ACCESSIBLE_PROPERTY_LABEL, description, -1);
        g_free(description);
}

static void on_row_activated(GtkListView *list, guint position, gpointer userdata) {
        CwWindow *win = userdata;
        CwCallItem *item = g_list_model_get_item(G_LIST_MODEL(win->model), position);

        if (!item)
                return;
        cw_window_show_call(win, cw_call_item_get_id(item));
        g_object_unref(item);
}

static void on_filter_toggled(GtkToggleButton *button, gpointer userdata) {
        CwWindow *win = userdata;

        if (!gtk_toggle_button_get_active(button))
                return;
        for (size_t i = 0; i < G_N_ELEMENTS(filters); i++)
                if (win->filter_buttons[i] == GTK_WIDGET(button))
                        cw_calls_model_set_filter(win->model, filters[i].filter);
        update_empty(win);
}

void cw_window_set_filter(CwWindow *win, const char *filter) {
        for (size_t i = 0; i < G_N_ELEMENTS(filters); i++)
                if (strcmp(filters[i].name, filter) == 0)
                        gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(win->filter_buttons[i]), TRUE);
}

static void on_search_changed(GtkSearchEntry *entry, gpointer userdata) {
        CwWindow *win = userdata;

        cw_calls_model_set_search(win->model, gtk_editable_get_text(GTK_EDITABLE(entry)));
        update_empty(win);
}

void cw_window_set_search(CwWindow *win, const char *text) {
        gtk_editable_set_text(GTK_EDITABLE(win->search), text);
}

static void on_show_status(GtkButton *button, gpointer userdata) {
        cw_window_show_status(userdata);
}

static void on_show_prefs(GtkButton *button, gpointer userdata) {
        cw_window_show_prefs(userdata);
}

static void on_show_export(GtkButton *button, gpointer userdata) {
        cw_window_show_export(userdata);
}

static GtkWidget *build_list_pane(CwWindow *win) {
        GtkWidget *pane = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
        GtkWidget *header = adw_header_bar_new();
        GtkWidget *filter_box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
        GtkWidget *filter_scroll = gtk_scrolled_window_new();
        GtkWidget *scroll = gtk_scrolled_window_new();
        GtkListItemFactory *factory = gtk_signal_list_item_factory_new();
        GtkWidget *search_box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
        GtkWidget *export, *status, *prefs;

        adw_header_bar_set_title_widget(ADW_HEADER_BAR(header), adw_window_title_new(_("Call log"), NULL));
        /* Side by side, the window's buttons are on the call's side only. */
        g_object_bind_property(win->leaflet, "folded", header, "show-end-title-buttons", G_BINDING_SYNC_CREATE);
        export = gtk_button_new_from_icon_name("document-send-symbolic");
        gtk_accessible_update_property(GTK_ACCESSIBLE(export), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Export evidence"), -1);
        gtk_widget_set_tooltip_text(export, _("Export evidence"));
        g_signal_connect(export, "clicked", G_CALLBACK(on_show_export), win);
        adw_header_bar_pack_start(ADW_HEADER_BAR(header), export);
        status = gtk_button_new_from_icon_name("emblem-system-symbolic");
        gtk_accessible_update_property(GTK_ACCESSIBLE(status), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       _("Is recording working?"), -1);
        gtk_widget_set_tooltip_text(status, _("Is recording working?"));
        g_signal_connect(status, "clicked", G_CALLBACK(on_show_status), win);
        adw_header_bar_pack_end(ADW_HEADER_BAR(header), status);
        prefs = gtk_button_new_from_icon_name("preferences-system-symbolic");
        gtk_accessible_update_property(GTK_ACCESSIBLE(prefs), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Preferences"), -1);
        gtk_widget_set_tooltip_text(prefs, _("Preferences"));
        g_signal_connect(prefs, "clicked", G_CALLBACK(on_show_prefs), win);
        adw_header_bar_pack_end(ADW_HEADER_BAR(header), prefs);
        gtk_box_append(GTK_BOX(pane), header);

        win->search = GTK_SEARCH_ENTRY(gtk_search_entry_new());
        g_object_set(win->search, "placeholder-text", _("Search numbers, names and notes"), NULL);
        gtk_accessible_update_property(GTK_ACCESSIBLE(win->search), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       _("Search numbers, names and notes"), -1);
        g_signal_connect(win->search, "search-changed", G_CALLBACK(on_search_changed), win);
        gtk_box_append(GTK_BOX(search_box), GTK_WIDGET(win->search));

        gtk_widget_add_css_class(filter_box, "linked");
        for (size_t i = 0; i < G_N_ELEMENTS(filters); i++) {
                GtkWidget *button = gtk_toggle_button_new_with_label(_(filters[i].label));

                if (i)
                        gtk_toggle_button_set_group(GTK_TOGGLE_BUTTON(button),
                                                    GTK_TOGGLE_BUTTON(win->filter_buttons[0]));
                gtk_widget_set_hexpand(button, TRUE);
                gtk_widget_add_css_class(button, "cw-filter");
                g_signal_connect(button, "toggled", G_CALLBACK(on_filter_toggled), win);
                win->filter_buttons[i] = button;
                gtk_box_append(GTK_BOX(filter_box), button);
        }
        gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(win->filter_buttons[0]), TRUE);
        gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(filter_scroll), GTK_POLICY_AUTOMATIC, GTK_POLICY_NEVER);
        gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(filter_scroll), filter_box);
        gtk_box_append(GTK_BOX(search_box), filter_scroll);
        gtk_widget_set_margin_start(search_box, 12);
        gtk_widget_set_margin_end(search_box, 12);
        gtk_widget_set_margin_top(search_box, 6);
        gtk_widget_set_margin_bottom(search_box, 6);
        gtk_box_append(GTK_BOX(pane), search_box);

        g_signal_connect(factory, "setup", G_CALLBACK(on_row_setup), win);
        g_signal_connect(factory, "bind", G_CALLBACK(on_row_bind), win);
        win->selection = gtk_single_selection_new(G_LIST_MODEL(g_object_ref(win->model)));
        gtk_single_selection_set_autoselect(win->selection, FALSE);
        gtk_single_selection_set_can_unselect(win->selection, TRUE);
        win->list = GTK_LIST_VIEW(gtk_list_view_new(GTK_SELECTION_MODEL(win->selection), factory));
        gtk_list_view_set_single_click_activate(win->list, TRUE);
        gtk_widget_add_css_class(GTK_WIDGET(win->list), "navigation-sidebar");
        gtk_accessible_update_property(GTK_ACCESSIBLE(win->list), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Call log"), -1);
        g_signal_connect(win->list, "activate", G_CALLBACK(on_row_activated), win);
        gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), GTK_WIDGET(win->list));
        gtk_widget_set_vexpand(scroll, TRUE);

        win->empty = ADW_STATUS_PAGE(adw_status_page_new());
        adw_status_page_set_icon_name(win->empty, "call-incoming-symbolic");
        win->list_stack = GTK_STACK(gtk_stack_new());
        gtk_stack_add_named(win->list_stack, scroll, "list");
        gtk_stack_add_named(win->list_stack, GTK_WIDGET(win->empty), "empty");
        gtk_widget_set_vexpand(GTK_WIDGET(win->list_stack), TRUE);
        gtk_box_append(GTK_BOX(pane), GTK_WIDGET(win->list_stack));
        gtk_widget_set_size_request(pane, 300, -1);
        gtk_widget_set_hexpand(pane, FALSE);
        return pane;
}

/* --- a call's page ------------------------------------------------------- */

static GtkWidget *group_new(const char *title, const char *description) {
        GtkWidget *group = adw_preferences_group_new();

        adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(group), title);
        if (description)
                adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(group), description);
        return group;
}

/* A row of text that came from the catalog: never markup. */
static GtkWidget *row_new(GtkWidget *group, const char *title, const char *subtitle) {
        GtkWidget *row = adw_action_row_new();

        adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
        if (subtitle)
                adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
#if ADW_CHECK_VERSION(1, 3, 0)
        /* A hash or a number is copied into a complaint. */
        adw_action_row_set_subtitle_selectable(ADW_ACTION_ROW(row), TRUE);
#endif
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), row);
        return row;
}

typedef struct page_build {
        CwWindow *win;
        bool found;
} page_build;

static int64_t shown_call(GtkWidget *widget) {
        CwWindow *win = CW_WINDOW(gtk_widget_get_root(widget));

        return win->shown_id;
}

/* Saving reads the catalog again, which builds the page anew: the entry
 * is emptied first (saved, the text is in the page), and a text that
 * could not be saved is put back into the new page's entry. */
static void on_note_apply(AdwEntryRow *row, gpointer userdata) {
        CwWindow *win = CW_WINDOW(gtk_widget_get_root(GTK_WIDGET(row)));
        char *text = g_strdup(gtk_editable_get_text(GTK_EDITABLE(row)));

        gtk_editable_set_text(GTK_EDITABLE(row), "");
        if (cw_window_add_note(win, shown_call(GTK_WIDGET(row)), text) < 0)
                cw_window_type(win, "note", text);
        g_free(text);
}

static void on_tag_apply(AdwEntryRow *row, gpointer userdata) {
        CwWindow *win = CW_WINDOW(gtk_widget_get_root(GTK_WIDGET(row)));
        char *typed = g_strdup(gtk_editable_get_text(GTK_EDITABLE(row)));
        char *text = g_strstrip(g_strdup(typed));

        gtk_editable_set_text(GTK_EDITABLE(row), "");
        if (tag_call(win, shown_call(GTK_WIDGET(row)), text, true) < 0)
                cw_window_type(win, "tag", typed);
        g_free(text);
        g_free(typed);
}

static void on_untag_clicked(GtkButton *button, gpointer userdata) {
        CwWindow *win = CW_WINDOW(gtk_widget_get_root(GTK_WIDGET(button)));

        tag_call(win, win->shown_id, g_object_get_data(G_OBJECT(button), "tag"), false);
}

static const char *entry_text(GtkWidget *group, const char *key) {
        return gtk_editable_get_text(GTK_EDITABLE(g_object_get_data(G_OBJECT(group), key)));
}

static void on_caller_save(GtkButton *button, gpointer userdata) {
        GtkWidget *group = userdata;
        CwWindow *win = CW_WINDOW(gtk_widget_get_root(GTK_WIDGET(button)));
        char *company = g_strdup(entry_text(group, "company")), *employee = g_strdup(entry_text(group, "employee"));
        char *name = g_strdup(entry_text(group, "name"));

        cw_window_set_caller(win, win->shown_id, company, employee, name);
        g_free(company);
        g_free(employee);
        g_free(name);
}

static GtkWidget *entry_row_new(GtkWidget *group, const char *title, const char *text, const char *key) {
        GtkWidget *row = adw_entry_row_new();

        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
        gtk_editable_set_text(GTK_EDITABLE(row), text ? text : "");
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), row);
        g_object_set_data(G_OBJECT(group), key, row);
        gtk_widget_set_name(row, key);
        /* What the catalog said: text that differs was typed. */
        g_object_set_data_full(G_OBJECT(row), "stored", g_strdup(text ? text : ""), g_free);
        return row;
}

/* An entry that saves what was typed when its apply button is tapped. */
static void add_apply_row(GtkWidget *group, const char *title, const char *name, GCallback on_apply) {
        GtkWidget *row = adw_entry_row_new();

        gtk_widget_set_name(row, name);
        g_object_set_data_full(G_OBJECT(row), "stored", g_strdup(""), g_free);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
        adw_entry_row_set_show_apply_button(ADW_ENTRY_ROW(row), TRUE);
        g_signal_connect(row, "apply", on_apply, NULL);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), row);
}

static const char *direction_words(cw_direction d) {
        return d == CW_DIRECTION_INCOMING ? _("Incoming") : d == CW_DIRECTION_OUTGOING ? _("Outgoing") : _("Unknown");
}

static void add_summary(GtkBox *box, const cw_call_record *call) {
        GtkWidget *group = group_new(_("The call"), NULL);
        char *when = cw_app_format_when(&call->started), *text;

        row_new(group, _("When"), when);
        g_free(when);
        if (call->kind == CW_KIND_CALL)
                row_new(group, _("Direction"), direction_words(call->direction));
        row_new(group, _("Outcome"), cw_app_outcome_words(call->outcome));
        if (call->answered && call->ended) {
                text = cw_app_format_duration(call->duration_ms);
                row_new(group, _("Duration"), text);
                g_free(text);
        }
        if (call->file)
                row_new(group, _("Recording"), cw_app_capture_words(call->capture_mode));
        gtk_box_append(box, group);
}

/* A message's text, in a label of its own rather than a row's subtitle:
 * the row lays its subtitle out again for every width it tries, which took
 * 12 s for 17,000 characters (a message of many parts can be longer). */
static GtkWidget *message_text_new(const char *text) {
        GtkWidget *card = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0), *label = gtk_label_new(text);
        GtkLabel *l = GTK_LABEL(label);

        gtk_label_set_use_markup(l, FALSE);
        gtk_label_set_wrap(l, TRUE);
        gtk_label_set_wrap_mode(l, PANGO_WRAP_WORD_CHAR);
        gtk_label_set_selectable(l, TRUE);
        gtk_label_set_xalign(l, 0);
        gtk_widget_set_margin_start(label, 12);
        gtk_widget_set_margin_end(label, 12);
        gtk_widget_set_margin_top(label, 12);
        gtk_widget_set_margin_bottom(label, 12);
        gtk_accessible_update_property(GTK_ACCESSIBLE(label), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Text"), -1);
        gtk_widget_add_css_class(card, "card");
        gtk_widget_set_margin_top(card, 6);
        gtk_box_append(GTK_BOX(card), label);
        return card;
}

static void add_message(GtkBox *box, const cw_message_record *message) {
        GtkWidget *group = group_new(_("Text message"), NULL);
        char *sender = message->sender ? cw_text_visible_line(message->sender) : NULL;
        char *text = message->text ? cw_text_visible(message->text) : NULL;

        row_new(group, _("From"), sender ? sender : _("not known"));
        if (message->sent_reported) {
                char *sent = cw_text_visible_line(message->sent_reported);

                row_new(group, _("Sent, as the network says"), sent ? sent : "");
                free(sent);
        }
        if (text) {
                adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), message_text_new(text));
                g_debug("message text: %ld characters", g_utf8_strlen(text, -1));
        }
        else
                row_new(group, _("Text"), _("(no text: binary data)"));
        free(sender);
        free(text);
        gtk_box_append(box, group);
}

static void add_tags(GtkBox *box, const cw_call_record *call) {
        GtkWidget *group = group_new(_("Tags"), call->n_tags ? NULL : _("Not tagged."));

        for (size_t i = 0; i < call->n_tags; i++) {
                GtkWidget *row = row_new(group, call->tags[i].name, call->tags[i].reason);

                if (call->tags_manual[i]) {
                        GtkWidget *remove = gtk_button_new_from_icon_name("user-trash-symbolic");
                        char *label = g_strdup_printf(_("Remove the tag %s"), call->tags[i].name);

                        gtk_widget_set_valign(remove, GTK_ALIGN_CENTER);
                        gtk_widget_add_css_class(remove, "flat");
                        gtk_widget_set_tooltip_text(remove, label);
                        gtk_accessible_update_property(GTK_ACCESSIBLE(remove), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
                        g_object_set_data_full(G_OBJECT(remove), "tag", g_strdup(call->tags[i].name), g_free);
                        g_signal_connect(remove, "clicked", G_CALLBACK(on_untag_clicked), NULL);
                        adw_action_row_add_suffix(ADW_ACTION_ROW(row), gtk_label_new(_("by you")));
                        adw_action_row_add_suffix(ADW_ACTION_ROW(row), remove);
                        g_free(label);
                } else
                        adw_action_row_add_suffix(ADW_ACTION_ROW(row), gtk_label_new(_("by the rules")));
        }
        add_apply_row(group, _("Add a tag"), "tag", G_CALLBACK(on_tag_apply));
        gtk_box_append(box, group);
}

static void add_warnings(GtkBox *box, const cw_call_record *call) {
        GtkWidget *group;

        if (!call->n_warnings)
                return;
        group = group_new(_("Warnings"), _("What may be missing or wrong in this recording."));
        for (size_t i = 0; i < call->n_warnings; i++) {
                const char *colon = strchr(call->warnings[i], ':');
                char *kind = colon ? g_strndup(call->warnings[i], (gsize) (colon - call->warnings[i]))
                                   : g_strdup(call->warnings[i]);
                GtkWidget *row = row_new(group, kind, colon ? colon + 2 : NULL);

                adw_action_row_add_prefix(ADW_ACTION_ROW(row), gtk_image_new_from_icon_name("dialog-warning-symbolic"));
                g_free(kind);
        }
        gtk_box_append(box, group);
}

static int add_state(const cw_state_record *state, void *userdata) {
        GtkWidget *group = userdata;
        GDateTime *local = cw_app_local_time(&state->at);
        char *time = local ? g_date_time_format(local, "%H:%M:%S") : g_strdup("?");
        char *title = state->reason ? g_strdup_printf("%s (%s)", state->state, state->reason) : g_strdup(state->state);

        row_new(group, title, time);
        g_free(title);
        g_free(time);
        if (local)
                g_date_time_unref(local);
        return 0;
}

static void add_timeline(GtkBox *box, cw_catalog *catalog, const cw_call_record *call) {
        GtkWidget *group = group_new(_("Timeline"), NULL);

        cw_catalog_foreach_state(catalog, call->id, add_state, group);
        for (size_t i = 0; i < call->n_marks; i++) {
                char *at = cw_app_format_duration(call->marks[i].offset_ms);
                char *title = g_strdup_printf(_("Mark at %s in the recording"), at);

                row_new(group, title, call->marks[i].text[0] ? call->marks[i].text : NULL);
                g_free(title);
                g_free(at);
        }
        gtk_box_append(box, group);
}

static void add_caller(GtkBox *box, const cw_call_record *call) {
        GtkWidget *group = group_new(_("Who called"), _("Ask every collector for their company and employee number."));
        GtkWidget *save = gtk_button_new_with_label(_("Save"));

        entry_row_new(group, _("Company"), call->caller_company, "company");
        entry_row_new(group, _("Employee number"), call->caller_employee_id, "employee");
        entry_row_new(group, _("Name"), call->caller_name, "name");
        gtk_widget_add_css_class(save, "suggested-action");
        gtk_widget_set_valign(save, GTK_ALIGN_CENTER);
        gtk_accessible_update_property(GTK_ACCESSIBLE(save), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Save who called"), -1);
        g_signal_connect(save, "clicked", G_CALLBACK(on_caller_save), group);
        adw_preferences_group_set_header_suffix(ADW_PREFERENCES_GROUP(group), save);
        gtk_box_append(box, group);
}

static void add_notes(GtkBox *box, const cw_call_record *call) {
        GtkWidget *group = group_new(_("Notes"), NULL);

        for (size_t i = 0; i < call->n_notes; i++) {
                char *when = cw_app_format_when(&call->notes[i].at);
                GtkWidget *row = row_new(group, call->notes[i].text, when);

                /* A note of several lines stays one row. */
                adw_action_row_set_title_lines(ADW_ACTION_ROW(row), 0);
                g_free(when);
        }
        add_apply_row(group, _("Add a note"), "note", G_CALLBACK(on_note_apply));
        gtk_box_append(box, group);
}

static void on_delete_clicked(GtkButton *button, gpointer userdata) {
        CwWindow *win = userdata;

        if (win->shown_id)
                cw_window_ask_delete(win, win->shown_id);
}

static void add_delete(CwWindow *win, GtkBox *box) {
        GtkWidget *button = gtk_button_new_with_mnemonic(_("_Delete This Call…"));

        gtk_widget_add_css_class(button, "destructive-action");
        gtk_widget_set_halign(button, GTK_ALIGN_CENTER);
        gtk_accessible_update_property(GTK_ACCESSIBLE(button), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Delete this call"), -1);
        g_signal_connect(button, "clicked", G_CALLBACK(on_delete_clicked), win);
        gtk_box_append(box, button);
}

static void add_file(GtkBox *box, const cw_call_record *call) {
        GtkWidget *group;
        char *size, *length, *text;

        if (!call->file)
                return;
        group = group_new(_("File"), _("The recording as it was written, and the fingerprint it had then."));
        row_new(group, _("File"), call->file);
        length = cw_app_format_duration(call->file_duration_ms);
        size = g_format_size(call->file_size);
        text = g_strdup_printf(_("%s of audio, %s"), length, size);
        row_new(group, _("Length and size"), text);
        g_free(text);
        g_free(size);
        g_free(length);
        row_new(group, _("SHA-256"), call->sha256 ? call->sha256 : _("not sealed yet"));
        gtk_box_append(box, group);
}

/* --- hearing a call --------------------------------------------------------- */

static void update_player_controls(CwWindow *win) {
        gboolean playing = win->player && cw_player_is_playing(win->player);
        double at = win->player ? cw_player_get_position(win->player) : 0;
        double length = win->player ? cw_player_get_duration(win->player) : 0;
        char *position, *duration, *text;

        if (!win->play_button)
                return;
        if (win->player_call != win->shown_id) {   /* not played yet: the catalog's length */
                length = (double) GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(win->play_button), "length_ms")) / 1000;
                at = 0;
                playing = FALSE;
        }
        gtk_button_set_icon_name(GTK_BUTTON(win->play_button),
                                 playing ? "media-playback-pause-symbolic" : "media-playback-start-symbolic");
        gtk_accessible_update_property(GTK_ACCESSIBLE(win->play_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       playing ? _("Pause") : _("Play the recording"), -1);
        gtk_widget_set_tooltip_text(win->play_button, playing ? _("Pause") : _("Play the recording"));
        if (length > 0)
                gtk_range_set_value(GTK_RANGE(win->position_scale), at / length);
        position = cw_app_format_duration((int64_t) (at * 1000));
        duration = cw_app_format_duration((int64_t) (length * 1000));
        text = g_strdup_printf("%s / %s", position, duration);
        gtk_label_set_text(GTK_LABEL(win->position_label), length > 0 ? text : "");
        g_free(text);
        g_free(position);
        g_free(duration);
}

static gboolean on_position_tick(gpointer userdata) {
        CwWindow *win = userdata;

        update_player_controls(win);
        if (win->player && cw_player_is_playing(win->player))
                return G_SOURCE_CONTINUE;
        win->position_source = 0;
        return G_SOURCE_REMOVE;
}

static void on_player_changed(void *userdata) {
        CwWindow *win = userdata;
        gboolean playing = cw_player_is_playing(win->player);
        char *error;

        g_debug("%s call %" G_GINT64_FORMAT " at %.1f s", playing ? "playing" : "paused", win->player_call,
                cw_player_get_position(win->player));
        if ((error = cw_player_take_error(win->player))) {
                toast(win, error);
                g_message("%s", error);
                g_free(error);
        }
        if (playing && !win->position_source)
                win->position_source = g_timeout_add(250, on_position_tick, win);
        update_player_controls(win);
}

static void stop_player(CwWindow *win) {
        if (win->position_source) {
                g_source_remove(win->position_source);
                win->position_source = 0;
        }
        g_clear_pointer(&win->player, cw_player_free);
        win->player_call = 0;
        win->sides = 0;
}

/* The player of the call shown, made at the first play. */
static cw_player *shown_player(CwWindow *win) {
        GError *error = NULL;
        const char *relpath = g_object_get_data(G_OBJECT(win->play_button), "file");
        char *path;

        if (win->player && win->player_call == win->shown_id)
                return win->player;
        stop_player(win);
        if (!relpath)
                return NULL;
        path = g_build_filename(win->data_dir, relpath, NULL);
        win->player = cw_player_new(path, on_player_changed, win, &error);
        g_free(path);
        if (!win->player) {
                toast(win, error->message);
                g_message("%s", error->message);
                g_error_free(error);
                return NULL;
        }
        win->player_call = win->shown_id;
        return win->player;
}

void cw_window_play(CwWindow *win, gboolean play) {
        cw_player *player = win->play_button ? shown_player(win) : NULL;

        if (!player)
                return;
        if (play)
                cw_player_play(player);
        else
                cw_player_pause(player);
}

static void on_play_clicked(GtkButton *button, gpointer userdata) {
        CwWindow *win = userdata;

        cw_window_play(win, !(win->player && win->player_call == win->shown_id && cw_player_is_playing(win->player)));
}

static gboolean on_seek(GtkRange *range, GtkScrollType scroll, double value, gpointer userdata) {
        CwWindow *win = userdata;
        cw_player *player = shown_player(win);

        if (player)
                cw_player_seek(player, CLAMP(value, 0, 1) * cw_player_get_duration(player));
        update_player_controls(win);
        return FALSE;
}

static const CwPlayerSides sides_choices[] = { CW_PLAYER_BOTH, CW_PLAYER_OTHER_PARTY, CW_PLAYER_YOU };

void cw_window_hear(CwWindow *win, const char *sides) {
        GtkWidget *choice = win->play_button ? g_object_get_data(G_OBJECT(win->play_button), "sides") : NULL;
        guint i = strcmp(sides, "other-party") == 0 ? 1 : strcmp(sides, "you") == 0 ? 2 : 0;

        if (choice)
                gtk_drop_down_set_selected(GTK_DROP_DOWN(choice), i);
}

static void on_sides_chosen(GtkDropDown *choice, GParamSpec *pspec, gpointer userdata) {
        CwWindow *win = userdata;
        cw_player *player = shown_player(win);
        guint i = gtk_drop_down_get_selected(choice);

        if (player && i < G_N_ELEMENTS(sides_choices)) {
                cw_player_set_sides(player, sides_choices[i]);
                win->sides = i;
        }
}

static void add_player(CwWindow *win, GtkBox *box, const cw_call_record *call) {
        GtkWidget *group, *controls, *scale;
        const char *const sides[] = { _("Both sides"), _("Only the other party"), _("Only you"), NULL };

        win->play_button = win->position_scale = win->position_label = NULL;
        if (!call->file || !call->sha256)
                return;
        group = group_new(_("Listen"), NULL);
        controls = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
        win->play_button = gtk_button_new_from_icon_name("media-playback-start-symbolic");
        gtk_widget_add_css_class(win->play_button, "circular");
        gtk_widget_add_css_class(win->play_button, "suggested-action");
        gtk_widget_set_valign(win->play_button, GTK_ALIGN_CENTER);
        g_object_set_data_full(G_OBJECT(win->play_button), "file", g_strdup(call->file), g_free);
        g_object_set_data(G_OBJECT(win->play_button), "length_ms",
                          GUINT_TO_POINTER((guint) CLAMP(call->file_duration_ms, 0, G_MAXUINT)));
        g_signal_connect(win->play_button, "clicked", G_CALLBACK(on_play_clicked), win);
        scale = win->position_scale = gtk_scale_new_with_range(GTK_ORIENTATION_HORIZONTAL, 0, 1, 0.01);
        gtk_scale_set_draw_value(GTK_SCALE(scale), FALSE);
        gtk_widget_set_hexpand(scale, TRUE);
        gtk_accessible_update_property(GTK_ACCESSIBLE(scale), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Position in the recording"),
                                       -1);
        g_signal_connect(scale, "change-value", G_CALLBACK(on_seek), win);
        win->position_label = gtk_label_new(NULL);
        gtk_widget_add_css_class(win->position_label, "numeric");
        gtk_box_append(GTK_BOX(controls), win->play_button);
        gtk_box_append(GTK_BOX(controls), scale);
        gtk_box_append(GTK_BOX(controls), win->position_label);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), controls);
        if (call->capture_mode == CW_CAPTURE_SEPARATE) {
                GtkWidget *choice = gtk_drop_down_new_from_strings(sides);

                /* A page built again (after a save) keeps what is heard. */
                gtk_drop_down_set_selected(GTK_DROP_DOWN(choice), win->player_call == call->id ? win->sides : 0);
                gtk_accessible_update_property(GTK_ACCESSIBLE(choice), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Which side to hear"),
                                               -1);
                gtk_widget_set_margin_top(choice, 6);
                g_signal_connect(choice, "notify::selected", G_CALLBACK(on_sides_chosen), win);
                g_object_set_data(G_OBJECT(win->play_button), "sides", choice);
                adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), choice);
        }
        gtk_box_append(box, group);
        update_player_controls(win);
}

static int build_page(const cw_call_record *call, void *userdata) {
        page_build *b = userdata;
        CwWindow *win = b->win;
        GtkBox *box = win->call_content;
        char *title = NULL;

        if (b->found)   /* one page, whatever the catalog returns */
                return 1;
        b->found = true;
        if (call->kind == CW_KIND_ENCOUNTER)
                title = g_strdup(call->label ? call->label : _("A visit"));
        else
                title = call->number ? cw_text_visible_line(call->number) : g_strdup(_("Withheld number"));
        adw_window_title_set_title(win->call_title, title);
        free(title);
        if (win->player_call && win->player_call != call->id)
                stop_player(win);
        add_player(win, box, call);
        add_summary(box, call);
        if (call->message)
                add_message(box, call->message);
        add_tags(box, call);
        add_warnings(box, call);
        add_timeline(box, win->reader, call);
        add_caller(box, call);
        add_notes(box, call);
        add_file(box, call);
        add_delete(win, box);
        return 0;
}

/* The page's entries by name (the key given to entry_row_new or
 * add_apply_row), below widget. */
static void find_entries(GtkWidget *widget, GHashTable *entries) {
        if (ADW_IS_ENTRY_ROW(widget) && gtk_widget_get_name(widget)[0]) {
                g_hash_table_insert(entries, (gpointer) gtk_widget_get_name(widget), widget);
                return;
        }
        for (GtkWidget *child = gtk_widget_get_first_child(widget); child; child = gtk_widget_get_next_sibling(child))
                find_entries(child, entries);
}

/* The page is built again whenever the catalog changes (the daemon wrote a
 * call): what the person was typing and had not saved yet, and where, is
 * put back. */
typedef struct typing {
        GHashTable *texts;            /* entry name → typed text */
        char *focused;
} typing;

static void keep_typing(CwWindow *win, typing *t) {
        GHashTable *entries = g_hash_table_new(g_str_hash, g_str_equal);
        GtkWidget *focus = gtk_root_get_focus(GTK_ROOT(win));
        GHashTableIter iter;
        gpointer name, row;

        t->texts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        t->focused = NULL;
        find_entries(GTK_WIDGET(win->call_content), entries);
        g_hash_table_iter_init(&iter, entries);
        while (g_hash_table_iter_next(&iter, &name, &row)) {
                const char *text = gtk_editable_get_text(GTK_EDITABLE(row));
                const char *stored = g_object_get_data(G_OBJECT(row), "stored");

                if (g_strcmp0(text, stored) != 0)
                        g_hash_table_insert(t->texts, g_strdup(name), g_strdup(text));
                if (focus && (focus == row || gtk_widget_is_ancestor(focus, row)))
                        t->focused = g_strdup(name);
        }
        g_hash_table_unref(entries);
}

static void put_typing_back(CwWindow *win, typing *t) {
        GHashTable *entries = g_hash_table_new(g_str_hash, g_str_equal);
        GHashTableIter iter;
        gpointer name, text;

        find_entries(GTK_WIDGET(win->call_content), entries);
        g_hash_table_iter_init(&iter, t->texts);
        while (g_hash_table_iter_next(&iter, &name, &text)) {
                GtkWidget *row = g_hash_table_lookup(entries, name);

                if (row) {
                        gtk_editable_set_text(GTK_EDITABLE(row), text);
                        g_debug("kept what was typed in %s", (const char *) name);
                }
        }
        if (t->focused && g_hash_table_lookup(entries, t->focused)) {
                GtkWidget *row = g_hash_table_lookup(entries, t->focused);

                gtk_widget_grab_focus(row);
                gtk_editable_set_position(GTK_EDITABLE(row), -1);
        }
        g_hash_table_unref(entries);
        g_hash_table_unref(t->texts);
        g_free(t->focused);
}

/* The preferences page, when it is the one shown, takes what is typed. */
static gboolean prefs_shown(CwWindow *win) {
        return g_strcmp0(gtk_stack_get_visible_child_name(win->right), "prefs") == 0;
}

/* The export page takes the report's language. */
static gboolean export_shown(CwWindow *win) {
        return g_strcmp0(gtk_stack_get_visible_child_name(win->right), "export") == 0;
}

void cw_window_type(CwWindow *win, const char *entry, const char *text) {
        GHashTable *entries;
        GtkWidget *row;

        if (prefs_shown(win)) {
                if (!cw_prefs_page_type(win->prefs_page, entry, text))
                        g_message("no entry %s on the page", entry);
                return;
        }
        if (export_shown(win)) {
                if (strcmp(entry, "report-language") != 0 || !cw_export_page_set_language(win->export_page, text))
                        g_message("no entry %s on the page", entry);
                return;
        }
        entries = g_hash_table_new(g_str_hash, g_str_equal);
        find_entries(GTK_WIDGET(win->call_content), entries);
        row = g_hash_table_lookup(entries, entry);
        if (row) {
                gtk_widget_grab_focus(row);
                gtk_editable_set_text(GTK_EDITABLE(row), text);
                gtk_editable_set_position(GTK_EDITABLE(row), -1);
        } else
                g_message("no entry %s on the page", entry);
        g_hash_table_unref(entries);
}

void cw_window_apply(CwWindow *win, const char *entry) {
        GHashTable *entries;
        GtkWidget *row;

        if (prefs_shown(win)) {
                if (!cw_prefs_page_apply(win->prefs_page, entry))
                        g_message("no entry %s on the page", entry);
                return;
        }
        entries = g_hash_table_new(g_str_hash, g_str_equal);
        find_entries(GTK_WIDGET(win->call_content), entries);
        row = g_hash_table_lookup(entries, entry);
        if (row)
                g_signal_emit_by_name(row, "apply");
        else
                g_message("no entry %s on the page", entry);
        g_hash_table_unref(entries);
}

gboolean cw_window_show_call(CwWindow *win, int64_t id) {
        page_build b = { .win = win };
        GtkWidget *child;
        guint position;
        typing typed = { 0 };
        bool again = id == win->shown_id && id > 0;

        if (again)
                keep_typing(win, &typed);
        while ((child = gtk_widget_get_first_child(GTK_WIDGET(win->call_content))))
                gtk_box_remove(win->call_content, child);
        win->play_button = NULL;
        /* The filter's id 0 means every call. */
        if (id <= 0 || !open_reader(win) ||
            cw_catalog_find_calls(win->reader, &(cw_call_filter) { .id = id }, build_page, &b) < 0 || !b.found) {
                if (again)
                        put_typing_back(win, &typed);   /* nothing to put it in: freed */
                stop_player(win);
                win->shown_id = 0;
                adw_window_title_set_title(win->call_title, "");
                return FALSE;
        }
        if (again)
                put_typing_back(win, &typed);
        win->shown_id = id;
        g_debug("showing call %" G_GINT64_FORMAT, id);
        cw_export_page_set_call(win->export_page, id);
        gtk_stack_set_visible_child_name(win->right, "call");
        position = cw_calls_model_find(win->model, id);
        if (position != G_MAXUINT)
                gtk_single_selection_set_selected(win->selection, position);
        adw_leaflet_set_visible_child(win->leaflet, win->call_pane);
        return TRUE;
}

static void on_export_done(const char *message, void *userdata) {
        CwWindow *win = userdata;

        toast(win, message);
        cw_window_reload(win);   /* "exported" is part of each call now */
}

void cw_window_show_export(CwWindow *win) {
        adw_window_title_set_title(win->call_title, _("Export evidence"));
        gtk_stack_set_visible_child_name(win->right, "export");
        adw_leaflet_set_visible_child(win->leaflet, win->call_pane);
}

void cw_window_show_status(CwWindow *win) {
        adw_window_title_set_title(win->call_title, _("Status"));
        gtk_stack_set_visible_child_name(win->right, "status");
        adw_leaflet_set_visible_child(win->leaflet, win->call_pane);
        g_debug("showing the status");
}

void cw_window_show_prefs(CwWindow *win) {
        /* Read again each time: the file may have been edited meanwhile. */
        cw_prefs_page_load(win->prefs_page);
        adw_window_title_set_title(win->call_title, _("Preferences"));
        gtk_stack_set_visible_child_name(win->right, "prefs");
        adw_leaflet_set_visible_child(win->leaflet, win->call_pane);
        g_debug("showing the preferences");
}

void cw_window_check_capture(CwWindow *win) {
        cw_window_show_status(win);
        cw_status_page_check(win->status_page);
}

void cw_window_export(CwWindow *win, const char *selection, const char *format) {
        cw_window_show_export(win);
        cw_export_page_choose(win->export_page, selection, format);
        cw_export_page_start(win->export_page);
}

static void on_back(GtkButton *button, gpointer userdata) {
        CwWindow *win = userdata;

        adw_leaflet_navigate(win->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* A page of the right pane: narrow however wide the window, scrolled. */
static void add_right_page(CwWindow *win, GtkWidget *page, const char *name) {
        GtkWidget *clamp = adw_clamp_new(), *scroll = gtk_scrolled_window_new();

        gtk_widget_set_margin_top(page, 12);
        gtk_widget_set_margin_bottom(page, 24);
        gtk_widget_set_margin_start(page, 12);
        gtk_widget_set_margin_end(page, 12);
        adw_clamp_set_child(ADW_CLAMP(clamp), page);
        gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), clamp);
        gtk_stack_add_named(win->right, scroll, name);
}

static GtkWidget *build_call_pane(CwWindow *win) {
        GtkWidget *pane = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
        GtkWidget *header = adw_header_bar_new();
        GtkWidget *back = gtk_button_new_from_icon_name("go-previous-symbolic");

        win->call_title = ADW_WINDOW_TITLE(adw_window_title_new("", NULL));
        adw_header_bar_set_title_widget(ADW_HEADER_BAR(header), GTK_WIDGET(win->call_title));
        gtk_accessible_update_property(GTK_ACCESSIBLE(back), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Back to the calls"), -1);
        gtk_widget_set_tooltip_text(back, _("Back to the calls"));
        g_signal_connect(back, "clicked", G_CALLBACK(on_back), win);
        g_object_bind_property(win->leaflet, "folded", back, "visible", G_BINDING_SYNC_CREATE);
        adw_header_bar_pack_start(ADW_HEADER_BAR(header), back);
        g_object_bind_property(win->leaflet, "folded", header, "show-start-title-buttons", G_BINDING_SYNC_CREATE);
        gtk_box_append(GTK_BOX(pane), header);

        win->call_content = GTK_BOX(gtk_box_new(GTK_ORIENTATION_VERTICAL, 18));
        win->right = GTK_STACK(gtk_stack_new());
        gtk_widget_set_vexpand(GTK_WIDGET(win->right), TRUE);
        add_right_page(win, GTK_WIDGET(win->call_content), "call");
        win->export_page = cw_export_page_new(on_export_done, win);
        add_right_page(win, win->export_page, "export");
        win->status_page = cw_status_page_new();
        add_right_page(win, win->status_page, "status");
        win->prefs_page = cw_prefs_page_new();
        add_right_page(win, win->prefs_page, "prefs");
        gtk_box_append(GTK_BOX(pane), GTK_WIDGET(win->right));
        gtk_widget_set_hexpand(pane, TRUE);
        /* Two panes do not fit a phone: the leaflet folds to one. */
        gtk_widget_set_size_request(pane, 300, -1);
        return pane;
}

/* --- the window ----------------------------------------------------------- */

static void cw_window_dispose(GObject *object) {
        CwWindow *win = CW_WINDOW(object);

        if (win->reload_source) {
                g_source_remove(win->reload_source);
                win->reload_source = 0;
        }
        stop_player(win);
        if (win->question) {
                /* Answered by nobody: its handler must not reach this window. */
                g_signal_handlers_disconnect_by_data(win->question, win);
                gtk_window_destroy(GTK_WINDOW(win->question));
                win->question = NULL;
        }
        g_clear_object(&win->monitor);
        g_clear_object(&win->selection);
        g_clear_object(&win->model);
        win->reader = cw_catalog_free(win->reader);
        G_OBJECT_CLASS(cw_window_parent_class)->dispose(object);
}

static void cw_window_finalize(GObject *object) {
        CwWindow *win = CW_WINDOW(object);

        g_free(win->data_dir);
        g_free(win->catalog_path);
        G_OBJECT_CLASS(cw_window_parent_class)->finalize(object);
}

static void cw_window_class_init(CwWindowClass *klass) {
        G_OBJECT_CLASS(klass)->dispose = cw_window_dispose;
        G_OBJECT_CLASS(klass)->finalize = cw_window_finalize;
}

static void cw_window_init(CwWindow *win) {
        char *dir = NULL;
        GFile *file;

        win->model = cw_calls_model_new();
        if (cw_paths_data_dir(&dir) == 0) {
                win->data_dir = g_strdup(dir);
                free(dir);
        } else
                win->data_dir = g_build_filename(g_get_user_data_dir(), "callwitness", NULL);
        win->catalog_path = g_build_filename(win->data_dir, "catalog.db", NULL);

        win->toasts = ADW_TOAST_OVERLAY(adw_toast_overlay_new());
        win->leaflet = ADW_LEAFLET(adw_leaflet_new());
        adw_leaflet_set_can_navigate_back(win->leaflet, TRUE);
        win->list_pane = build_list_pane(win);
        win->call_pane = build_call_pane(win);
        adw_leaflet_append(win->leaflet, win->list_pane);
        adw_leaflet_page_set_navigatable(adw_leaflet_append(win->leaflet, gtk_separator_new(GTK_ORIENTATION_VERTICAL)),
                                         FALSE);
        adw_leaflet_append(win->leaflet, win->call_pane);
        adw_toast_overlay_set_child(win->toasts, GTK_WIDGET(win->leaflet));
        adw_application_window_set_content(ADW_APPLICATION_WINDOW(win), GTK_WIDGET(win->toasts));
        gtk_window_set_title(GTK_WINDOW(win), _("Call Witness"));
        gtk_window_set_default_size(GTK_WINDOW(win), 360, 720);

        /* The daemon's writes (a new call, a tag) show without a restart. */
        g_mkdir_with_parents(win->data_dir, 0700);
        file = g_file_new_for_path(win->data_dir);
        win->monitor = g_file_monitor_directory(file, G_FILE_MONITOR_NONE, NULL, NULL);
        if (win->monitor)
                g_signal_connect(win->monitor, "changed", G_CALLBACK(on_data_dir_changed), win);
        g_object_unref(file);
        cw_window_reload(win);
}

CwWindow *cw_window_new(GtkApplication *app) {
        return g_object_new(CW_TYPE_WINDOW, "application", app, NULL);
}

/* --- screenshots ----------------------------------------------------------- */

typedef struct screenshot {
        CwWindow *win;
        char *path;
        int frames;
} screenshot;

static gboolean on_tick(GtkWidget *widget, GdkFrameClock *clock, gpointer userdata) {
        screenshot *shot = userdata;
        int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
        GdkPaintable *paintable;
        GtkSnapshot *snapshot;
        GskRenderNode *node;
        GdkTexture *texture;

        /* A few frames: the page just built is laid out and drawn, and the
         * leaflet has finished sliding to it. */
        if (++shot->frames < 3 ||
            (adw_leaflet_get_child_transition_running(shot->win->leaflet) && shot->frames < 120))
                return G_SOURCE_CONTINUE;
        paintable = gtk_widget_paintable_new(widget);
        snapshot = gtk_snapshot_new();
        gdk_paintable_snapshot(paintable, snapshot, width, height);
        node = gtk_snapshot_free_to_node(snapshot);
        g_object_unref(paintable);
        if (!node && shot->frames < 120) {
                /* The paintable shows the window as last drawn: have it drawn. */
                gtk_widget_queue_draw(widget);
                return G_SOURCE_CONTINUE;
        }
        if (!node)
                g_warning("screenshot %s: the window was not drawn", shot->path);
        else {
                texture = gsk_renderer_render_texture(gtk_native_get_renderer(GTK_NATIVE(widget)), node,
                                                      &GRAPHENE_RECT_INIT(0, 0, (float) width, (float) height));
                if (!gdk_texture_save_to_png(texture, shot->path))
                        g_warning("cannot save %s", shot->path);
                else
                        g_message("screenshot %s %dx%d, page %s", shot->path, width, height,
                                  adw_leaflet_get_visible_child(shot->win->leaflet) == shot->win->call_pane
                                          ? adw_window_title_get_title(shot->win->call_title)
                                          : _("Call log"));
                g_object_unref(texture);
                gsk_render_node_unref(node);
        }
        g_free(shot->path);
        g_free(shot);
        return G_SOURCE_REMOVE;
}

void cw_window_screenshot(CwWindow *win, const char *path) {
        screenshot *shot = g_new0(screenshot, 1);

        shot->win = win;
        shot->path = g_strdup(path);
        gtk_widget_queue_draw(GTK_WIDGET(win));
        gtk_widget_add_tick_callback(GTK_WIDGET(win), on_tick, shot, NULL);
}
