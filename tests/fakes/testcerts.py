"""Test certificates made at test time with the openssl CLI (never committed):

    from testcerts import make_certs
    c = make_certs(tmpdir)   # {"ca": ca.pem, "cert": server.pem, "key": server.key,
                             #  "other_ca": a CA that did not sign the server}

The server certificate names 127.0.0.1, 127.0.0.2, ::1 and localhost. EC P-256 keys: a few ms
to make."""
import os
import subprocess

_SAN = "subjectAltName=IP:127.0.0.1,IP:127.0.0.2,IP:::1,DNS:localhost"


def _run(*args):
    subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def _ca(d, name):
    key, pem = os.path.join(d, name + ".key"), os.path.join(d, name + ".pem")
    _run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", key, "-out", pem, "-days", "2", "-subj", "/CN=Understudy test " + name,
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
         "keyUsage=critical,keyCertSign,cRLSign")
    return key, pem


def make_certs(d):
    os.makedirs(d, exist_ok=True)
    ca_key, ca = _ca(d, "ca")
    _, other = _ca(d, "other_ca")
    key, csr, cert = (os.path.join(d, n) for n in ("server.key", "server.csr", "server.pem"))
    ext = os.path.join(d, "server.ext")
    with open(ext, "w") as f:
        f.write(_SAN + "\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                "extendedKeyUsage=serverAuth\n")
    _run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    _run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
         "-out", cert, "-days", "2", "-extfile", ext)
    return {"ca": ca, "cert": cert, "key": key, "other_ca": other, "dir": d}
