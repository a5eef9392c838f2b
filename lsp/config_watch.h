/* config_watch: the configuration file follows the user. The folders of the user's config
 * file and of --config are watched with libuv (uv_fs_event on the folder, because editors save
 * by writing a new file and renaming it over the old one); 150 ms after the last change the
 * files are read again and applied with the same per-key messages as at start. A broken edit
 * keeps the last good configuration and says so once (window/showMessage). */
#ifndef US_CONFIG_WATCH_H
#define US_CONFIG_WATCH_H

struct lsp_server;
struct config_watch;

/* Start watching for the session s (borrowed; must outlive the watch until config_watch_stop).
 * Returns NULL when there is nothing to watch (no folder exists). */
struct config_watch *config_watch_start(struct lsp_server *s);

/* Stop and free (the handles close on the loop); NULL is fine. */
void config_watch_stop(struct config_watch *w);

#endif
