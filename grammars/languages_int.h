/* languages_int: the embedded query table shared by languages.c and the generated queries.c
 * (built by tools/embed_queries.py). Internal to grammars/.
 * Boundary: the query texts are static data of the generated queries.c, borrowed by all. */
#ifndef US_LANGUAGES_INT_H
#define US_LANGUAGES_INT_H

struct lang__query {
    const char *lang; /* folder name under queries/ */
    const char *kind; /* file name without .scm */
    const char *text;
};

extern const struct lang__query lang__queries[];

#endif
