"""cleanDir: the rules of clean_dir.conf on a real folder tree (ages set with os.utime)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from helpers import REPO

from pxstats.actions import clean_dir

NOW = int(time.time())


def put(path: Path, age: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    os.utime(path, (NOW - age, NOW - age))
    return path


def test_rules_ages_patterns_recursion_and_links(tmp_path):
    top = tmp_path / "others"
    old_png = put(top / "a.png", 3 * 86400)
    new_png = put(top / "b.png", 3600)
    old_txt = put(top / "c.txt", 3 * 86400)
    deep = put(top / "rrd" / "client" / "d.png", 3 * 86400)
    outside = put(tmp_path / "keep" / "e.png", 9 * 86400)
    os.symlink(tmp_path / "keep", top / "link-to-folder")  # never followed
    os.symlink(outside, top / "link.png")  # a link to an old file: the link goes
    minutes = put(tmp_path / "tmp" / "f.tmp", 20 * 60)
    seconds = put(tmp_path / "tmp" / "g.tmp", 5)
    conf = tmp_path / "clean_dir.conf"
    conf.write_text(
        "LOGFILE cleaner.log\n\n"
        f"{top}  *.png  2  yes\n"
        f"{tmp_path / 'tmp'}  *.tmp  15:m  no\n"
        f"{tmp_path / 'missing'}  *  1:d  no\n"
        f"{top}  *  1:w  no\n"
    )
    report = clean_dir.clean(conf, tmp_path / "logs", now=NOW)
    assert sorted(report.deleted) == sorted([old_png, deep, top / "link.png", minutes])
    assert not old_png.exists() and not deep.exists() and not minutes.exists()
    assert new_png.exists() and old_txt.exists() and seconds.exists() and outside.exists()
    assert (top / "rrd" / "client").is_dir()  # folders stay
    assert len(report.errors) == 2
    assert "line 6: bad age '1:w'" in report.errors[0]
    assert "missing: no such folder" in report.errors[1]
    log = (tmp_path / "logs" / "cleaner.log").read_text()
    assert "*.png  2  yes: 3 file(s) deleted" in log and "15:m  no: 1 file(s) deleted" in log
    assert log.rstrip().endswith("end")


def test_command_dry_run_deletes_nothing_and_exit_statuses(tmp_path):
    target = put(tmp_path / "g" / "old.png", 5 * 86400)
    conf = tmp_path / "etc" / "clean_dir.conf"
    conf.parent.mkdir()
    conf.write_text(f"{tmp_path / 'g'} *.png 1 no\n")
    shim = str(REPO / "bin" / "clean_dir")
    done = subprocess.run([shim, "--root", str(tmp_path), "-n"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == f"would delete {target}\n"
    assert target.exists()
    done = subprocess.run([shim, "--root", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0 and not target.exists()
    done = subprocess.run(
        [shim, "--root", str(tmp_path), str(tmp_path / "nope")], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.startswith("clean_dir: error: cannot read ")
