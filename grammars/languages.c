/* languages: the languages table. The grammar entry points come from the generated parsers
 * compiled from grammars/node_modules; queries come from the generated queries.c. */
#include "languages.h"

#include <string.h>
#include <strings.h>

#include "languages_int.h"

#ifdef US_HAVE_GRAMMARS
const TSLanguage *tree_sitter_bash(void);
const TSLanguage *tree_sitter_c(void);
const TSLanguage *tree_sitter_cpp(void);
const TSLanguage *tree_sitter_go(void);
const TSLanguage *tree_sitter_java(void);
const TSLanguage *tree_sitter_javascript(void);
const TSLanguage *tree_sitter_json(void);
const TSLanguage *tree_sitter_lua(void);
const TSLanguage *tree_sitter_python(void);
const TSLanguage *tree_sitter_ruby(void);
const TSLanguage *tree_sitter_rust(void);
const TSLanguage *tree_sitter_tsx(void);
const TSLanguage *tree_sitter_typescript(void);
#define GRAMMAR(fn) fn
#else
#define GRAMMAR(fn) NULL
#endif

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

static const char *const c_keywords[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", "bool", "true", "false", "NULL",
    "#include", "#define", "#ifdef", "#ifndef", "#endif", NULL};
static const char *const cpp_keywords[] = {
    "auto", "bool", "break", "case", "catch", "char", "class", "const", "constexpr",
    "const_cast", "continue", "decltype", "default", "delete", "do", "double", "dynamic_cast",
    "else", "enum", "explicit", "extern", "false", "float", "for", "friend", "if", "inline",
    "int", "long", "mutable", "namespace", "new", "noexcept", "nullptr", "operator", "override",
    "private", "protected", "public", "return", "short", "signed", "sizeof", "static",
    "static_cast", "struct", "switch", "template", "this", "throw", "true", "try", "typedef",
    "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "while",
    "#include", "#define", NULL};
static const char *const python_keywords[] = {
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
    "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
    "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return",
    "try", "while", "with", "yield", "self", NULL};
static const char *const js_keywords[] = {
    "async", "await", "break", "case", "catch", "class", "const", "continue", "debugger",
    "default", "delete", "do", "else", "export", "extends", "false", "finally", "for",
    "function", "if", "import", "in", "instanceof", "let", "new", "null", "of", "return",
    "static", "super", "switch", "this", "throw", "true", "try", "typeof", "undefined", "var",
    "void", "while", "yield", NULL};
static const char *const ts_keywords[] = {
    "abstract", "any", "as", "async", "await", "boolean", "break", "case", "catch", "class",
    "const", "continue", "declare", "default", "delete", "do", "else", "enum", "export",
    "extends", "false", "finally", "for", "from", "function", "if", "implements", "import",
    "in", "instanceof", "interface", "keyof", "let", "namespace", "never", "new", "null",
    "number", "of", "private", "protected", "public", "readonly", "return", "static", "string",
    "super", "switch", "this", "throw", "true", "try", "type", "typeof", "undefined", "unknown",
    "var", "void", "while", "yield", NULL};
static const char *const go_keywords[] = {
    "break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough",
    "for", "func", "go", "goto", "if", "import", "interface", "map", "package", "range",
    "return", "select", "struct", "switch", "type", "var", "nil", "true", "false", "error",
    "string", "int", "bool", "byte", "float64", "append", "len", "make", NULL};
static const char *const rust_keywords[] = {
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
    "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
    "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true",
    "type", "unsafe", "use", "where", "while", "Some", "None", "Ok", "Err", "Option", "Result",
    "String", "Vec", NULL};
static const char *const java_keywords[] = {
    "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class",
    "continue", "default", "do", "double", "else", "enum", "extends", "final", "finally",
    "float", "for", "if", "implements", "import", "instanceof", "int", "interface", "long",
    "new", "null", "package", "private", "protected", "public", "return", "short", "static",
    "super", "switch", "synchronized", "this", "throw", "throws", "true", "false", "try",
    "var", "void", "while", "String", NULL};
static const char *const ruby_keywords[] = {
    "BEGIN", "END", "alias", "and", "begin", "break", "case", "class", "def", "defined?", "do",
    "else", "elsif", "end", "ensure", "false", "for", "if", "in", "module", "next", "nil",
    "not", "or", "redo", "require", "require_relative", "rescue", "retry", "return", "self",
    "super", "then", "true", "undef", "unless", "until", "when", "while", "yield",
    "attr_accessor", "attr_reader", NULL};
static const char *const bash_keywords[] = {
    "case", "do", "done", "elif", "else", "esac", "fi", "for", "function", "if", "in",
    "local", "readonly", "return", "select", "then", "until", "while", "export", "echo",
    "printf", "shift", "exit", "set", NULL};
static const char *const lua_keywords[] = {
    "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if",
    "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
    "require", "pairs", "ipairs", "print", NULL};
static const char *const json_keywords[] = {"true", "false", "null", NULL};

static const struct lang_info table[] = {
    {"c", LIST("c"), LIST("c", "h"), "c", "//", c_keywords, LIST("comment"),
     LIST("string_literal", "char_literal", "system_lib_string"), "\"'", false, false,
     GRAMMAR(tree_sitter_c)},
    {"cpp", LIST("cpp", "c++", "cuda-cpp"), LIST("cc", "cpp", "cxx", "c++", "hh", "hpp", "hxx", "ipp"),
     "cpp", "//", cpp_keywords, LIST("comment"),
     LIST("string_literal", "char_literal", "raw_string_literal", "system_lib_string"), "\"'",
     false, false, GRAMMAR(tree_sitter_cpp)},
    {"python", LIST("python"), LIST("py", "pyi", "pyw"), "python", "#", python_keywords,
     LIST("comment"), LIST("string"), "\"'", true, true, GRAMMAR(tree_sitter_python)},
    {"javascript", LIST("javascript", "javascriptreact", "jsx"), LIST("js", "mjs", "cjs", "jsx"),
     "javascript", "//", js_keywords, LIST("comment"),
     LIST("string", "template_string", "regex"), "\"'`", false, false,
     GRAMMAR(tree_sitter_javascript)},
    {"typescript", LIST("typescript"), LIST("ts", "mts", "cts"), "typescript", "//", ts_keywords,
     LIST("comment"), LIST("string", "template_string", "regex"), "\"'`", false, false,
     GRAMMAR(tree_sitter_typescript)},
    {"typescriptreact", LIST("typescriptreact", "tsx"), LIST("tsx"), "typescript", "//",
     ts_keywords, LIST("comment"), LIST("string", "template_string", "regex"), "\"'`", false,
     false, GRAMMAR(tree_sitter_tsx)},
    {"go", LIST("go"), LIST("go"), "go", "//", go_keywords, LIST("comment"),
     LIST("interpreted_string_literal", "raw_string_literal", "rune_literal"), "\"'`", false,
     false, GRAMMAR(tree_sitter_go)},
    {"rust", LIST("rust"), LIST("rs"), "rust", "//", rust_keywords,
     LIST("line_comment", "block_comment"),
     LIST("string_literal", "raw_string_literal", "char_literal"), "\"", false, false,
     GRAMMAR(tree_sitter_rust)},
    {"java", LIST("java"), LIST("java"), "java", "//", java_keywords,
     LIST("line_comment", "block_comment"), LIST("string_literal", "character_literal"), "\"'",
     false, false, GRAMMAR(tree_sitter_java)},
    {"ruby", LIST("ruby"), LIST("rb", "rake", "gemspec", "ru"), "ruby", "#", ruby_keywords,
     LIST("comment"), LIST("string", "heredoc_body", "regex"), "\"'", false, false,
     GRAMMAR(tree_sitter_ruby)},
    {"shellscript", LIST("shellscript", "bash", "sh", "zsh", "shell"),
     LIST("sh", "bash", "zsh", "ksh", "bashrc", "profile"), "bash", "#", bash_keywords,
     LIST("comment"), LIST("string", "raw_string", "heredoc_body", "ansi_c_string"), "\"'", false,
     false, GRAMMAR(tree_sitter_bash)},
    {"lua", LIST("lua"), LIST("lua"), "lua", "--", lua_keywords, LIST("comment"), LIST("string"),
     "\"'", false, false, GRAMMAR(tree_sitter_lua)},
    {"json", LIST("json", "jsonc"), LIST("json", "jsonc"), "json", NULL, json_keywords,
     LIST("comment"), LIST("string"), "\"", false, false, GRAMMAR(tree_sitter_json)},
};

static bool in_list(const char *const *list, const char *s, bool nocase)
{
    for (; list && *list; list++)
        if ((nocase ? strcasecmp(*list, s) : strcmp(*list, s)) == 0)
            return true;
    return false;
}

const struct lang_info *lang_for_id(const char *language_id)
{
    if (!language_id)
        return NULL;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (in_list(table[i].ids, language_id, false))
            return &table[i];
    return NULL;
}

const struct lang_info *lang_for_name(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

const struct lang_info *lang_for_path(const char *path)
{
    if (!path)
        return NULL;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || !dot[1])
        return NULL;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (in_list(table[i].extensions, dot + 1, true))
            return &table[i];
    return NULL;
}

const struct lang_info *lang_for_document(const char *language_id, const char *uri)
{
    const struct lang_info *lang = lang_for_id(language_id);
    if (!lang && uri)
        lang = lang_for_path(uri);
    return lang;
}

const struct lang_info *lang_all(size_t *n)
{
    *n = sizeof(table) / sizeof(table[0]);
    return table;
}

const char *lang_query_text(const struct lang_info *lang, const char *kind)
{
    for (const struct lang__query *q = lang__queries; q->lang; q++)
        if (strcmp(q->lang, lang->query_dir) == 0 && strcmp(q->kind, kind) == 0)
            return q->text;
    return "";
}

const TSLanguage *lang_grammar(const struct lang_info *lang)
{
    return lang && lang->grammar ? lang->grammar() : NULL;
}
