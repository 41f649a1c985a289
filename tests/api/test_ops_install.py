"""Running sessiond as a service (docs/OPERATIONS.md "Install"): `make install` with PREFIX and
DESTDIR lays out the programs, man pages, systemd unit, sysusers.d entry, settings file, bash
completion and guide; the man pages name every flag of `--help`; the unit passes
`systemd-analyze verify` and is hardened; `make deb` builds a package that dpkg can read."""
import os
import re
import shutil
import stat
import subprocess
import tempfile

import pytest

from conftest import REPO, SESSIOND_BIN, missing

SESSIONCTL_BIN = os.environ.get("SESSIONCTL_BIN") or os.path.join(os.path.dirname(SESSIOND_BIN), "sessionctl")
BUILD_DIR = os.path.dirname(os.path.abspath(SESSIOND_BIN))

INSTALLED = {  # path under PREFIX (or /etc) -> mode
    "bin/sessiond": 0o755,
    "bin/sessionctl": 0o755,
    "share/man/man8/sessiond.8": 0o644,
    "share/man/man1/sessionctl.1": 0o644,
    "lib/systemd/system/sessiond.service": 0o644,
    "lib/sysusers.d/sessiond.conf": 0o644,
    "share/bash-completion/completions/sessionctl": 0o644,
    "share/doc/sessiond/OPERATIONS.md": 0o644,
    "share/doc/sessiond/README.md": 0o644,
}


def make(*args, timeout=600):
    """`make ARGS` in the repository, with the build directory of the binaries under test."""
    build = os.path.relpath(BUILD_DIR, REPO)
    cmd = ["make", "-s", "BUILD=" + build] + (["SAN=1"] if build == "build-san" else []) + list(args)
    p = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, "%s\n%s\n%s" % (" ".join(cmd), p.stdout[-2000:], p.stderr[-3000:])
    return p


@pytest.fixture
def tree():
    d = tempfile.mkdtemp(prefix="sessiond-install-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def files_under(root):
    out = {}
    for base, _, names in os.walk(root):
        for n in names:
            p = os.path.join(base, n)
            out[os.path.relpath(p, root)] = stat.S_IMODE(os.lstat(p).st_mode)
    return out


def unit_of(root, prefix):
    with open(os.path.join(root, prefix.lstrip("/"), "lib/systemd/system/sessiond.service")) as f:
        return f.read()


def test_make_install_lays_out_the_tree(tree):
    make("install", "DESTDIR=" + tree)
    got = files_under(tree)
    want = {os.path.join("usr/local", k): v for k, v in INSTALLED.items()}
    want["etc/default/sessiond"] = 0o644
    assert got == want
    out = subprocess.run([os.path.join(tree, "usr/local/bin/sessiond"), "--version"], capture_output=True,
                         text=True, timeout=10).stdout
    assert re.match(r"^sessiond \d+\.\d+\.\d+\n$", out), out
    unit = unit_of(tree, "/usr/local")
    assert "\nExecStart=/usr/local/bin/sessiond\n" in unit
    assert "\nEnvironmentFile=-/etc/default/sessiond\n" in unit
    # an operator's settings survive a reinstall; PREFIX moves everything else
    with open(os.path.join(tree, "etc/default/sessiond"), "a") as f:
        f.write("SESSIOND_LISTEN=0.0.0.0:9419\n")
    make("install", "DESTDIR=" + tree, "PREFIX=/usr")
    assert "SESSIOND_LISTEN=0.0.0.0:9419" in open(os.path.join(tree, "etc/default/sessiond")).read()
    assert "\nExecStart=/usr/bin/sessiond\n" in unit_of(tree, "/usr")
    assert os.access(os.path.join(tree, "usr/bin/sessionctl"), os.X_OK)


def help_flags(text):
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", text))


def rendered(page):
    """The man page as text, with groff's warnings (-ww) failing the test."""
    p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-rLL=2000n", "-rHY=0", page], capture_output=True,
                       timeout=30)
    assert p.returncode == 0 and not p.stderr, p.stderr.decode()
    text = re.sub(r".\x08", "", p.stdout.decode())   # overstrike bold/underline
    return text.replace("\u2010", "-").replace("\u2212", "-")


def test_man_pages_name_every_flag_of_help():
    if not shutil.which("groff"):
        missing("groff is missing (man-db depends on it): cannot render the man pages")
    page = rendered(os.path.join(REPO, "man/sessiond.8"))
    flags = help_flags(subprocess.run([SESSIOND_BIN, "--help"], capture_output=True, text=True).stdout)
    assert len(flags) > 25
    assert sorted(f for f in flags if f not in page) == []
    for cmd in ("user add", "user passwd", "user role", "user del", "user list", "key add", "key list",
                "key del", "catalog", "SIGHUP"):
        assert cmd in page, cmd
    page = rendered(os.path.join(REPO, "man/sessionctl.1"))
    top = subprocess.run([SESSIONCTL_BIN, "--help"], capture_output=True, text=True).stdout
    flags = help_flags(top)
    commands = re.findall(r"^  ([a-z]+)\s{2,}", top.split("commands:")[1].split("options:")[0], re.M)
    assert len(commands) >= 10
    for c in commands:
        assert re.search(r"\b%s\b" % c, page), c
        flags |= help_flags(subprocess.run([SESSIONCTL_BIN, c, "--help"], capture_output=True, text=True).stdout)
    assert sorted(f for f in flags if f not in page) == []


def verify_unit(unit_path, root, bindir):
    """systemd-analyze verify on a copy of the unit whose ExecStart names the binary in root
    (verify checks that it exists) and with the installed man pages on MANPATH (Documentation=)."""
    if not shutil.which("systemd-analyze"):
        missing("systemd-analyze is missing: install the systemd package (scripts/deps)")
    check = os.path.join(root, "verify")
    os.makedirs(check, exist_ok=True)
    text = open(unit_path).read().replace("ExecStart=%s/" % bindir, "ExecStart=%s%s/" % (root, bindir))
    with open(os.path.join(check, "sessiond.service"), "w") as f:
        f.write(text)
    man = [os.path.join(root, p) for p in ("usr/local/share/man", "usr/share/man") if os.path.isdir(os.path.join(root, p))]
    p = subprocess.run(["systemd-analyze", "verify", os.path.join(check, "sessiond.service")], capture_output=True,
                       text=True, timeout=60, env=dict(os.environ, MANPATH=":".join(man)))
    assert p.returncode == 0 and not p.stderr.strip(), p.stdout + p.stderr
    return text


def test_unit_passes_systemd_analyze_verify_and_is_hardened(tree):
    make("install", "DESTDIR=" + tree)
    text = verify_unit(os.path.join(tree, "usr/local/lib/systemd/system/sessiond.service"), tree, "/usr/local/bin")
    settings = dict(l.split("=", 1) for l in text.splitlines() if "=" in l and not l.startswith("#"))
    for k, v in {"User": "sessiond", "StateDirectory": "sessiond", "ProtectSystem": "strict",
                 "NoNewPrivileges": "yes", "PrivateTmp": "yes", "ProtectHome": "yes", "UMask": "0077",
                 "CapabilityBoundingSet": "", "ExecReload": "/bin/kill -HUP $MAINPID"}.items():
        assert settings.get(k) == v, (k, settings.get(k))
    assert "SESSIOND_DB=/var/lib/sessiond/sessiond.db" in settings["Environment"]
    sysusers = open(os.path.join(tree, "usr/local/lib/sysusers.d/sessiond.conf")).read()
    assert re.search(r"^u sessiond - .* /var/lib/sessiond$", sysusers, re.M), sysusers
    # a broken unit fails the same check: the test can fail
    bad = os.path.join(tree, "usr/local/lib/systemd/system/sessiond.service")
    with open(bad, "a") as f:
        f.write("ProtectSystem=sideways\n")
    with pytest.raises(AssertionError):
        verify_unit(bad, tree, "/usr/local/bin")


def test_make_deb_builds_a_package_dpkg_lists(tree):
    for tool in ("dpkg-deb", "dpkg"):
        if not shutil.which(tool):
            missing(tool + " is missing")
    version = subprocess.run([SESSIOND_BIN, "--version"], capture_output=True, text=True).stdout.split()[1]
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
    make("deb")
    deb = os.path.join(BUILD_DIR, "sessiond_%s_%s.deb" % (version, arch))
    listing = subprocess.run(["dpkg", "-c", deb], capture_output=True, text=True, timeout=30)
    assert listing.returncode == 0, listing.stderr
    entries = {l.split()[-1].lstrip(".") : l.split()[0] for l in listing.stdout.splitlines()}
    for path in ("/usr/bin/sessiond", "/usr/bin/sessionctl", "/lib/systemd/system/sessiond.service",
                 "/usr/lib/sysusers.d/sessiond.conf", "/usr/share/man/man8/sessiond.8.gz",
                 "/usr/share/man/man1/sessionctl.1.gz", "/etc/default/sessiond",
                 "/usr/share/bash-completion/completions/sessionctl", "/usr/share/doc/sessiond/OPERATIONS.md"):
        assert path in entries, (path, sorted(entries))
    assert entries["/usr/bin/sessiond"] == "-rwxr-xr-x"
    assert all(" root/root " in l for l in listing.stdout.splitlines())

    def field(name):
        return subprocess.run(["dpkg-deb", "-f", deb, name], capture_output=True, text=True).stdout.strip()
    assert field("Package") == "sessiond" and field("Version") == version and field("Architecture") == arch
    assert "libmicrohttpd12" in field("Depends")
    ctl = os.path.join(tree, "control")
    subprocess.run(["dpkg-deb", "-e", deb, ctl], check=True)
    assert open(os.path.join(ctl, "conffiles")).read().split() == ["/etc/default/sessiond"]
    postinst = open(os.path.join(ctl, "postinst")).read()
    assert "systemd-sysusers sessiond.conf" in postinst and "adduser --system" in postinst
    for script in ("postinst", "prerm", "postrm"):
        assert subprocess.run(["sh", "-n", os.path.join(ctl, script)]).returncode == 0, script
    # the packaged unit names /usr/bin and passes the same check
    root = os.path.join(tree, "root")
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    verify_unit(os.path.join(root, "lib/systemd/system/sessiond.service"), root, "/usr/bin")
    out = subprocess.run([os.path.join(root, "usr/bin/sessiond"), "--version"], capture_output=True, text=True)
    assert out.stdout.split()[1] == version
