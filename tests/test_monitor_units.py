"""statsMonitor's parts and hostile inputs on small hand-built roots: maxSettings.conf,
the error log (streamed), the report's subject, the window, a malformed monitoringConf,
names with shell metacharacters."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from pxstats.actions import monitor
from pxstats.monitor import checks, columbo, state
from pxstats.monitor.report import Report, Section
from pxstats.paths import StatsPaths
from pxstats.util import timeutil

T = timeutil.parse_iso
REPO = Path(__file__).resolve().parent.parent
SPEC_EXAMPLE = (
    "# maxSettings.conf\nPX_CIRCUITS\nDEFAULT 30\nPX_TIMERS\nDEFAULT 60\nsatnet* 30\n"
    "amis 120\nPX_GRAPHS\nDEFAULT 10\n"
)


def make_root(tmp_path, **changes) -> StatsPaths:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "data" / "monitoring").mkdir(parents=True)
    keys = {
        "sender": "a@example.com",
        "smtpServer": "127.0.0.1:1",
        "emails": "b@example.com",
        "machines": "m1",
        "files": f"{root}/code",
        "folders": f"{root}",
        "maxUsages": "100",
        "errorsLogFile": f"{root}/data/monitoring/PX_Errors.txt",
        "maxSettingsFile": f"{root}/data/monitoring/maxSettings.conf",
    }
    keys.update(changes)
    (root / "etc" / "monitoringConf").write_text(
        "[statsMonitoring]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())
    )
    (root / "data" / "monitoring" / "maxSettings.conf").write_text(SPEC_EXAMPLE)
    return StatsPaths(root)


def run(paths, end: str, **changes) -> monitor.Outcome:
    values = {"end": T(end), "send_mail": False, "crontab_command": ("true",)}
    values.update(changes)
    return monitor.run(paths, monitor.Request(**values))


# -- maxSettings.conf -----------------------------------------------------------------------------


def test_max_settings_of_the_spec_example():
    settings = columbo.parse_max_settings(SPEC_EXAMPLE)
    assert settings.limits_for("PX_TIMERS", ["satnet-ice", "amis", "other"]) == {
        "satnet-ice": 30,
        "amis": 120,
        "other": 60,
    }
    assert settings.limits_for("PX_GRAPHS", ["amis"]) == {"amis": 10}
    assert settings.garbage == 0


def test_max_settings_with_garbage_lines():
    text = (
        "garbage before any section\nPX_TIMERS\nDEFAULT 60\n\x00\xff binary\n"
        "a.b.c 5\n   \nno number here\nPX_CIRCUITS\nDEFAULT 1\nPX_GRAPHS\nDEFAULT 2\n"
    )
    settings = columbo.parse_max_settings(text)
    assert settings.garbage == 3
    # A literal dot stays a dot (the original deleted it from the pattern).
    assert settings.limits_for("PX_TIMERS", ["a.b.c", "aXbXc"]) == {"a.b.c": 5, "aXbXc": 60}


def test_max_settings_without_a_default_disables_the_gap_check(tmp_path):
    with pytest.raises(columbo.MaxSettingsError, match="PX_TIMERS"):
        columbo.parse_max_settings("PX_CIRCUITS\nDEFAULT 30\nPX_TIMERS\nPX_GRAPHS\nDEFAULT 10\n")
    paths = make_root(tmp_path)
    (paths.data / "monitoring" / "maxSettings.conf").write_text("PX_TIMERS\nsatnet 5\n")
    outcome = run(paths, "2008-05-05 14:00:00")
    assert "gaps" not in [s.check for s in outcome.report.sections]
    assert "latency" not in [s.check for s in outcome.report.sections]


# -- the error log --------------------------------------------------------------------------------


def write_log(path: Path, lines) -> None:
    path.write_text("".join(line + "\n" for line in lines))


def test_gaps_explained_by_the_error_log(tmp_path):
    base = tmp_path / "PX_Errors.txt"
    write_log(
        base.with_name("PX_Errors.txt.10"),
        ["2008-05-05 09:58:00,000 c: old rotation, before the window"],
    )
    write_log(
        base.with_name("PX_Errors.txt.2"),
        ["2008-05-05 10:02:00,123 c: transmission failed", "short", "", "x y"],
    )
    write_log(
        base,
        [
            "2008-05-05 12:29:00,000 c: outdated since NOT FOUND",
            "2008-05-05 12:31:00,000 d: outdated : last transmission on 2008-05-05 09:00:00",
            "2008-05-05 12:31:00,000 e: outdated : last transmission on 2008-05-05 08:00:00",
            "2008-05-05 12:32:00,000 e: transmission failed",
        ],
    )
    log = columbo.ErrorLog(base, ["c", "d", "e"], T("2008-05-05 10:00:00"))
    assert [p.name for p in log.files] == ["PX_Errors.txt.10", "PX_Errors.txt.2", "PX_Errors.txt"]
    assert log.skipped == 3
    assert len(log.lines["c"]) == 2  # the line before the window is not kept
    assert log.explains("c", T("2008-05-05 10:00:00"), T("2008-05-05 12:30:00"))
    assert not log.explains("c", T("2008-05-05 10:00:00"), T("2008-05-05 12:40:00"))
    assert not log.explains("c", T("2008-05-05 10:00:00"), T("2008-05-05 11:00:00"))
    # d: the outdated line gives the last transmission, 5 minutes from the start at most
    assert log.explains("d", T("2008-05-05 09:04:00"), T("2008-05-05 12:30:00"))
    assert not log.explains("d", T("2008-05-05 09:06:00"), T("2008-05-05 12:30:00"))
    assert not log.explains("e", T("2008-05-05 10:00:00"), T("2008-05-05 12:30:00"))


def test_a_huge_error_log_is_streamed_in_bounded_memory(tmp_path):
    """10 million short lines (about 300 MB): lines of the client before the window and lines
    of other clients in it. The monitor's peak memory grows by far less than the file."""

    def peak(paths) -> tuple[int, str]:
        script = (
            "import resource, sys\n"
            "from pxstats.actions import monitor\nfrom pxstats.paths import StatsPaths\n"
            "from pxstats.util import timeutil\nfrom pxstats.monitor import columbo\n"
            "read = []\n"
            "class Counted(columbo.ErrorLog):\n"
            "    def __init__(self, *args):\n"
            "        super().__init__(*args)\n"
            "        read.append(self.read)\n"
            "columbo.ErrorLog = Counted\n"
            f"o = monitor.run(StatsPaths({str(paths.root)!r}), monitor.Request("
            "end=timeutil.parse_iso('2008-05-05 14:00:00'), send_mail=False, "
            "crontab_command=('true',)))\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, read[0])\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=REPO,
        )
        kilobytes, lines = done.stdout.split()
        return int(kilobytes), int(lines)

    small = make_root(tmp_path / "small")
    big = make_root(tmp_path / "big")
    for paths in (small, big):
        names = paths.px_config_copies / "tx" / "m1"
        names.mkdir(parents=True)
        (names / "c1.conf").write_text("")
    old = "2008-05-01 10:00:00,000 c1: failed\n"
    other = "2008-05-05 10:00:00,000 c7: failed\n"
    block = (old * 500 + other * 500).encode()
    with open(big.data / "monitoring" / "PX_Errors.txt", "wb") as handle:
        handle.writelines(block for _ in range(10_000))
    size_mb = (big.data / "monitoring" / "PX_Errors.txt").stat().st_size / 2**20
    base, none = peak(small)
    used, lines = peak(big)
    assert (none, lines) == (0, 10_000_000)
    assert size_mb > 300
    assert (used - base) / 1024 < 20, (base, used)


# -- the report -----------------------------------------------------------------------------------


def report_with(*sections) -> Report:
    return Report(
        "en",
        "2008-05-05 14:00:00",
        "2008-05-05 00:00:00",
        "host",
        "conf",
        "doc/",
        sections=list(sections),
    )


def test_subject_classification():
    crontab = Section("crontab", problems=True, values={"modified": True})
    assert report_with(crontab).subject() == "[Stats Library Monitoring] host with warnings."
    assert report_with(Section("disk", ["x"]), Section("gaps", ["y"])).subject() == (
        "[Stats Library Monitoring] host with disk usage errors,data gaps errors."
    )
    assert report_with(Section("disk"), Section("gaps")).subject() == (
        "[Stats Library Monitoring] host with no warnings."
    )
    assert report_with(Section("disk"), Section("pickles", ["p"])).status == 1
    assert report_with(Section("reach", ["r"])).status == 2


def test_every_detail_line_ends_with_a_newline():
    section = Section("checksums", ["/a could not be found.", "/b could not be found."])
    assert "/a could not be found.\n/b could not be found.\n" in section.text("en")


def test_disk_threshold_is_strictly_greater(tmp_path):
    paths = make_root(tmp_path, folders=f"{tmp_path};{tmp_path}/x", maxUsages="70;70")

    def statvfs(path):  # 70 % and 80 %
        used = 80 if str(path).endswith("x") else 70
        return SimpleNamespace(f_blocks=100, f_bfree=100 - used, f_bavail=100 - used, f_frsize=1024)

    outcome = run(paths, "2008-05-05 14:00:00", statvfs=statvfs)
    [disk] = [s for s in outcome.report.sections if s.check == "disk"]
    assert disk.lines == [
        (f"Error : Disk usage for {tmp_path}/x is 80 %.Please investigate cause.")
    ]
    assert (
        checks.usage_percent(SimpleNamespace(f_blocks=1000, f_bfree=0, f_bavail=1, f_frsize=1))
        == 100
    )


# -- the window and the state ---------------------------------------------------------------------


def test_the_window_runs_from_the_previous_report_to_the_hour(tmp_path):
    paths = make_root(tmp_path)
    first = run(paths, "2008-05-05 14:37:12")
    assert "Time of test : 2008-05-05 14:00:00\n" in first.report.text()
    assert "Time of previous test : 2008-05-05 00:00:00\n" in first.report.text()
    assert (paths.data / "monitoring/previousMonitoringJob").read_text() == (
        "2008-05-05 14:00:00\n"
    )
    second = run(paths, "2008-05-05 16:00:00")
    assert "Time of previous test : 2008-05-05 14:00:00\n" in second.report.text()
    assert sorted(p.name for p in state.reports_folder(paths).iterdir()) == [
        "2008-05-05_14:00:00.txt",
        "2008-05-05_16:00:00.txt",
    ]


def test_checksums_first_run_and_missing_paths(tmp_path):
    paths = make_root(tmp_path, files=f"{tmp_path}/root/code;{tmp_path}/nowhere")
    code = paths.root / "code"
    code.mkdir()
    (code / "x.py").write_text("x")
    (code / "y.py").write_text("y")
    (code / "z.txt").write_text("z")
    outcome = run(paths, "2008-05-05 14:00:00")
    [section] = [s for s in outcome.report.sections if s.check == "checksums"]
    assert section.lines == [
        f"{code}/x.py has been added.",
        f"{code}/y.py has been added.",
        f"{tmp_path}/nowhere could not be found.",
    ]
    assert sorted(state.checksums(paths)) == [f"{code}/x.py", f"{code}/y.py"]


@pytest.mark.parametrize(
    "conf, message",
    [
        ({"maxUsages": "65;65"}, "1 folder(s)"),
        ({"sender": ""}, "sender"),
        ({"maxDatabaseAge": "soon"}, "maxDatabaseAge"),
        ({"folders": "relative/path"}, "absolute"),
    ],
)
def test_a_malformed_monitoring_conf_could_not_run(tmp_path, conf, message):
    paths = make_root(tmp_path, **conf)
    outcome = run(paths, "2008-05-05 14:00:00")
    assert outcome.status == 3 and outcome.report is None
    assert message in outcome.error and "\n" not in outcome.error
    assert sorted(p.name for p in (paths.data / "monitoring").iterdir()) == ["maxSettings.conf"]


def test_a_monitoring_conf_that_is_not_ini_and_a_missing_one(tmp_path):
    paths = make_root(tmp_path)
    conf = paths.etc / "monitoringConf"
    conf.write_bytes(b"\xff\xfe garbage without section\n")
    assert "before the first [section]" in run(paths, "2008-05-05 14:00:00").error
    conf.unlink()
    outcome = run(paths, "2008-05-05 14:00:00")
    assert outcome.status == 3 and "monitoringConf: file not found" in outcome.error


def test_names_with_shell_metacharacters_stay_text(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hostile = "x;touch pwned;$(touch pwned2)`touch pwned3`&|<>'\""
    paths = make_root(tmp_path, files=f"{tmp_path}/$(touch pwned4)")
    names = paths.px_config_copies / "tx" / "m1"
    names.mkdir(parents=True)
    (names / f"{hostile}.conf").write_text("")
    outcome = run(paths, "2008-05-05 14:00:00")
    found = {s.check: s.lines for s in outcome.report.sections}
    assert found["pickles"][0] == f"{hostile} had the following files and folders missing : "
    assert f"{tmp_path}/$(touch pwned4) could not be found." in found["checksums"]
    image = hostile.replace(" ", "").replace("'", "")  # as the daily graphics name it
    assert any(
        line.endswith(f"/columbo/{image}_en.png was not found.") for line in found["graphics"]
    )
    assert "&amp;|&lt;&gt;" in outcome.report.html()
    assert not [p for p in tmp_path.rglob("pwned*")]
    assert not os.path.exists("/tmp/pwned")


def test_stats_log_rotations_sort_numerically(tmp_path):
    paths = StatsPaths(tmp_path)
    paths.logs.mkdir(parents=True)
    for suffix in ("", ".1", ".2", ".10", ".9"):
        (paths.logs / f"pickleUpdater.log{suffix}").write_text("")
    assert [p.name for p in checks.program_logs(paths, "pickleUpdater")] == [
        "pickleUpdater.log.10",
        "pickleUpdater.log.9",
        "pickleUpdater.log.2",
        "pickleUpdater.log.1",
        "pickleUpdater.log",
    ]


def test_a_crontab_command_that_does_not_exist(tmp_path):
    paths = make_root(tmp_path)
    outcome = run(
        paths, "2008-05-05 14:00:00", crontab_command=(str(tmp_path / "no-crontab-here"), "-l")
    )
    [section] = [s for s in outcome.report.sections if s.check == "crontab"]
    assert section.lines == [
        f"Warning : the crontab could not be read ({tmp_path}/no-crontab-here: command not found)."
    ]
    assert section.heading("en") == "Crontab entries were not modified since last monitoring job."
    assert not (paths.data / "monitoring" / "previousCrontab").exists()


def test_a_failing_crontab_command_and_a_user_without_crontab(tmp_path):
    paths = make_root(tmp_path)
    seam = tmp_path / "crontab"
    seam.write_text('#!/bin/sh\necho "$MESSAGE" >&2\nexit 1\n')
    seam.chmod(0o755)
    os.environ["MESSAGE"] = "no crontab for px"
    try:
        outcome = run(paths, "2008-05-05 14:00:00", crontab_command=(str(seam), "-l"))
        [section] = [s for s in outcome.report.sections if s.check == "crontab"]
        assert section.lines == ["Warning : no active crontab line runs pxStatsStartup."]
        os.environ["MESSAGE"] = "crontab: cannot open the spool"
        outcome = run(paths, "2008-05-05 15:00:00", crontab_command=(str(seam), "-l"))
        [section] = [s for s in outcome.report.sections if s.check == "crontab"]
        assert section.lines == [
            "Warning : the crontab could not be read (crontab: cannot open the spool)."
        ]
    finally:
        del os.environ["MESSAGE"]


def test_stats_log_hours_without_a_line(tmp_path):
    """Every hour of the window needs a line (the last one too); a log with lines only
    outside the window counts as none."""
    paths = make_root(tmp_path)
    (paths.data / "monitoring" / "previousMonitoringJob").write_text("2008-05-05 10:00:00\n")
    paths.logs.mkdir(parents=True)
    (paths.logs / "pickleUpdater.log.1").write_text(
        "2008-05-05 10:02:01,000 [INFO] Saved pickle named : a\n"
        "Traceback (most recent call last): not a dated line\n"
    )
    (paths.logs / "pickleUpdater.log").write_text(  # this rewrite's format
        "2008-05-05T12:02:01.000Z [123] [INFO] 3 pickles of tx c1 on m1\n"
    )
    (paths.logs / "transferPickleToRRD.log").write_text(
        "2008-05-05 09:02:01,000 [INFO] before the window\n"
        "2008-05-05 13:02:01,000 [INFO] after the window\n"
    )
    for program in ("generateRRDGraphics", "generateAllGnuGraphicsForMachines"):
        (paths.logs / f"{program}.log").write_text(
            "".join(f"2008-05-05 {h}:30:00,000 [INFO] drawn\n" for h in (10, 11, 12))
        )
    outcome = run(paths, "2008-05-05 13:00:00")
    [section] = [s for s in outcome.report.sections if s.check == "statslogs"]
    assert section.lines == [
        "Warning : Not a single log entry within pickling log files was found for these hours "
        ": '2008-05-05 11:00:00'. Please investigate.",
        "Warning : Not a single log entry within rrd_transfer log files was found for these "
        "hours : '2008-05-05 10:00:00', '2008-05-05 11:00:00', '2008-05-05 12:00:00'. Please "
        "investigate.",
    ]


@pytest.fixture
def small_disk(tmp_path):
    """A real 1 MB tmpfs (root only; skipped where mounting is not allowed)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False, timeout=30)


def test_a_really_full_disk(tmp_path, small_disk):
    paths = make_root(tmp_path, folders=f"{small_disk}", maxUsages="50")
    (small_disk / "filler").write_bytes(b"x" * 300_000)
    outcome = run(paths, "2008-05-05 14:00:00")
    assert [s.lines for s in outcome.report.sections if s.check == "disk"] == [[]]
    (small_disk / "more").write_bytes(b"x" * 600_000)
    stat = os.statvfs(small_disk)
    percent = checks.usage_percent(stat)
    assert percent > 80
    df = subprocess.run(
        ["df", "--output=pcent", str(small_disk)],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert percent == int(df.stdout.split()[-1].rstrip("%"))  # df's own rounding
    outcome = run(paths, "2008-05-05 15:00:00")
    assert [s.lines for s in outcome.report.sections if s.check == "disk"] == [
        [f"Error : Disk usage for {small_disk} is {percent} %.Please investigate cause."]
    ]
    assert outcome.status == 2


def test_a_report_that_cannot_be_written_saves_no_state(tmp_path):
    paths = make_root(tmp_path)
    state.reports_folder(paths).write_text("a file where the folder should be")
    outcome = run(paths, "2008-05-05 14:00:00")
    assert outcome.status == 3 and "cannot write the report" in outcome.error
    assert not (paths.data / "monitoring" / "previousMonitoringJob").exists()


def test_a_check_that_fails_does_not_stop_the_report(tmp_path, monkeypatch):
    paths = make_root(tmp_path)

    def broken(ctx):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(checks, "web_pages", broken)
    outcome = run(paths, "2008-05-05 14:00:00")
    [section] = [s for s in outcome.report.sections if s.check == "webpages"]
    assert section.lines == ["Error : this check failed (RuntimeError: disk on fire)."]
    assert section.heading("en") == "The following web page warning were found :"
    assert outcome.report_file.exists() and outcome.status >= 1


def test_one_monitor_at_a_time(tmp_path):
    from pxstats.util import locks

    paths = make_root(tmp_path)
    with locks.named_lock(paths, "statsMonitor"):
        outcome = run(paths, "2008-05-05 14:00:00")
    assert outcome.status == 3 and outcome.error == "another statsMonitor is running on this root"
    assert not state.reports_folder(paths).exists()
    assert run(paths, "2008-05-05 14:00:00").report is not None


def test_french_words_match_the_english_ones():
    import string

    from pxstats.monitor.texts import TEXT

    def fields(value):
        if isinstance(value, (tuple, list)):
            return [fields(v) for v in value]
        if isinstance(value, dict):
            return {k: fields(v) for k, v in value.items()}
        return sorted(
            (f[1] or "", f[2] or "") for f in string.Formatter().parse(value) if f[1] is not None
        )

    assert TEXT["fr"].keys() == TEXT["en"].keys()
    for key in TEXT["en"]:
        assert fields(TEXT["fr"][key]) == fields(TEXT["en"][key]), key


def test_crontab_first_run_is_modified_then_not(tmp_path):
    paths = make_root(tmp_path)
    seam = tmp_path / "crontab"
    seam.write_text("#!/bin/sh\necho '2 * * * * TZ=UTC /apps/px/pxStats/venv/bin/pxStatsStartup'\n")
    seam.chmod(0o755)
    headings = []
    for end in ("2008-05-05 14:00:00", "2008-05-05 15:00:00"):
        outcome = run(paths, end, crontab_command=(str(seam), "-l"))
        [section] = [s for s in outcome.report.sections if s.check == "crontab"]
        headings.append((section.heading("en"), section.lines))
    assert headings == [
        ("Crontab entries were modified since last monitoring job.", []),
        ("Crontab entries were not modified since last monitoring job.", []),
    ]
    assert state.previous_crontab(paths).startswith("2 * * * * TZ=UTC")
