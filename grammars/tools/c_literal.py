"""C string literals from text, for the build scripts that embed data files into the binary
(grammars/tools/embed_queries.py, providers/local/tools/embed_snippets.py)."""


def c_string(text):
    """The text as adjacent C string literals, one per source line, indented four spaces."""
    out = []
    for line in text.splitlines(keepends=True):
        esc = []
        for ch in line:
            if ch == "\\":
                esc.append("\\\\")
            elif ch == '"':
                esc.append('\\"')
            elif ch == "\n":
                esc.append("\\n")
            elif ch == "\t":
                esc.append("\\t")
            elif ch == "?":
                esc.append("\\?")  # no trigraphs
            elif ord(ch) < 32 or ord(ch) > 126:
                esc.extend("\\%03o" % b for b in ch.encode("utf-8"))
            else:
                esc.append(ch)
        out.append('    "' + "".join(esc) + '"')
    return "\n".join(out) if out else '    ""'
