"""A real installation (issue 10 items 4-7): where the root comes from, the bin/ shims cron
runs, `pip install` and `make install` outside the checkout, the manual pages (groff without
a warning), a missing rrdtool. Real pip, sh, make, groff and man; no mocks.

Long because it follows one installation end to end; each item has its own section below.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers import REPO, T, make_client

from pxstats import paths as pxpaths
from pxstats.cli import generateRRDGraphics
from pxstats.paths import RootError, root_from

CRON_ENV = {"PATH": "/usr/bin:/bin"}
SAMPLE = [
    "--hours",
    "2",
    "--end",
    "2026-12-04 10:00:00",
    "--machines",
    "m1",
    "--clients",
    "c1",
    "--sources",
    "s1",
    "--rate",
    "60",
]
UPDATE = ["-m", "m1", "-d", "2026-12-04 10:00:00"]
PICKLE = Path("data/pickles/c1/20261204/tx/m1_09")


def console_scripts() -> dict[str, str]:
    with open(REPO / "pyproject.toml", "rb") as stream:
        return tomllib.load(stream)["project"]["scripts"]


def make_shims_module():
    loader = importlib.machinery.SourceFileLoader("make_shims", str(REPO / "scripts/make-shims"))
    spec = importlib.util.spec_from_loader("make_shims", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def run(argv, env=None, cwd=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in argv],
        env=env if env is not None else CRON_ENV,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# -- item 4: the root ---------------------------------------------------------------------------


@pytest.fixture
def conf(tmp_path):
    """A pxStats.conf named by $PXSTATS_CONF, so the host's /etc/pxStats is never read."""
    path = tmp_path / "pxStats.conf"
    path.write_text("# no STATSROOT here\nPXROOT=/apps/px/\n")
    return path


def test_root_option_then_variable_then_conf_then_checkout(tmp_path, conf):
    environ = {"PXSTATS_ROOT": "/from/variable", "PXSTATS_CONF": str(conf)}
    assert root_from("/from/option", environ) == Path("/from/option")
    assert root_from(None, environ) == Path("/from/variable")
    del environ["PXSTATS_ROOT"]
    assert root_from(None, environ) == REPO  # tests run from the checkout
    for line in (
        "STATSROOT=/from/conf/",
        'export STATSROOT = "/from/conf/"',
        "  STATSROOT='/from/conf/'  ",
    ):
        conf.write_text(f"# STATSROOT=/commented\nPXROOT=/apps/px/\n{line}\n")
        assert root_from(None, environ) == Path("/from/conf"), line


@pytest.mark.parametrize(
    "option, environ, message",
    [
        ("", {}, "--root is empty: give --root DIR, set PXSTATS_ROOT=DIR"),
        ("  ", {}, "--root is empty"),
        (None, {"PXSTATS_ROOT": ""}, "PXSTATS_ROOT is empty: give --root DIR"),
        (None, {"PXSTATS_CONF": ""}, "PXSTATS_CONF is empty"),
        (
            None,
            {"PXSTATS_CONF": "/nonexistent/pxStats.conf"},
            "PXSTATS_CONF=/nonexistent/pxStats.conf: no such file",
        ),
    ],
)
def test_empty_or_missing_root_settings_are_refused(option, environ, message):
    with pytest.raises(RootError, match=re.escape(message)):
        root_from(option, environ)


def test_relative_statsroot_is_refused(conf):
    conf.write_text("STATSROOT=apps/px/pxStats\n")
    with pytest.raises(RootError, match=r"STATSROOT must be an absolute path, got 'apps/px/pxS"):
        root_from(None, {"PXSTATS_CONF": str(conf)})


def test_checkout_root_only_for_a_source_checkout(tmp_path):
    checkout = tmp_path / "clone"
    package = checkout / "pxstats"
    package.mkdir(parents=True)
    assert pxpaths.checkout_root(package) is None  # no pyproject.toml
    (checkout / "pyproject.toml").write_text("[project]\n")
    assert pxpaths.checkout_root(package) is None  # neither .git nor bin/
    (checkout / "bin").mkdir()
    assert pxpaths.checkout_root(package) == checkout
    installed = tmp_path / "venv/lib/python3.11/site-packages"
    (installed / "pxstats").mkdir(parents=True)
    (installed / "pyproject.toml").write_text("[project]\n")  # even a stray one
    (installed / "bin").mkdir()
    assert pxpaths.checkout_root(installed / "pxstats") is None


# -- item 5: the bin/ shims ---------------------------------------------------------------------


def test_every_console_script_has_its_generated_shim():
    make_shims = make_shims_module()
    scripts = console_scripts()
    assert make_shims.scripts() == scripts
    for name, target in scripts.items():
        shim = REPO / "bin" / name
        assert shim.is_file(), f"bin/{name} missing: run scripts/make-shims"
        assert shim.read_text() == make_shims.shim(name, target), f"bin/{name}: run make-shims"
        assert os.access(shim, os.X_OK), name


def test_every_shim_runs_help_under_cron_environment(tmp_path):
    def help_of(name):
        return name, run([REPO / "bin" / name, "--help"], cwd=tmp_path, timeout=60)

    with ThreadPoolExecutor(4) as pool:
        for name, done in pool.map(help_of, sorted(console_scripts())):
            assert done.returncode == 0, (name, done.stderr)
            assert done.stdout.startswith(f"usage: {name} "), (name, done.stdout[:80])
            assert done.stderr == "", name


def test_shim_runs_a_real_command_under_env_i_through_a_symlink(tmp_path):
    root, links = tmp_path / "root", tmp_path / "cronbin"
    root.mkdir()  # a root must exist (a typo makes none)
    links.mkdir()
    for name in ("generateSampleLogs", "pickleUpdater"):
        (links / name).symlink_to(REPO / "bin" / name)  # e.g. ~/bin/pickleUpdater -> clone
    done = run([links / "generateSampleLogs", "--root", root, *SAMPLE], cwd="/")
    assert done.returncode == 0, done.stderr
    done = run([REPO / "bin/pickleUpdater", "--root", root, *UPDATE], cwd="/")
    assert done.returncode == 0, done.stderr
    assert (root / PICKLE).is_file()
    assert (root / "data/picklesTimeOfUpdates/tx_c1_m1").read_text() == (
        "S'2026-12-04 10:00:00'\np0\n."
    )  # the original's protocol-0 pickle
    done = run(
        [
            "sh",
            "-c",
            f"cd {tmp_path} && PATH=/nonexistent exec cronbin/pickleUpdater "
            f"--root {root} -m m1 -d '2026-12-04 11:00:00'",
        ],
        env={},
    )
    assert done.returncode == 0, done.stderr  # relative path, useless PATH
    assert (root / PICKLE.with_name("m1_10")).is_file()


def test_shim_without_the_checkout_venv_says_so_in_one_line(tmp_path):
    (tmp_path / "bin").mkdir()
    shutil.copy2(REPO / "bin/pickleUpdater", tmp_path / "bin/pickleUpdater")
    done = run([tmp_path / "bin/pickleUpdater", "--help"])
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        f"pickleUpdater: error: no Python environment in {tmp_path}/.venv: "
        f"run 'make setup' in {tmp_path}\n"
    )


# -- item 6: pip install / make install outside the checkout -----------------------------------


def copy_checkout(destination: Path) -> Path:
    """The working tree as a user's clone has it (no venv, data, caches, build output)."""
    ignored = shutil.ignore_patterns(
        ".git",
        ".venv",
        "data",
        "demo-root",
        "build",
        "*.egg-info",
        "__pycache__",
        ".pytest_cache",
        ".hypothesis",
        "out",
    )
    shutil.copytree(REPO, destination, ignore=ignored)
    return destination


def fresh_venv(folder: Path) -> Path:
    """A new venv whose own site-packages is empty; the dependencies (numpy, rrdtool, ...)
    come from the project's venv through a .pth line, so pip resolves them offline."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=60
    )
    site = Path(sysconfig.get_path("purelib", vars={"base": str(folder)}))
    (site / "project-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return folder


def pip_install(venv: Path, source: Path) -> None:
    done = run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            venv / "bin/python",
            "install",
            "-q",
            "--disable-pip-version-check",
            source,
        ],
        env=dict(os.environ),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("install")
    source = copy_checkout(base / "clone")
    venv = fresh_venv(base / "venv")
    pip_install(venv, source)
    source.rename(base / "moved")  # the installation must not need the clone
    return venv


def test_pip_install_outside_the_checkout_runs_with_and_without_a_root(installed, tmp_path):
    site = Path(sysconfig.get_path("purelib", vars={"base": str(installed)}))
    assert (site / "pxstats/paths.py").is_file()
    assert not (site / "pxstats/paths.py").resolve().is_relative_to(REPO)
    conf = tmp_path / "pxStats.conf"
    conf.write_text("# nothing yet\n")
    env = {**CRON_ENV, "PXSTATS_CONF": str(conf)}
    # Without a root: one line, status 2, nothing written anywhere (the old root was site-packages).
    done = run([installed / "bin/pickleUpdater", *UPDATE], env=env, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "pickleUpdater: error: no pxStats root: give --root DIR, set "
        "PXSTATS_ROOT=DIR, or write STATSROOT=DIR in /etc/pxStats/pxStats.conf"
        " (or in the file named by $PXSTATS_CONF)\n"
    )
    assert not (site / "data").exists() and not (installed / "data").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pxStats.conf"]
    # With --root.
    root = tmp_path / "root"
    root.mkdir()  # a root must exist (a typo makes none)
    for argv in (["generateSampleLogs", *SAMPLE], ["pickleUpdater", *UPDATE]):
        done = run([installed / "bin" / argv[0], "--root", root, *argv[1:]], env=env)
        assert done.returncode == 0, done.stderr
    assert (root / PICKLE).is_file()
    # With STATSROOT in the conf file (the original's convention) and with $PXSTATS_ROOT.
    for other, extra in ((tmp_path / "conf-root", {}), (tmp_path / "env-root", "variable")):
        other.mkdir()
        if extra:
            extra = {"PXSTATS_ROOT": str(other)}
        else:
            conf.write_text(f"STATSROOT={other}/\n")
        for argv in (["generateSampleLogs", *SAMPLE], ["pickleUpdater", *UPDATE]):
            done = run([installed / "bin" / argv[0], *argv[1:]], env={**env, **extra})
            assert done.returncode == 0, done.stderr
        assert (other / PICKLE).is_file()
    assert not (site / "data").exists()


def test_pip_install_ships_manual_pages_and_samples(installed):
    share, clone = installed / "share", installed.parent / "moved"
    pages = sorted(clone.glob("man/man[157]/*.[157]"))
    assert len(pages) > 20 and clone / "man/man5/pxstats.5" in pages
    for page in pages:
        installed_page = share / "man" / page.parent.name / page.name
        assert installed_page.read_bytes() == page.read_bytes(), page.name
    for sample in clone.glob("etc/*.sample"):
        assert (share / "pxstats/etc" / sample.name).read_bytes() == sample.read_bytes()
    # man-db derives <venv>/share/man from <venv>/bin on PATH.
    env = {"PATH": f"{installed}/bin:/usr/bin:/bin"}
    done = run(["man", "-w", "pickleUpdater", "5", "pxstats", "7", "pxstats"], env=env)
    assert done.stdout.split() == [
        f"{share}/man/man1/pickleUpdater.1",
        f"{share}/man/man5/pxstats.5",
        f"{share}/man/man7/pxstats.7",
    ]


def test_make_install_prefix(tmp_path):
    source = copy_checkout(tmp_path / "clone")
    prefix = tmp_path / "opt"
    fresh_venv(prefix / "lib/pxstats")  # make install keeps an existing venv
    pip = f"{sys.executable} -m pip --python {prefix}/lib/pxstats/bin/python"
    done = run(
        ["make", "-C", source, "install", f"PREFIX={prefix}", f"PIP={pip}"],
        env=dict(os.environ),
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    shutil.rmtree(source)
    for name in console_scripts():
        assert (prefix / "bin" / name).resolve() == prefix / "lib/pxstats/bin" / name, name
    done = run([prefix / "bin/pickleViewer", "--help"])
    assert done.returncode == 0 and done.stdout.startswith("usage: pickleViewer")
    env = {"PATH": f"{prefix}/bin:/usr/bin:/bin"}
    done = run(["man", "-w", "setTimeOfLastUpdates", "pxstats.5", "pxstats.7"], env=env)
    assert done.stdout.split() == [
        f"{prefix}/share/man/man1/setTimeOfLastUpdates.1",
        f"{prefix}/share/man/man5/pxstats.5",
        f"{prefix}/share/man/man7/pxstats.7",
    ]
    assert sorted(p.name for p in (prefix / "share/pxstats/etc").iterdir()) == sorted(
        p.name for p in REPO.glob("etc/*.sample")
    )


# -- item 6: the manual pages -------------------------------------------------------------------


def all_pages() -> list[Path]:
    return sorted(REPO.glob("man/man[157]/*.[157]"))


@pytest.mark.parametrize("page", all_pages(), ids=lambda p: p.name)
def test_manual_page_renders_without_a_warning(page):
    relative = page.relative_to(REPO / "man")  # `.so man1/...` is relative to man/
    done = run(
        ["groff", "-man", "-Tutf8", "-ww", "-z", relative],
        cwd=REPO / "man",
        env={**CRON_ENV, "LC_ALL": "C.UTF-8"},
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    for width in ("80", "65"):
        done = run(
            ["man", "--warnings", "-l", relative],
            cwd=REPO / "man",
            env={**CRON_ENV, "MANWIDTH": width, "LC_ALL": "C.UTF-8"},
        )
        assert done.returncode == 0 and done.stderr == "", (width, done.stderr)
        assert len(done.stdout) > 200


@pytest.mark.parametrize("page", sorted(REPO.glob("man/man1/*.1")), ids=lambda p: p.name)
def test_every_command_page_has_an_environment_section(page):
    text = page.read_text()
    if text.startswith(".so "):
        return
    section = text.split("\n.SH ENVIRONMENT\n")[1].split("\n.SH ")[0]
    for word in ("PXSTATS_ROOT", "PXSTATS_CONF", "STATSROOT", "TZ", "UTC"):
        assert word in section, word
    assert text.index("\n.SH ENVIRONMENT\n") > text.index("\n.SH OPTIONS\n")


def sample_keys() -> set[str]:
    keys = set()
    for sample in ("config", "monitoringConf"):
        text = (REPO / "etc" / f"{sample}.sample").read_text()
        section = None
        for line in text.splitlines():
            if line.startswith("["):
                section = line.strip("[]")
            elif section != "specialGroups" and re.match(r"\w+\s*[=:]", line):
                keys.add(re.match(r"\w+", line)[0])
    return keys


def test_pxstats_5_documents_every_key_of_the_samples():
    page = (REPO / "man/man5/pxstats.5").read_text()
    keys = sample_keys()
    assert {
        "sourceMachinesTags",
        "pxRoot",
        "totalWebPagesUpdatesFrequency",
        "maxSettingsFile",
    } <= keys
    for key in sorted(keys):
        assert f"\\fB{key}\\fR" in page, key
    for word in (
        "generalConfig",
        "timeConfig",
        "specialGroups",
        "statsMonitoring",
        "configForMachines",
        "monitoringConf",
        "clean_dir.conf",
        "LOGFILE",
    ):
        assert word in page, word


def test_pxstats_7_describes_the_pipeline_and_crontab():
    page = (REPO / "man/man7/pxstats.7").read_text()
    for section in ("PIPELINE", "DATA LAYOUT", "CRONTAB", "ENVIRONMENT", "SEE ALSO"):
        assert f'\n.SH "{section}"\n' in page or f"\n.SH {section}\n" in page, section
    for command in (
        "pickleUpdater",
        "transferPickleToRRD",
        "generateRRDGraphics",
        "generateWebPages",
        "statsMonitor",
        "backupRRDDatabases",
        "pickleCleaner",
    ):
        assert f"\\fB{command}\\fR(1)" in page, command


# -- item 7: rrdtool missing ----------------------------------------------------------------------


def test_missing_rrdtool_names_its_debian_package(tmp_path, monkeypatch, capsys):
    paths = pxpaths.StatsPaths(tmp_path)
    make_client(
        paths,
        "satnet",
        ["pds5"],
        T("2006-10-14 00:00:00"),
        1440,
        time_of_update=T("2006-10-15 00:00:00"),
        types=["latency"],
    )
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no rrdtool on PATH
    status = generateRRDGraphics.main(
        [
            "--root",
            str(tmp_path),
            "-d",
            "--date",
            "2006-10-15 00:00:00",
            "-c",
            "satnet",
            "-f",
            "tx",
            "--machines",
            "pds5",
            "-t",
            "latency",
        ]
    )
    err = capsys.readouterr().err
    assert status != 0
    assert (
        "cannot run rrdtool: not installed (Debian package rrdtool: apt-get install rrdtool)" in err
    ), err
    assert "No such file or directory" not in err
    assert not list((tmp_path / "data").rglob("*.png"))
