"""Planted secrets generated at test time (a port of the generator idea of
tests/unit/providers/test_privacy_corpus.c): each shape is a real family's prefix, length and
alphabet, fresh random values every run. planted(seed) gives (id, code, values) triples: code is
Python-ish source holding the secret, values the strings that must never leave the machine (for
key blocks: every body line)."""
import base64
import json
import random

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
B64URL = ALNUM + "_-"
B64 = ALNUM + "+/"
HEX = "0123456789abcdef"
UPPER32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
UPALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
PASS = ALNUM + "!%^*_+=.~"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def put(self, a, n):
        s = [self.r.choice(a) for _ in range(n)]
        if n >= 6:  # real tokens mix classes; short random runs sometimes do not
            if "7" in a:
                s[1] = "7"
            if "Q" in a:
                s[2] = "Q"
            if "k" in a:
                s[3] = "k"
        return "".join(s)

    def jwt(self):
        b = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")
        return "%s.%s.%s" % (b({"alg": "HS256", "typ": "JWT"}),
                             b({"sub": str(self.r.randrange(100000)), "iat": 1700000000 +
                                self.r.randrange(10 ** 6)}), self.put(B64URL, 43))

    def pem(self, label, lines, width):
        body = [self.put(B64, 20 if i == lines - 1 else width) for i in range(lines)]
        return "-----BEGIN %s-----\n%s\n-----END %s-----" % (label, "\n".join(body), label), body

    def password(self):
        return self.put(ALNUM, 1) + self.put(PASS, 7 + self.r.randrange(12))


def value_shapes(g):
    """(id, variable name, value) for single-value families."""
    p = g.put
    return [
        ("anthropic", "upstream", "sk-ant-api03-" + p(B64URL, 93) + "AA"),
        ("anthropic-admin", "upstream", "sk-ant-admin01-" + p(B64URL, 93) + "AA"),
        ("openai-project", "upstream", "sk-proj-" + p(B64URL, 156)),
        ("openai-legacy", "upstream", "sk-" + p(ALNUM, 20) + "T3BlbkFJ" + p(ALNUM, 20)),
        ("openai-svcacct", "upstream", "sk-svcacct-" + p(B64URL, 120)),
        ("aws-akia", "aws_id", "AKIA" + p(UPPER32, 16)),
        ("aws-asia", "aws_id", "ASIA" + p(UPPER32, 16)),
        ("aws-secret", "aws_secret_access_key", p(B64, 40)),
        ("github-ghp", "upstream", "ghp_" + p(ALNUM, 36)),
        ("github-gho", "upstream", "gho_" + p(ALNUM, 36)),
        ("github-pat", "upstream", "github_pat_" + p(ALNUM, 22) + "_" + p(ALNUM, 59)),
        ("gitlab-pat", "upstream", "glpat-" + p(B64URL, 20)),
        ("slack-bot", "upstream", "xoxb-%s-%s-%s" % (p(DIGITS, 12), p(DIGITS, 13), p(ALNUM, 24))),
        ("slack-webhook", "notify_url", "https://hooks.slack.com/services/T%s/B%s/%s" % (
            p(UPALNUM, 10), p(UPALNUM, 10), p(ALNUM, 24))),
        ("stripe-secret", "upstream", "sk_live_" + p(ALNUM, 99)),
        ("stripe-restricted", "upstream", "rk_live_" + p(ALNUM, 24)),
        ("sendgrid", "upstream", "SG." + p(B64URL, 22) + "." + p(B64URL, 43)),
        ("huggingface", "upstream", "hf_" + p(LETTERS, 34)),
        ("google-api", "upstream", "AIza" + p(B64URL, 35)),
        ("google-oauth", "upstream", "GOCSPX-" + p(B64URL, 28)),
        ("npm", "upstream", "npm_" + p(ALNUM, 36)),
        ("pypi", "upstream", "pypi-AgEIcHlwaS5vcmc" + p(B64URL, 140)),
        ("twilio", "upstream", "SK" + p(HEX, 32)),
        ("mailgun", "upstream", "key-" + p(HEX, 32)),
        ("discord-webhook", "notify_url", "https://discord.com/api/webhooks/%s/%s" % (
            p(DIGITS, 18), p(B64URL, 68))),
        ("telegram", "upstream", p(DIGITS, 10) + ":AA" + p(B64URL, 33)),
        ("digitalocean", "upstream", "dop_v1_" + p(HEX, 64)),
        ("shopify", "upstream", "shpat_" + p(HEX, 32)),
        ("vault", "upstream", "hvs." + p(B64URL, 94)),
        ("linear", "upstream", "lin_api_" + p(ALNUM, 40)),
        ("databricks", "upstream", "dapi" + p(HEX, 32)),
        ("age", "upstream", "AGE-SECRET-KEY-1" + p(UPALNUM, 58)),
        ("jwt", "upstream", g.jwt()),
        ("password-name", "db_password", g.password()),
        ("secret-name", "client_secret", p(ALNUM, 40)),
        ("token-name", "access_token", p(ALNUM, 40)),
        ("apikey-name", "apiKey", p(ALNUM, 40)),
        ("envkey-name", "WEATHER_KEY", p(ALNUM, 40)),
    ]


def fixed_shapes(g):
    """(id, template with %s, value): the syntax is the shape."""
    up = lambda: g.put(ALNUM, 6 + g.r.randrange(14))
    return [
        ("postgres-url", 'DATABASE_URL = "postgresql://app_user:%s@db.internal:5432/app"\n', up()),
        ("mysql-url", "engine = create_engine('mysql+pymysql://root:%s@localhost/shop')\n", up()),
        ("mongodb-srv", 'uri = "mongodb+srv://admin:%s@cluster0.abcde.mongodb.net/?retryWrites=true"\n',
         up()),
        ("redis-url", 'REDIS_URL = "redis://:%s@cache:6379/0"\n', up()),
        ("settings-index", 'settings["password"] = "%s"\n', g.password()),
        ("environ-index", 'os.environ["X_API_KEY"] = "%s"\n', g.put(ALNUM, 40)),
        ("pgpassword", 'run("PGPASSWORD=%s psql -h db -U app")\n', g.password()),
        ("cli-password", 'cmd = "mysqldump --password %s --all-databases > dump.sql"\n',
         g.password()),
        ("bearer-header", 'headers = {"Authorization": "Bearer %s"}\n', g.put(ALNUM, 40)),
        ("azure-conn", 'conn = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=%s;'
         'EndpointSuffix=core.windows.net"\n', g.put(B64, 86) + "=="),
        ("typed-py", 'api_token: str = "%s"\n', g.put(ALNUM, 40)),
    ]


def pem_shapes(g):
    """(id, block, body lines)."""
    out = []
    for sid, label, lines, width in (("pem-rsa", "RSA PRIVATE KEY", 25, 64),
                                     ("pem-pkcs8", "PRIVATE KEY", 26, 64),
                                     ("pem-ec", "EC PRIVATE KEY", 4, 64),
                                     ("pem-openssh", "OPENSSH PRIVATE KEY", 7, 70)):
        block, body = g.pem(label, lines, width)
        out.append((sid, block, body))
    return out


def planted(seed):
    """[(id, code, [values that must not leave])] over every family (>= 40 shapes)."""
    g = Gen(seed)
    out = []
    for sid, name, value in value_shapes(g):
        out.append((sid, '%s = "%s"\n' % (name, value), [value]))
    for sid, tpl, value in fixed_shapes(g):
        out.append((sid, tpl % value, [value]))
    for sid, block, body in pem_shapes(g):
        out.append((sid, 'key_pem = """\n%s\n"""\n' % block, body))
    return out
