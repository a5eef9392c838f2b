/* logsink: log lines as window/logMessage (logsink.h). */
#include "logsink.h"

#include <stdio.h>
#include <string.h>

#include "outbox.h"
#include "server_int.h"

#define QUEUE_MAX 64

static struct {
    bool installed;
    struct lsp_server *srv;
    struct {
        enum log_level level;
        char *line;
    } queue[QUEUE_MAX];
    size_t queued, dropped;
} g;

static int message_type(enum log_level level)
{
    switch (level) {
    case LOG_ERROR: return 1;
    case LOG_WARN: return 2;
    case LOG_INFO: return 3;
    default: return 4;
    }
}

static void send_line(struct lsp_server *s, enum log_level level, const char *line, size_t len)
{
    outbox_notify(s->out, "window/logMessage",
               json_pack("{s:i, s:s%}", "type", message_type(level), "message", line, len));
}

static bool sink(enum log_level level, const char *line, size_t len, void *ud)
{
    (void)ud;
    if (g.srv) {
        /* Exiting: the editor no longer listens; only warnings and errors reach stderr. */
        if (g.srv->state == LSP_STATE_EXITED || !g.srv->tr)
            return level > LOG_WARN;
        send_line(g.srv, level, line, len);
        return true;
    }
    if (g.queued == QUEUE_MAX) {
        g.dropped++;
        return true;
    }
    g.queue[g.queued].level = level;
    g.queue[g.queued].line = xstrndup(line, len);
    g.queued++;
    return true;
}

void logsink_install(void)
{
    g.installed = true;
    log_set_sink(sink, NULL);
}

static void flush_queue(struct lsp_server *s)
{
    for (size_t i = 0; i < g.queued; i++) {
        if (s)
            send_line(s, g.queue[i].level, g.queue[i].line, strlen(g.queue[i].line));
        else
            fprintf(stderr, "understudy %s\n", g.queue[i].line);
        free(g.queue[i].line);
    }
    g.queued = 0;
    if (g.dropped) {
        char msg[96];
        snprintf(msg, sizeof(msg), "[log] %zu earlier lines dropped", g.dropped);
        if (s)
            send_line(s, LOG_WARN, msg, strlen(msg));
        else
            fprintf(stderr, "understudy %s\n", msg);
        g.dropped = 0;
    }
}

void logsink_attach(struct lsp_server *s)
{
    if (!g.installed || g.srv == s)
        return;
    g.srv = s;
    flush_queue(s);
}

void logsink_detach(void)
{
    if (!g.installed)
        return;
    log_set_sink(NULL, NULL);
    g.installed = false;
    g.srv = NULL;
    flush_queue(NULL);
}
