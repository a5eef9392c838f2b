/* privacy_exclude: which files never leave the machine: the configured exclusion patterns
 * (gitignore rules, against a URI or a path) and the names that always hold secrets. */
#include <fnmatch.h>
#include <stdlib.h>

#include "ignore.h"
#include "privacy.h"
#include "uri.h"

struct privacy_exclude {
    struct ign_list *ign;
    char *root;
};

struct privacy_exclude *privacy_exclude_new(const char *const *patterns, const char *root)
{
    struct privacy_exclude *x = xcalloc(1, sizeof(*x));
    x->ign = ign_new();
    for (const char *const *p = patterns; p && *p; p++)
        ign_add_pattern(x->ign, *p);
    x->root = root && *root ? xstrdup(root) : NULL;
    return x;
}

void privacy_exclude_free(struct privacy_exclude *x)
{
    if (!x)
        return;
    ign_free(x->ign);
    free(x->root);
    free(x);
}

bool privacy_exclude_match(const struct privacy_exclude *x, const char *uri_or_path)
{
    if (!x || !uri_or_path || !*uri_or_path || !ign_count(x->ign))
        return false;
    char *decoded = NULL;
    int rc = us_uri_to_path(uri_or_path, &decoded, NULL);
    const char *path = uri_or_path;
    if (rc == 0 && decoded)
        path = decoded;
    else if (rc == US_EPARSE) { /* a %00 in the path: no file of ours, refuse it */
        free(decoded);
        return true;
    }
    bool hit = ign_match_path(x->ign, path, x->root, false);
    free(decoded);
    return hit;
}

bool privacy_secret_file_name(const char *name)
{
    static const char *const globs[] = {
        ".env*", "*.env", ".envrc", "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore",
        "*.ppk", "*.kdbx", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", ".netrc", ".pgpass",
        ".npmrc", ".pypirc", ".git-credentials", "credentials", "credentials.json",
        "*service-account*.json", "*.tfvars", "*.tfstate", "secrets.y*ml", NULL};
    if (!name || !*name)
        return false;
    for (const char *const *g = globs; *g; g++)
        if (fnmatch(*g, name, FNM_CASEFOLD) == 0)
            return true;
    return false;
}
