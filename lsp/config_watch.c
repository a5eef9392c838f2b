/* config_watch: reapply the configuration files when they change on disk. */
#include "config_watch.h"

#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "completion.h"
#include "config.h"
#include "outbox.h"
#include "server_int.h"

#define CONFIG_WATCH_DEBOUNCE_MS 150

struct watched {
    uv_fs_event_t ev;
    char *dir, *base; /* the folder watched and the file's name in it */
    bool active;
};

struct config_watch {
    struct lsp_server *s;
    struct watched files[2]; /* the user's file, --config */
    uv_timer_t debounce;
    int open_handles;
    char *last_error; /* the problem shown; set until a good load (nothing shown meanwhile) */
};

static void handle_closed(uv_handle_t *h)
{
    struct config_watch *w = h->data;
    if (--w->open_handles > 0)
        return;
    for (int i = 0; i < 2; i++) {
        free(w->files[i].dir);
        free(w->files[i].base);
    }
    free(w->last_error);
    free(w);
}

static void reload(uv_timer_t *t)
{
    struct config_watch *w = t->data;
    struct lsp_server *s = w->s;
    struct strbuf warn, err;
    sb_init(&warn);
    sb_init(&err);
    if (lsp_config_reload_files(s->cfg, &warn, &err) < 0) {
        /* Every broken save is logged; the user is told once until the file is good again. */
        LOG_E("config", "%.*s", (int)err.len - 1, err.data);
        if (!w->last_error) {
            char *msg = xasprintf("Understudy: the configuration file has an error; the last "
                                  "good configuration stays in use:\n%s", err.data);
            outbox_show_message(s->out, 1, msg);
            free(msg);
            w->last_error = xstrdup(err.data);
        }
    } else {
        if (w->last_error)
            outbox_show_message(s->out, 3, "Understudy: the configuration file is valid again "
                                           "and applies.");
        free(w->last_error);
        w->last_error = NULL;
        lsp_config_apply_log(s->cfg); /* log.level / log.file from the file apply at once */
        LOG_I("config", "configuration file changed; applied");
        lsp__report_config(s, &warn, &err);
        completion_engine_reconfigure(s->engine);
    }
    sb_release(&warn);
    sb_release(&err);
}

static void on_event(uv_fs_event_t *ev, const char *filename, int events, int status)
{
    struct config_watch *w = ev->data;
    struct watched *f = (struct watched *)ev;
    if (status < 0)
        return;
    /* Editors write a temporary name and rename it over the file: any event about the file's
     * name (or an unnamed one) counts. */
    if (filename && strcmp(filename, f->base) != 0)
        return;
    (void)events;
    uv_timer_start(&w->debounce, reload, CONFIG_WATCH_DEBOUNCE_MS, 0);
}

static bool watch_file(struct config_watch *w, struct watched *f, const char *path)
{
    const char *slash = strrchr(path, '/');
    f->dir = slash ? (slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path)))
                   : xstrdup(".");
    f->base = xstrdup(slash ? slash + 1 : path);
    uv_fs_event_init(w->s->loop, &f->ev);
    f->ev.data = w;
    w->open_handles++;
    int rc = uv_fs_event_start(&f->ev, on_event, f->dir, 0);
    if (rc < 0) {
        LOG_D("config", "%s: not watched for changes (%s)", f->dir, uv_strerror(rc));
        return false;
    }
    LOG_D("config", "watching %s for changes to %s", f->dir, f->base);
    f->active = true;
    return true;
}

struct config_watch *config_watch_start(struct lsp_server *s)
{
    struct config_watch *w = xcalloc(1, sizeof(*w));
    w->s = s;
    uv_timer_init(s->loop, &w->debounce);
    w->debounce.data = w;
    w->open_handles = 1;
    char *user = lsp_config_user_path();
    bool any = watch_file(w, &w->files[0], user);
    if (s->cfg->explicit_path)
        any |= watch_file(w, &w->files[1], s->cfg->explicit_path);
    free(user);
    if (!any) {
        config_watch_stop(w);
        return NULL;
    }
    return w;
}

void config_watch_stop(struct config_watch *w)
{
    if (!w)
        return;
    uv_timer_stop(&w->debounce);
    for (int i = 0; i < 2; i++) {
        if (!w->files[i].dir)
            continue;
        uv_fs_event_stop(&w->files[i].ev);
        uv_close((uv_handle_t *)&w->files[i].ev, handle_closed);
    }
    uv_close((uv_handle_t *)&w->debounce, handle_closed);
}
