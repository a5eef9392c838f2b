"""The local engine through the real server, with no providers configured: per language,
names in scope (locals and parameters in, another function's locals out), members after
`.`/`->`/`::` (including a type defined in another open document), keywords, snippets with and
without snippetSupport, provenance on every item, and offline ghost text (inlineCompletion and
`understudy complete`)."""
import os
import subprocess
import time

from lspclient import BIN, SRC, TestCase, check, eq

MARK = "\u00a7"  # where a probe puts the cursor; stripped from the text sent to the server


def strip_marks(text):
    """Text without markers, and {n: (line, character)} for each marker \u00a7n (utf-16 = utf-8
    here: the samples are ASCII)."""
    out, marks, i = [], {}, 0
    line, col = 0, 0
    while i < len(text):
        if text[i] == MARK:
            j = i + 1
            while j < len(text) and text[j].isdigit():
                j += 1
            marks[int(text[i + 1:j])] = (line, col)
            i = j
            continue
        c = text[i]
        out.append(c)
        if c == "\n":
            line, col = line + 1, 0
        else:
            col += 1
        i += 1
    return "".join(out), marks


# Per language: a realistic main file and another open file of the same language that defines a
# type; probes: (marker, wanted in as local:symbol, wanted out as local:symbol).
# Every "out" name is a local of another function, so buffer words may still offer it, but
# never as a symbol and never above the first "in" name (a local or parameter of the cursor's
# function).
LANGS = {
    "python": {
        "ext": "py",
        "other": '''class Account:
    """A bank account."""
    def __init__(self, owner, balance=0):
        self.owner = owner
        self.balance = balance

    def deposit(self, amount):
        self.balance += amount
        return self.balance

    def describe(self):
        return "%s: %d" % (self.owner, self.balance)
''',
        "main": '''import os
from collections import defaultdict


class Ledger:
    def __init__(self, path):
        self.path = path
        self.entries = []

    def total(self):
        return sum(e.amount for e in self.entries)


def summarize(records, threshold):
    subtotal = 0
    skipped_rows = []
    for record in records:
        if record.amount > threshold:
            subtotal += record.amount
    return su\u00a71


def export(ledger, destination):
    summary_rows = [str(e) for e in ledger.entries]
    with open(destination, "w") as out:
        out.write("\\n".join(summary_rows))
    acct = Account("ann", 10)
    acct.\u00a72
    ret\u00a73
''',
        "probes": [
            (1, ["subtotal", "summarize"], ["summary_rows"]),
            (2, ["deposit", "describe", "owner", "balance"], ["summary_rows", "subtotal"]),
            (3, ["return"], []),
        ],
        "self_member": ("    def total(self):\n        return sum(e.amount for e in self.entries)\n",
                        "self.entries", "self.", ["path", "entries", "total"]),
        "snippet": "def",
    },
    "c": {
        "ext": "c",
        "other": '''struct account {
    char owner[32];
    long balance;
    int flags;
};
''',
        "main": '''#include <stdio.h>
#include "account.h"

struct point {
    int px;
    int py;
};

static int scale_factor = 3;

static long area(const struct point *corner, int width_units)
{
    long computed_area = (long)corner->px * width_units;
    int counter = 0;
    return co\u00a71;
}

static void print_account(struct account *acct, int verbose)
{
    int count_printed = 0;
    struct point origin = {0, 0};
    origin.\u00a74;
    printf("%ld\\n", acct->\u00a72);
    whi\u00a73
}
''',
        "probes": [
            (1, ["computed_area", "corner", "counter"], ["count_printed"]),
            (2, ["owner", "balance", "flags"], ["count_printed"]),
            (3, ["while"], []),
            (4, ["px", "py"], ["owner"]),
        ],
        "snippet": "for",
    },
    "cpp": {
        "ext": "cpp",
        "other": '''class Account {
public:
    void deposit(long amount);
    long balance() const;
private:
    long balance_cents;
};
''',
        "main": '''#include <vector>
#include "account.hpp"

namespace geo {
struct Vec {
    double vx;
    double vy;
    double length() const;
};
}

double total_length(const std::vector<geo::Vec> &items, double weight_factor)
{
    double accumulated_sum = 0;
    for (const auto &item : items)
        accumulated_sum += item.length() * weight_factor;
    return ac\u00a71;
}

void bank(Account *acct, int verbose_mode)
{
    int acc_count = 0;
    acct->\u00a72;
    geo::Vec v;
    v.\u00a74;
    nam\u00a73
}
''',
        "probes": [
            (1, ["accumulated_sum"], ["acc_count"]),
            (2, ["deposit", "balance"], ["acc_count"]),
            (3, ["namespace"], []),
            (4, ["vx", "vy", "length"], []),
        ],
        "snippet": "for",
    },
    "javascript": {
        "ext": "js",
        "other": '''class Account {
  constructor(owner) {
    this.owner = owner;
    this.balance = 0;
  }
  deposit(amount) {
    this.balance += amount;
  }
}
''',
        "main": '''const fs = require("fs");

function parseRows(text, separator) {
  const splitLines = text.split("\\n");
  let resultCount = 0;
  return splitLines.map((l) => l.split(separator));
}

function report(rows, outputPath) {
  const reportLines = [];
  for (const row of rows) {
    reportLines.push(row.join(","));
  }
  fs.writeFileSync(outputPath, re\u00a71);
  const acct = new Account("ann");
  acct.\u00a72;
  retu\u00a73
}
''',
        "probes": [
            (1, ["reportLines", "report"], ["resultCount"]),
            (2, ["deposit", "owner", "balance"], ["resultCount"]),
            (3, ["return"], []),
        ],
        "snippet": "for",
    },
    "typescript": {
        "ext": "ts",
        "other": '''export interface Shape {
  kind: string;
  area(): number;
}

export class Circle implements Shape {
  kind = "circle";
  constructor(public radius: number) {}
  area(): number {
    return Math.PI * this.radius ** 2;
  }
}
''',
        "main": '''import { readFileSync } from "fs";

function sumAreas(shapes: Shape[], scaleBy: number): number {
  let runningTotal = 0;
  for (const shape of shapes) {
    runningTotal += shape.area() * scaleBy;
  }
  return ru\u00a71;
}

function other(input: string): number {
  const rubberDuck = input.length;
  return rubberDuck;
}

function make(): void {
  const c = new Circle(2);
  c.\u00a72;
  interf\u00a73
}
''',
        "probes": [
            (1, ["runningTotal"], ["rubberDuck"]),
            (2, ["radius", "area"], []),
            (3, ["interface"], []),
        ],
        "snippet": "for",
    },
    "go": {
        "ext": "go",
        "other": '''package bank

type Account struct {
	Owner   string
	Balance int64
}

func (a *Account) Deposit(amount int64) {
	a.Balance += amount
}
''',
        "main": '''package bank

import "fmt"

func Summarize(values []int, limit int) int {
	partialSum := 0
	for _, value := range values {
		if value < limit {
			partialSum += value
		}
	}
	return pa\u00a71
}

func Report(accounts []Account) {
	pageCount := 0
	var acct Account
	acct.\u00a72
	fmt.Println(pageCount)
	fu\u00a73
}
''',
        "probes": [
            (1, ["partialSum"], ["pageCount"]),
            (2, ["Owner", "Balance", "Deposit"], []),
            (3, ["func"], []),
        ],
        "snippet": "for",
    },
    "rust": {
        "ext": "rs",
        "other": '''pub struct Account {
    pub owner: String,
    pub balance: i64,
}

impl Account {
    pub fn deposit(&mut self, amount: i64) {
        self.balance += amount;
    }
}
''',
        "main": '''use std::collections::HashMap;

fn tally(words: &[String], min_len: usize) -> HashMap<String, usize> {
    let mut word_counts = HashMap::new();
    for w in words {
        if w.len() >= min_len {
            *word_counts.entry(w.clone()).or_insert(0) += 1;
        }
    }
    wo\u00a71
}

fn open(acct: &mut Account) {
    let worker_id = 3;
    acct.\u00a72;
    mat\u00a73
}
''',
        "probes": [
            (1, ["word_counts", "words"], ["worker_id"]),
            (2, ["owner", "balance", "deposit"], []),
            (3, ["match"], []),
        ],
        "snippet": "fn",
    },
    "java": {
        "ext": "java",
        "other": '''public class Account {
    private String owner;
    private long balance;

    public void deposit(long amount) {
        balance += amount;
    }

    public long getBalance() {
        return balance;
    }
}
''',
        "main": '''import java.util.List;

public class Report {
    private int pageWidth = 80;

    public int countLong(List<String> lines, int minimum) {
        int matchingLines = 0;
        for (String line : lines) {
            if (line.length() >= minimum) {
                matchingLines++;
            }
        }
        return ma\u00a71;
    }

    public void print(Account account) {
        int marginLeft = 2;
        account.\u00a72;
        synchro\u00a73
    }
}
''',
        "probes": [
            (1, ["matchingLines"], ["marginLeft"]),
            (2, ["deposit", "getBalance"], []),
            (3, ["synchronized"], []),
        ],
        "snippet": "for",
    },
    "ruby": {
        "ext": "rb",
        "other": '''class Account
  attr_reader :owner

  def initialize(owner)
    @owner = owner
    @balance = 0
  end

  def deposit(amount)
    @balance += amount
  end
end
''',
        "main": '''require "json"

def tally(entries, cutoff)
  kept_total = 0
  entries.each do |entry|
    kept_total += entry if entry > cutoff
  end
  ke\u00a71
end

def show(path)
  kernel_name = File.basename(path)
  acct = Account.new("ann")
  acct.\u00a72
  unl\u00a73
end
''',
        "probes": [
            (1, ["kept_total"], ["kernel_name"]),
            (2, ["deposit"], []),
            (3, ["unless"], []),
        ],
        "snippet": "def",
    },
    "shellscript": {
        "ext": "sh",
        "other": None,
        "main": '''#!/bin/bash
set -euo pipefail

backup_dir="/var/backups"

compress_logs() {
    local log_folder="$1"
    local level=9
    tar -czf "$backup_dir/logs.tgz" $l\u00a71
    lo\u00a72
}

rotate() {
    local logrotate_conf="/etc/logrotate.conf"
    echo "$logrotate_conf"
}

fun\u00a73
''',
        "probes": [
            (1, ["$log_folder", "$level"], ["$logrotate_conf"]),
            (2, ["log_folder", "local"], ["logrotate_conf"]),
            (3, ["function"], []),
        ],
        "snippet": "if",
    },
    "lua": {
        "ext": "lua",
        "other": None,
        "main": '''local Account = {}
Account.__index = Account

function Account.new(owner)
  local self = setmetatable({}, Account)
  self.owner = owner
  self.balance = 0
  return self
end

local function sum_values(values, scale)
  local summed_value = 0
  for _, v in ipairs(values) do
    summed_value = summed_value + v * scale
  end
  return su\u00a71
end

local function other()
  local super_local = 1
  return super_local
end

loc\u00a73
''',
        "probes": [
            (1, ["summed_value", "sum_values"], ["super_local"]),
            (3, ["local"], []),
        ],
        "snippet": "for",
    },
}


def labels_by_source(items):
    return [(i["label"], i.get("data", {}).get("source"), i.get("labelDetails", {}).get("description"))
            for i in items]


class Local(TestCase):
    def start(self, snippets=True):
        s = self.server()
        caps = {"textDocument": {"completion": {"completionItem": {"snippetSupport": snippets}},
                                 "inlineCompletion": {}}}
        s.initialize(caps)
        return s

    def complete(self, s, uri, pos):
        r = s.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                 "position": {"line": pos[0], "character": pos[1]}})
        check("result" in r, "completion failed: %r" % r)
        res = r["result"]
        items = res["items"] if isinstance(res, dict) else res
        for it in items:
            src = it.get("data", {}).get("source")
            check(src in ("local:symbol", "local:word", "local:snippet"),
                  "no AI configured, yet item %r has source %r" % (it["label"], src))
            eq(it.get("labelDetails", {}).get("description"), src, "labelDetails of " + it["label"])
        return items

    def run_language(self, lang):
        spec = LANGS[lang]
        s = self.start()
        if spec["other"]:
            s.open("file:///ws/other_%s.%s" % (lang, spec["ext"]), spec["other"], language=lang)
        text, marks = strip_marks(spec["main"])
        uri = "file:///ws/main_%s.%s" % (lang, spec["ext"])
        s.open(uri, text, language=lang)
        for mark, want_in, want_out in spec["probes"]:
            items = self.complete(s, uri, marks[mark])
            labels = [i["label"] for i in items]
            sym = {i["label"] for i in items if i["data"]["source"] == "local:symbol"}
            ctx = "%s probe %d: %r" % (lang, mark, labels_by_source(items)[:20])
            for w in want_in:
                check(w in sym, "%s should be offered as local:symbol; %s" % (w, ctx))
            # the first wanted name is a local or parameter of the cursor's function
            first_in = labels.index(want_in[0])
            for w in want_out:
                check(w not in sym, "%s is out of scope, yet a symbol; %s" % (w, ctx))
                if w in labels:
                    check(labels.index(w) > first_in, "%s ranks above the in-scope local; %s" % (w, ctx))

    def test_python(self):
        self.run_language("python")

    def test_c(self):
        self.run_language("c")

    def test_cpp(self):
        self.run_language("cpp")

    def test_javascript(self):
        self.run_language("javascript")

    def test_typescript(self):
        self.run_language("typescript")

    def test_go(self):
        self.run_language("go")

    def test_rust(self):
        self.run_language("rust")

    def test_java(self):
        self.run_language("java")

    def test_ruby(self):
        self.run_language("ruby")

    def test_shellscript(self):
        self.run_language("shellscript")

    def test_lua(self):
        self.run_language("lua")

    def test_python_self_members(self):
        s = self.start()
        text, marks = strip_marks(LANGS["python"]["main"].replace(
            "        return sum(e.amount for e in self.entries)\n",
            "        return sum(e.amount for e in self.entries)\n\n    def flush(self):\n        self.\u00a79\n"))
        s.open("file:///ws/self.py", text)
        items = self.complete(s, "file:///ws/self.py", marks[9])
        sym = {i["label"] for i in items if i["data"]["source"] == "local:symbol"}
        for w in ["path", "entries", "total"]:
            check(w in sym, "self.%s missing: %r" % (w, labels_by_source(items)))

    def test_json_keywords(self):
        s = self.start()
        s.open("file:///ws/conf.json", '{\n  "enabled": tr\n}\n', language="json")
        items = self.complete(s, "file:///ws/conf.json", (1, 15))
        check("true" in [i["label"] for i in items], "json true: %r" % labels_by_source(items))

    def test_snippets_with_and_without_support(self):
        for support in (True, False):
            s = self.start(snippets=support)
            s.open("file:///ws/snip.py", "import os\n\nde\n")
            items = self.complete(s, "file:///ws/snip.py", (2, 2))
            snips = [i for i in items if i["data"]["source"] == "local:snippet"]
            check(snips, "no snippet for 'de' (support %s): %r" % (support, labels_by_source(items)))
            d = [i for i in snips if i["label"] == "def"]
            check(d, "no 'def' snippet: %r" % labels_by_source(items))
            new_text = d[0]["textEdit"]["newText"]
            if support:
                eq(d[0]["insertTextFormat"], 2, "snippet format")
                check("$" in new_text, "snippet syntax expected: %r" % new_text)
            else:
                eq(d[0]["insertTextFormat"], 1, "plain text format")
                check("$" not in new_text and new_text.startswith("def "),
                      "placeholders should be replaced by their defaults: %r" % new_text)
            s.kill()

    def test_snippet_per_language(self):
        s = self.start()
        for lang, spec in LANGS.items():
            uri = "file:///ws/snippet_%s.%s" % (lang, spec["ext"])
            prefix = spec["snippet"]
            s.open(uri, prefix + "\n", language=lang)
            items = self.complete(s, uri, (0, len(prefix)))
            snips = [i["label"] for i in items if i["data"]["source"] == "local:snippet"]
            check(snips, "%s: no snippet for %r: %r" % (lang, prefix, labels_by_source(items)))

    def test_words_from_other_documents(self):
        s = self.start()
        s.open("file:///ws/a.py", "def configure_logging(verbosity):\n    pass\n")
        s.open("file:///ws/b.py", "import a\n\nconf\n")
        items = self.complete(s, "file:///ws/b.py", (2, 4))
        check("configure_logging" in [i["label"] for i in items],
              "a word of another open document: %r" % labels_by_source(items))

    def test_words_of_a_big_document_catch_up(self):
        # A big document's words are re-read at most once a second while it is typed in; a
        # word typed into it must still reach the suggestions once that second has passed.
        s = self.start()
        big = "".join("def helper_%d(a):\n    return a + %d\n\n" % (i, i) for i in range(5000))
        check(len(big) > 128 * 1024, "big enough to be throttled")
        s.open("file:///ws/big.py", big)
        s.open("file:///ws/use.py", "import big\n\nquarterly_r\n")
        self.complete(s, "file:///ws/use.py", (2, 11))  # the big document's words are read
        lines = big.count("\n")
        s.change("file:///ws/big.py", 2, [{"range": {"start": {"line": lines, "character": 0},
                                                    "end": {"line": lines, "character": 0}},
                                          "text": "def quarterly_rollover_total():\n    pass\n"}])
        self.complete(s, "file:///ws/use.py", (2, 11))  # may still be within the second
        time.sleep(1.1)
        items = self.complete(s, "file:///ws/use.py", (2, 11))
        check("quarterly_rollover_total" in [i["label"] for i in items],
              "the new word arrived: %r" % labels_by_source(items))

    def inline(self, s, uri, pos):
        r = s.request("textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": {"line": pos[0], "character": pos[1]},
            "context": {"triggerKind": 2}}, timeout=15)
        res = r["result"]
        return res["items"] if isinstance(res, dict) else res

    def test_inline_repeated_pattern(self):
        s = self.start()
        text = '''def register_handlers(app):
    app.add_route("/users", users_handler, methods=["GET"])
    app.add_route("/orders", orders_handler, methods=["GET"])
    app.add_route("/invoices", invoices_handler, methods=["GET"])
    app.add_route("/payments", payments_handler, methods=["GET"])
    app.add_route("/refunds", 
'''
        s.open("file:///ws/routes.py", text)
        items = self.inline(s, "file:///ws/routes.py", (5, 30))
        check(items, "no ghost text for a repeated pattern")
        eq(items[0]["insertText"].split("\n")[0].rstrip() if isinstance(items[0]["insertText"], str)
           else items[0]["insertText"]["value"], 'refunds_handler, methods=["GET"])',
           "continuation")
        arg = items[0]["command"]["arguments"][0]
        eq(arg["source"], "local:line", "ghost text provenance")

    def test_inline_c_repetition(self):
        s = self.start()
        text = '''static const struct option opts[] = {
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", 
'''
        s.open("file:///ws/opts.c", text, language="c")
        items = self.inline(s, "file:///ws/opts.c", (4, 16))
        check(items, "no ghost text")
        got = items[0]["insertText"]
        got = got if isinstance(got, str) else got["value"]
        check(got.startswith("no_argument, NULL, "), "continuation: %r" % got)
        eq(items[0]["command"]["arguments"][0]["source"], "local:line")

    def ghost(self, s, uri, pos):
        items = self.inline(s, uri, pos)
        if not items:
            return None
        t = items[0]["insertText"]
        return t if isinstance(t, str) else t["value"]

    def test_inline_self_assign_after_constructor(self):
        s = self.start()
        text = "class Account:\n    def __init__(self, owner, balance=0):\n        \n"
        s.open("file:///ws/account.py", text)
        eq(self.ghost(s, "file:///ws/account.py", (2, 8)), "self.owner = owner",
           "self.x = x after the signature")
        text = ("class Account:\n    def __init__(self, owner, balance=0):\n"
                "        self.owner = owner\n        \n")
        s.open("file:///ws/account2.py", text)
        eq(self.ghost(s, "file:///ws/account2.py", (3, 8)), "self.balance = balance",
           "the next parameter")

    def test_inline_elif_arm(self):
        s = self.start()
        text = ("def area(kind, r):\n    if kind == \"circle\":\n        return 3.14 * r * r\n"
                "    elif kind == \"square\":\n        return r * r\n    \n")
        s.open("file:///ws/arms.py", text)
        eq(self.ghost(s, "file:///ws/arms.py", (5, 4)), "elif kind ==", "the next arm")

    def test_inline_finishes_identifier(self):
        s = self.start()
        text = "def area(width, height):\n    return width * height\n\nprint(ar\n"
        s.open("file:///ws/mid.py", text)
        got = self.ghost(s, "file:///ws/mid.py", (3, 8))
        check(got is not None and got.startswith("ea("), "mid-identifier ghost text: %r" % got)

    def test_cli_make_run_example(self):
        env = dict(os.environ, XDG_CONFIG_HOME="/nonexistent-understudy-test")
        env.pop("UNDERSTUDY_CONFIG", None)
        p = subprocess.run([BIN, "complete", os.path.join(SRC, "tests/fixtures/demo/shapes.py:29:11")],
                           capture_output=True, text=True, timeout=60, env=env)
        eq(p.returncode, 0, "exit status (stderr %s)" % p.stderr)
        check('TypeError("unknown shape")' in p.stdout, "suggestion: %r" % p.stdout)
        check("local:line" in p.stdout, "source: %r" % p.stdout)

    def test_cli_reads_the_workspace(self):
        """`complete` answers as an editor does once the workspace is indexed: here a licence
        header the workspace's scripts share, continued in a comment (longest match only)."""
        import tempfile
        header = ("# This program is free software: you can redistribute it and/or modify\n"
                  "# it under the terms of the GNU General Public License as published by\n"
                  "# the Free Software Foundation, either version 3 of the License, or\n")
        with tempfile.TemporaryDirectory() as ws:
            os.mkdir(os.path.join(ws, ".git"))
            for i in range(3):
                with open(os.path.join(ws, "tool%d.sh" % i), "w") as f:
                    f.write("#!/bin/sh\n%secho %d\n" % (header, i))
            with open(os.path.join(ws, "new.sh"), "w") as f:
                f.write("#!/bin/sh\n" + header.splitlines()[0] + "\n# it under the terms of the \n")
            env = dict(os.environ, XDG_CONFIG_HOME="/nonexistent-understudy-test",
                       XDG_STATE_HOME=ws)
            env.pop("UNDERSTUDY_CONFIG", None)
            p = subprocess.run([BIN, "complete", os.path.join(ws, "new.sh:3:29")],
                               capture_output=True, text=True, timeout=60, env=env)
            eq(p.returncode, 0, "exit status (stdout %r, stderr %s)" % (p.stdout, p.stderr))
            check(p.stdout.startswith("GNU General Public License as published by\n"),
                  "suggestion: %r" % p.stdout)
            check("local:line" in p.stdout, "source: %r" % p.stdout)


if __name__ == "__main__":
    Local().run()
