/* SPDX-License-Identifier: GPL-3.0-or-later */
/* callwitness-app: review calls on the phone and hand over evidence. Its
 * actions are the GApplication's, on the session bus at
 * /org/callwitness/CallWitness: what a notification's button, a test or a
 * script asks for is what a tap does. */
#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdlib.h>

#include "window.h"

#define APP_ID "org.callwitness.CallWitness"

static CwWindow *window_of(GApplication *app) {
        GtkWindow *win = gtk_application_get_active_window(GTK_APPLICATION(app));
        int width = 0, height = 0;
        const char *size;

        if (win)
                return CW_WINDOW(win);
        win = GTK_WINDOW(cw_window_new(GTK_APPLICATION(app)));
        /* The size the screenshots are taken at (360x720: a phone). */
        size = g_getenv("CALLWITNESS_APP_SIZE");
        if (size && sscanf(size, "%dx%d", &width, &height) == 2 && width > 0 && height > 0)
                gtk_window_set_default_size(win, width, height);
        return CW_WINDOW(win);
}

static void on_activate(GApplication *app, gpointer userdata) {
        gtk_window_present(GTK_WINDOW(window_of(app)));
}

static void on_show_call(GSimpleAction *action, GVariant *parameter, gpointer app) {
        CwWindow *win = window_of(app);

        gtk_window_present(GTK_WINDOW(win));
        if (!cw_window_show_call(win, g_variant_get_int64(parameter)))
                g_message("no call %" G_GINT64_FORMAT, g_variant_get_int64(parameter));
}

static void on_add_note(GSimpleAction *action, GVariant *parameter, gpointer app) {
        gint64 id;
        const char *text;

        g_variant_get(parameter, "(x&s)", &id, &text);
        cw_window_add_note(window_of(app), id, text);
}

static void on_set_caller(GSimpleAction *action, GVariant *parameter, gpointer app) {
        gint64 id;
        const char *company, *employee_id, *name;

        g_variant_get(parameter, "(x&s&s&s)", &id, &company, &employee_id, &name);
        cw_window_set_caller(window_of(app), id, company, employee_id, name);
}

static void on_filter(GSimpleAction *action, GVariant *parameter, gpointer app) {
        cw_window_set_filter(window_of(app), g_variant_get_string(parameter, NULL));
}

static void on_search(GSimpleAction *action, GVariant *parameter, gpointer app) {
        cw_window_set_search(window_of(app), g_variant_get_string(parameter, NULL));
}

static void on_screenshot(GSimpleAction *action, GVariant *parameter, gpointer app) {
        cw_window_screenshot(window_of(app), g_variant_get_string(parameter, NULL));
}

static void on_play(GSimpleAction *action, GVariant *parameter, gpointer app) {
        cw_window_play(window_of(app), TRUE);
}

static void on_pause(GSimpleAction *action, GVariant *parameter, gpointer app) {
        cw_window_play(window_of(app), FALSE);
}

static void on_hear(GSimpleAction *action, GVariant *parameter, gpointer app) {
        cw_window_hear(window_of(app), g_variant_get_string(parameter, NULL));
}

static void on_export(GSimpleAction *action, GVariant *parameter, gpointer app) {
        const char *selection, *format;

        g_variant_get(parameter, "(&s&s)", &selection, &format);
        gtk_window_present(GTK_WINDOW(window_of(app)));
        cw_window_export(window_of(app), selection, format);
}

static void on_show_export(GSimpleAction *action, GVariant *parameter, gpointer app) {
        gtk_window_present(GTK_WINDOW(window_of(app)));
        cw_window_show_export(window_of(app));
}

static void on_delete(GSimpleAction *action, GVariant *parameter, gpointer app) {
        gtk_window_present(GTK_WINDOW(window_of(app)));
        cw_window_ask_delete(window_of(app), g_variant_get_int64(parameter));
}

static void on_answer(GSimpleAction *action, GVariant *parameter, gpointer app) {
        cw_window_answer(window_of(app), g_variant_get_string(parameter, NULL));
}

static void on_type(GSimpleAction *action, GVariant *parameter, gpointer app) {
        const char *entry, *text;

        g_variant_get(parameter, "(&s&s)", &entry, &text);
        cw_window_type(window_of(app), entry, text);
}

static void on_apply(GSimpleAction *action, GVariant *parameter, gpointer app) {
        cw_window_apply(window_of(app), g_variant_get_string(parameter, NULL));
}

static void on_show_status(GSimpleAction *action, GVariant *parameter, gpointer app) {
        gtk_window_present(GTK_WINDOW(window_of(app)));
        cw_window_show_status(window_of(app));
}

static void on_show_prefs(GSimpleAction *action, GVariant *parameter, gpointer app) {
        gtk_window_present(GTK_WINDOW(window_of(app)));
        cw_window_show_prefs(window_of(app));
}

static void on_check_capture(GSimpleAction *action, GVariant *parameter, gpointer app) {
        gtk_window_present(GTK_WINDOW(window_of(app)));
        cw_window_check_capture(window_of(app));
}

static void on_quit(GSimpleAction *action, GVariant *parameter, gpointer app) {
        g_application_quit(G_APPLICATION(app));
}

static void on_startup(GApplication *app, gpointer userdata) {
        const GActionEntry actions[] = {
                { .name = "show-call", .activate = on_show_call, .parameter_type = "x" },
                { .name = "add-note", .activate = on_add_note, .parameter_type = "(xs)" },
                { .name = "set-caller", .activate = on_set_caller, .parameter_type = "(xsss)" },
                { .name = "filter", .activate = on_filter, .parameter_type = "s" },
                { .name = "search", .activate = on_search, .parameter_type = "s" },
                { .name = "play", .activate = on_play },
                { .name = "pause", .activate = on_pause },
                { .name = "hear", .activate = on_hear, .parameter_type = "s" },
                { .name = "show-export", .activate = on_show_export },
                { .name = "export", .activate = on_export, .parameter_type = "(ss)" },
                { .name = "delete", .activate = on_delete, .parameter_type = "x" },
                { .name = "show-status", .activate = on_show_status },
                { .name = "check-capture", .activate = on_check_capture },
                { .name = "show-prefs", .activate = on_show_prefs },
                { .name = "quit", .activate = on_quit },
        };
        /* Only for the tests and the README's screenshots: one writes a file
         * wherever it is asked, the others do what a finger would. */
        const GActionEntry testing[] = {
                { .name = "screenshot", .activate = on_screenshot, .parameter_type = "s" },
                { .name = "answer", .activate = on_answer, .parameter_type = "s" },
                { .name = "type", .activate = on_type, .parameter_type = "(ss)" },
                { .name = "apply", .activate = on_apply, .parameter_type = "s" },
        };
        GtkCssProvider *css = gtk_css_provider_new();

        g_action_map_add_action_entries(G_ACTION_MAP(app), actions, G_N_ELEMENTS(actions), app);
        if (g_getenv("CALLWITNESS_APP_SCREENSHOTS"))
                g_action_map_add_action_entries(G_ACTION_MAP(app), testing, G_N_ELEMENTS(testing), app);
        gtk_css_provider_load_from_data(css,
                                        ".cw-tag { background: alpha(@warning_color, 0.2); color: @warning_fg_color;"
                                        " border-radius: 9px; padding: 0 8px; font-size: smaller; font-weight: bold; }"
                                        ".cw-filter { padding-left: 6px; padding-right: 6px; min-width: 0; }",
                                        -1);
        gtk_style_context_add_provider_for_display(gdk_display_get_default(), GTK_STYLE_PROVIDER(css),
                                                   GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
        g_object_unref(css);
}

int main(int argc, char **argv) {
        const char *localedir = g_getenv("CALLWITNESS_LOCALEDIR");
        AdwApplication *app;
        int status;

        setlocale(LC_ALL, "");
        /* CALLWITNESS_LOCALEDIR: a build that is not installed (the tests). */
        bindtextdomain(GETTEXT_PACKAGE, localedir && localedir[0] == '/' ? localedir : LOCALEDIR);
        bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
        textdomain(GETTEXT_PACKAGE);

        app = adw_application_new(APP_ID, G_APPLICATION_DEFAULT_FLAGS);
        g_signal_connect(app, "startup", G_CALLBACK(on_startup), NULL);
        g_signal_connect(app, "activate", G_CALLBACK(on_activate), NULL);
        status = g_application_run(G_APPLICATION(app), argc, argv);
        g_object_unref(app);
        return status;
}
