"""statsMonitor on installations built by real runs of pxStats (tests/monitorworld.py): the
healthy one is clean everywhere, and each scenario makes exactly its own section complain."""

from __future__ import annotations

import email
import email.policy
import html
import json
import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import monitorworld as world
import pytest
from manpage import assert_manual_page_matches_help
from smtpserver import smtp_server  # noqa: F401  (fixture)

from pxstats.actions import monitor
from pxstats.cli import statsMonitor
from pxstats.monitor import checks, state
from pxstats.monitor.texts import TEXT
from pxstats.paths import StatsPaths, this_host
from pxstats.store import pickles
from pxstats.util import timeutil
from pxstats.util.timeutil import DAY, HOUR

REPO = Path(__file__).resolve().parent.parent
iso = timeutil.iso
ORDER = [
    "disk",
    "pickles",
    "gaps",
    "statslogs",
    "checksums",
    "crontab",
    "webpages",
    "graphics",
    "databases",
    "updates",
    "latency",
    "reach",
]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("healthy") / "root"
    end = world.build(root)
    return SimpleNamespace(root=root, end=end)


@pytest.fixture
def site(template, tmp_path):
    """A copy of the healthy installation for one test."""
    root = world.clone(template.root, tmp_path / "root")
    return SimpleNamespace(root=root, end=template.end, paths=StatsPaths(root))


def run(site, **changes) -> monitor.Outcome:
    outcome = monitor.run(site.paths, world.request(site.root, site.end, **changes))
    assert outcome.report is not None, outcome.error
    return outcome


def lines_of(outcome) -> dict[str, list[str]]:
    return {s.check: s.lines for s in outcome.report.sections}


def complaining(outcome) -> set[str]:
    return {s.check for s in outcome.report.sections if s.has_problems}


def set_conf(site, **changes) -> None:
    (site.root / "etc" / "monitoringConf").write_text(world.monitoring_conf(site.root, **changes))


def last_with_data(paths, client, hour, before) -> int:
    """Start of the last minute with data (not only errors) of a pickle, before `before`."""
    collector = pickles.load_collector(paths.hourly_pickle(client, hour, "tx", world.MACHINE))
    return max(
        b.start
        for b in collector.buckets
        if b.times and len(b.times) != sum(b.values["errors"]) and b.start < before
    )


# -- the healthy installation ------------------------------------------------------------------


def test_the_healthy_installation_is_clean_everywhere(site):
    outcome = run(site)
    report = outcome.report
    assert outcome.status == 0 and outcome.error is None
    assert [s.check for s in report.sections] == ORDER
    assert complaining(outcome) == set()
    assert [s.heading("en") for s in report.sections] == [
        TEXT["en"][check][1].format(hours=3) for check in ORDER
    ]
    assert report.subject() == f"[Stats Library Monitoring] {this_host()} with no warnings."
    text = report.text()
    assert text.startswith(
        "\n\nStats monitor results\n" + "-" * 130 + "\n"
        f"Time of test : {iso(site.end)}\n"
        f"Time of previous test : {iso(site.end - HOUR)}\n"
        f"Machine name      : {this_host()}\n"
        f"Config file  used : {site.root}/etc/monitoringConf\n"
    )
    # Saved before anything else, with the state for the next run.
    saved = site.root / "data/monitoring/reports" / (iso(site.end).replace(" ", "_") + ".txt")
    assert outcome.report_file == saved and saved.read_text() == text
    assert state.previous_job(site.paths) == site.end


# -- one scenario per check --------------------------------------------------------------------


def test_a_missing_hour_and_a_missing_day_of_pickles(site):
    hour = site.end - 30 * HOUR
    missing = site.paths.hourly_pickle("c1", hour, "tx", world.MACHINE)
    missing.unlink()
    day = site.paths.hourly_pickle("c2", site.end - 6 * DAY, "tx", world.MACHINE).parent.parent
    shutil.rmtree(day)
    outcome = run(site)
    assert complaining(outcome) == {"pickles"}
    assert lines_of(outcome)["pickles"] == [
        "c1 had the following files and folders missing : ",
        f"{missing.parent}/'{missing.name}'",
        "c2 had the following files and folders missing : ",
        f"{day}/*",
    ]
    assert outcome.status == 1
    assert outcome.report.subject().endswith(" with warnings.")


def _remove_log_lines(folder: Path, client: str, first: int, end: int) -> int:
    """Delete the records of [first, end) from a client's tx logs (the client went silent)."""
    removed = 0
    low, high = iso(first), iso(end)
    for log in folder.glob(f"tx_{client}.log*"):
        kept = []
        for line in log.read_bytes().splitlines(keepends=True):
            stamp = line[:19].decode("latin-1")
            if low <= stamp < high:
                removed += 1
                continue
            kept.append(line)
        log.write_bytes(b"".join(kept))
    return removed


def test_a_gap_explained_by_the_error_log_and_one_not_explained(site):
    silent = site.end - 50 * 60
    logs = site.root / "data/logFiles" / world.MACHINE
    for client in ("c1", "c2"):
        assert _remove_log_lines(logs, client, silent, site.end) > 10
    world.pxstats(
        site.root,
        "setTimeOfLastUpdates",
        "--reset-pointers",
        "-f",
        "tx",
        "-c",
        "c1,c2",
        "-m",
        world.MACHINE,
        iso(site.end - HOUR),
    )
    world.pxstats(
        site.root,
        "pickleUpdater",
        "-f",
        "tx",
        "-c",
        "c1,c2",
        "-m",
        world.MACHINE,
        "-d",
        iso(site.end),
    )
    hour = site.end - HOUR
    last1 = last_with_data(site.paths, "c1", hour, silent)
    last2 = last_with_data(site.paths, "c2", hour, silent)
    monitoring = site.root / "data/monitoring"
    (monitoring / "maxSettings.conf").write_text(
        world.MAX_SETTINGS.replace("PX_TIMERS\nDEFAULT 60\n", "PX_TIMERS\nDEFAULT 60\nc* 10\n")
    )
    # Columbo saw c2 fail at its last transmission and declared it outdated at the end; the
    # older rotation holds a line about c1 long before the window (not an explanation).
    (monitoring / "PX_Errors.txt").write_text(
        f"{iso(last2 + 20)},123 c2: transmission failed (timeout)\n"
        f"{iso(site.end - 60)},456 c2: outdated : last transmission NOT FOUND\n"
    )
    (monitoring / "PX_Errors.txt.1").write_text(
        f"{iso(site.end - 2 * DAY)},000 c1: transmission failed\n"
    )
    outcome = run(site)
    assert complaining(outcome) == {"gaps"}
    assert lines_of(outcome)["gaps"] == [
        "c1.",
        f"No data was found between {iso(last1)} and {iso(site.end - 60)}.",
    ]
    assert outcome.status == 2
    assert outcome.report.subject().endswith(" with data gaps errors.")
    # The last minute with data is remembered: the ongoing gap is reported again next time.
    assert state.last_filled(site.paths) == {"c1": last1, "c2": last2}


def test_a_full_disk_and_a_missing_folder(site):
    set_conf(
        site,
        folders=f"{site.root}/data;{site.root}/data/pickles;{site.root}/nowhere",
        maxUsages="100;90;50",
    )
    real = os.statvfs

    def statvfs(path):
        if str(path).endswith("pickles"):  # 950 of 1000 blocks used: 95 %
            return SimpleNamespace(f_blocks=1000, f_bfree=50, f_bavail=50, f_frsize=4096)
        return real(path)

    outcome = run(site, statvfs=statvfs)
    assert complaining(outcome) == {"disk"}
    assert lines_of(outcome)["disk"] == [
        f"Error : Disk usage for {site.root}/data/pickles is 95 %.Please investigate cause.",
        f"Error : Disk usage for {site.root}/nowhere was unavailable.Please investigate cause.",
    ]
    assert outcome.status == 2
    assert outcome.report.subject().endswith(" with disk usage errors.")


def test_a_silent_stats_log(site):
    (site.root / "data/logs/transferPickleToRRD.log").unlink()
    outcome = run(site)
    assert complaining(outcome) == {"statslogs"}
    assert lines_of(outcome)["statslogs"] == [
        (
            "Warning : Not a single log entry within rrd_transfer log files was found between "
            f"{iso(site.end - HOUR)} and {iso(site.end)}. Please investigate."
        )
    ]


def test_a_changed_and_an_added_file(site):
    code = site.root / "code"
    (code / "a.py").write_text("print('A')\n")
    (code / "c.py").write_text("print('c')\n")
    (code / "notes.txt").write_text("changed, but not a .py file\n")
    outcome = run(site)
    assert complaining(outcome) == {"checksums"}
    assert lines_of(outcome)["checksums"] == [
        f"Checksum for {code}/a.py has changed since last monitoring job.",
        f"{code}/c.py has been added.",
    ]
    assert run(site).status == 0  # remembered


def test_a_changed_crontab(site):
    (site.root / "seams/crontab.txt").write_text(world.CRONTAB + "0 0 * * * echo hello\n")
    outcome = run(site)
    assert complaining(outcome) == {"crontab"}
    section = outcome.report.sections[ORDER.index("crontab")]
    assert section.heading("en") == "Crontab entries were modified since last monitoring job."
    assert section.text("en").endswith("-" * 130 + "\n\n")
    assert outcome.report.subject().endswith(" with warnings.")
    assert run(site).status == 0  # the same crontab the next time


def test_a_crontab_without_pxstatsstartup(site):
    (site.root / "seams/crontab.txt").write_text("#2 * * * * pxStatsStartup\n")
    run(site)
    outcome = run(site)  # not modified any more, still without the entry
    assert complaining(outcome) == {"crontab"}
    section = outcome.report.sections[ORDER.index("crontab")]
    assert section.heading("en") == "Crontab entries were not modified since last monitoring job."
    assert section.lines == ["Warning : no active crontab line runs pxStatsStartup."]


def test_stale_web_pages_and_daily_graphics(site):
    # The pages need etc/config (its tags name m1, which the reachability check must not
    # try: it is not a real machine).
    (site.root / "etc/config").write_text(
        (REPO / "etc/config.sample")
        .read_text()
        .replace("webPagesLanguages       = fr:en,en:en", "webPagesLanguages = en:en")
        .replace("statsRoot               = /apps/px/pxStats/", f"statsRoot = {site.root}/")
    )
    (site.root / "etc/configForMachines").write_text("tag1 m1 px\ntag2 m1 px\n")
    world.pxstats(site.root, "generateWebPages", "-d", iso(site.end))
    html_en = site.root / "data/webPages/html_en"
    pages = sorted(p.name for p in html_en.glob("*Graphs*.html"))
    assert pages == [
        "dailyGraphs_en.html",
        "monthlyGraphs_en.html",
        "weeklyGraphs_en.html",
        "yearlyGraphs_en.html",
    ]
    two_hours = site.end - 2 * HOUR
    os.utime(html_en / "dailyGraphs_en.html", (two_hours, two_hours))
    os.utime(html_en / "weeklyGraphs_en.html", (site.end - 30 * 60,) * 2)  # fresh enough
    columbo = site.root / "data/graphics/webGraphics/columbo"
    os.utime(columbo / "c1_en.png", (two_hours, two_hours))
    (columbo / "s1_en.png").unlink()
    outcome = run(site, reach=lambda machine, login: None)
    assert complaining(outcome) == {"webpages", "graphics"}
    assert lines_of(outcome)["webpages"] == [
        f"{html_en}/dailyGraphs_en.html was not updated since {iso(two_hours)}."
    ]
    assert lines_of(outcome)["graphics"] == [
        f"{columbo}/s1_en.png was not found.",
        f"c1's daily image was not updated since {iso(two_hours)}",
    ]


def test_a_stale_database(site):
    databases = sorted(site.paths.current_databases.glob(f"*/c1_{world.MACHINE}"))
    assert len(databases) == 5
    for database in databases:
        database.unlink()
    (site.paths.current_databases_updates / "tx" / f"c1_{world.MACHINE}").unlink()
    world.pxstats(
        site.root,
        "transferPickleToRRD",
        "-c",
        "c1",
        "-f",
        "tx",
        "-m",
        world.MACHINE,
        "-e",
        iso(site.end - 5 * HOUR),
    )
    outcome = run(site)
    assert complaining(outcome) == {"databases"}
    assert lines_of(outcome)["databases"] == [
        f"{db} was last updated at {iso(site.end - 5 * HOUR)}." for db in databases
    ]
    assert outcome.report.sections[ORDER.index("databases")].heading("en") == (
        "The following databases were not updated for more than 3 hours :"
    )


def test_a_lagging_time_of_update(site):
    world.pxstats(
        site.root,
        "setTimeOfLastUpdates",
        "-f",
        "rx",
        "-c",
        "s1",
        "-m",
        world.MACHINE,
        iso(site.end - 10 * HOUR),
    )
    outcome = run(site)
    assert complaining(outcome) == {"updates"}
    assert lines_of(outcome)["updates"] == [
        (
            f"{site.paths.times_of_updates}/rx_s1_{world.MACHINE} was collected up to "
            f"{iso(site.end - 10 * HOUR)}."
        )
    ]


@pytest.mark.parametrize("workers", [False, True], ids=["here", "in-workers"])
def test_a_client_over_its_latency_threshold(site, workers, monkeypatch):
    if workers:  # the pickles are loaded by worker processes, as for a large installation
        monkeypatch.setattr(checks, "PARALLEL_FROM", 1)
        monkeypatch.setattr(checks, "_cpus", lambda: 2)
    hour = site.end - HOUR
    collector = pickles.load_collector(site.paths.hourly_pickle("c1", hour, "tx", world.MACHINE))
    over = sum(b.files_over_max_latency for b in collector.buckets)
    assert over > 0  # the sample logs have latencies of 16-60 s
    (site.root / "data/monitoring/maxSettings.conf").write_text(
        world.MAX_SETTINGS.replace("PX_GRAPHS\n", "PX_GRAPHS\nc1 0\n")
    )
    outcome = run(site)
    assert complaining(outcome) == {"latency"}
    assert lines_of(outcome)["latency"] == [
        (
            f"c1 : {over} files over the maximum latency between {iso(hour)} and "
            f"{iso(site.end)} (maximum 0)."
        )
    ]


def test_without_max_settings_the_gap_and_latency_checks_are_left_out(site):
    (site.root / "data/monitoring/maxSettings.conf").write_text("PX_TIMERS\nDEFAULT 60\n")
    outcome = run(site)
    assert [s.check for s in outcome.report.sections] == [
        c for c in ORDER if c not in ("gaps", "latency")
    ]
    assert outcome.status == 0


# -- the e-mail ----------------------------------------------------------------------------------


def test_the_report_is_mailed_as_multipart_alternative(site, smtp_server):  # noqa: F811
    set_conf(site, smtpServer=smtp_server.address)
    (site.root / "code/a.py").write_text("changed\n")
    outcome = run(site, send_mail=True)
    assert outcome.status == 1 and outcome.error is None
    assert outcome.sent_to == ("op@example.com", "backup@example.com")
    [received] = smtp_server.sink.messages
    assert received.mail_from == "pxstats@example.com"
    assert received.rcpt_tos == ["op@example.com", "backup@example.com"]
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert message["Subject"] == f"[Stats Library Monitoring] {this_host()} with warnings."
    assert message["From"] == "pxstats@example.com"
    assert message["To"] == "op@example.com, backup@example.com"
    assert message["Date"] and message["Message-ID"].startswith("<")
    assert message.get_content_type() == "multipart/alternative"
    plain, rich = message.iter_parts()
    text = outcome.report.text()
    # (SMTP carries lines ended by CRLF)
    assert plain.get_content_type() == "text/plain"
    assert plain.get_content().replace("\r\n", "\n") == text
    assert rich.get_content_type() == "text/html"
    assert rich.get_content().replace("\r\n", "\n").rstrip("\n") == (
        "<html>" + html.escape(text, quote=False).replace("\n", "<br>") + "</html>"
    )
    assert plain["Content-Transfer-Encoding"] == "quoted-printable"


def test_a_mail_failure_exits_non_zero_with_the_report_on_disk(site):
    outcome = run(site, send_mail=True)  # smtpServer 127.0.0.1:1: nothing listens
    assert outcome.status == 3
    assert "cannot send the report through 127.0.0.1:1" in outcome.error
    assert outcome.report_file.read_text() == outcome.report.text()
    assert str(outcome.report_file) in outcome.error
    assert state.previous_job(site.paths) == site.end


def test_a_french_installation(site, smtp_server):  # noqa: F811
    set_conf(site, smtpServer=smtp_server.address)
    (site.root / "etc/config").write_text(
        (REPO / "etc/config.sample")
        .read_text()
        .replace("mainApplicationLanguage = en", "mainApplicationLanguage = fr")
        .replace("statsRoot               = /apps/px/pxStats/", f"statsRoot = {site.root}/")
    )
    outcome = run(site, send_mail=True, reach=lambda machine, login: None)
    assert outcome.report.language == "fr"
    [received] = smtp_server.sink.messages
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert message["Subject"] == (
        f"[Surveillance de pxStats] {this_host()} avec aucun avertissement."
    )
    assert (
        "Aucun avertissement sur l'utilisation des disques n'a été trouvé."
        in next(message.iter_parts()).get_content()
    )


# -- the command ---------------------------------------------------------------------------------


def cli(site, *argv, path_seam=True):
    env = world.env_for(site.root)
    if path_seam:  # the `crontab` command of the test
        env["PATH"] = f"{site.root}/seams:{env['PATH']}"
    return subprocess.run(
        [str(world.BIN / "statsMonitor"), *argv],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_command_prints_the_report_and_exits_with_its_status(site):
    done = cli(site, "--no-mail", "-v", iso(site.end + 1234))
    assert done.returncode == 0, done.stderr
    saved = state.report_file(site.paths, site.end)
    assert done.stdout == saved.read_text()
    (site.root / "code/a.py").write_text("changed\n")
    done = cli(site, "--no-mail", "--json", "--end-time", iso(site.end))
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert data["status"] == 1 and data["status_name"] == "warning"
    assert data["report_file"] == str(saved)
    assert [s["check"] for s in data["sections"] if s["status"] != "ok"] == ["checksums"]


def test_the_command_without_mail_server_fails_after_saving(site):
    done = cli(site, iso(site.end))
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "the report is in" in done.stderr
    assert state.report_file(site.paths, site.end).exists()


@pytest.mark.parametrize(
    "argv", [["bad date"], ["2008-05-05 14:00:00", "--end-time", "2008-05-05 14:00:00"], ["--nope"]]
)
def test_usage_errors_could_not_run(site, argv):
    before = (site.root / "data/monitoring/previousMonitoringJob").read_text()
    done = cli(site, *argv)
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("statsMonitor: error:")
    assert (site.root / "data/monitoring/previousMonitoringJob").read_text() == before


def test_help_and_manual_page():
    done = subprocess.run(
        [str(world.BIN / "statsMonitor"), "--help"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "END_TIME" in done.stdout
    assert_manual_page_matches_help(REPO / "man/man1/statsMonitor.1", statsMonitor.build_parser())
    assert "\n.SH EXIT STATUS\n" in (REPO / "man/man1/statsMonitor.1").read_text()
