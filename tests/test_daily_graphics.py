"""generateAllGnuGraphicsForMachines and the daily / Columbo 24-hour graphics
(spec graphics_web.md §3, §1.7, T-16, T-08, T-33) — with the real gnuplot.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
from helpers import REPO, T, save_hour
from manpage import assert_manual_page_matches_help
from pngimage import decoded_size

from pxstats.actions import daily_graphics as dailygraphics
from pxstats.actions import graphics
from pxstats.cli import generateAllGnuGraphicsForMachines as cli
from pxstats.config import load_config
from pxstats.gnuplot import render
from pxstats.paths import StatsPaths

pytestmark = pytest.mark.skipif(
    render.shutil.which("gnuplot") is None, reason="gnuplot is not installed (Debian gnuplot-nox)"
)

DATE = "2008-01-06 00:20:00"  # graphics 2008-01-05 00:00 -> 2008-01-06 00:00
END = "20080106_00:00:00"
HOUR = T("2008-01-05 09:00:00")
TX_NAME = "tx_{}_" + END + "_errors,filecount,bytecount,latency_24hours_on_{}_for_All_products.png"
RX_NAME = "rx_{}_" + END + "_errors,filecount,bytecount_24hours_on_{}_for_All_products.png"
NAMES = {"m1": {"tx": ["c1", "c2"], "rx": ["s1"]}, "m2": {"tx": ["c1", "c3"], "rx": []}}


# -- fixtures -----------------------------------------------------------------------------------


def rows():
    """Minutes 30-59: two files a minute, 1000 x (k - 29) bytes, 3 errors at minute 50."""
    result = []
    for k in range(30, 60):
        result += [
            (k * 60 + 30, f"f{k}", 2, 500 * (k - 29), 0),
            (k * 60 + 30, f"f{k}", 0, 500 * (k - 29), 0),
        ]
        if k == 50:
            result += [(k * 60 + 30, "", 0, 0, 1)] * 3
    return result


def draw_names(
    paths,
    file_type,
    names,
    machines,
    date,
    *,
    processes=None,
    language="en",
    span=dailygraphics.DAILY_SPAN,
    copy=True,
):
    """The daily graphics of `names` (one file type) over `machines`: {name: Outcome}."""
    jobs = [dailygraphics.Job(file_type, name, tuple(machines)) for name in dict.fromkeys(names)]
    outcomes = dailygraphics.draw_all(
        paths, jobs, date, language=language, span=span, processes=processes, copy=copy
    )
    return {o.job.name: o for o in outcomes}


def configure(paths: StatsPaths, names=NAMES) -> None:
    """Copies of the machines' Sundew configuration: etc/pxConfigFiles/<ft>/<machine>/*.conf."""
    for machine, by_type in names.items():
        for file_type, clients in by_type.items():
            folder = paths.px_config_copies / file_type / machine
            folder.mkdir(parents=True, exist_ok=True)
            for client in clients:
                (folder / f"{client}.conf").write_text("type am\n")


@pytest.fixture
def paths(tmp_path) -> StatsPaths:
    (tmp_path / "data").mkdir()
    p = StatsPaths(tmp_path)
    configure(p)
    save_hour(p, "c1", "m1", HOUR, rows())
    save_hour(p, "c1", "m2", HOUR, rows())
    save_hour(p, "s1", "m1", HOUR, rows(), "rx")
    return p


def run_cli(paths, *args, capsys):
    try:
        status = cli.main(["--root", str(paths.root), *args])
    except SystemExit as exc:  # argparse errors exit from inside parse_args
        status = exc.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def height(panels: int) -> int:
    return int(307.2 * panels)


def gnuplot_folder(paths, name, language="en") -> Path:
    return paths.graphics / ("others" if language == "en" else "autres") / "gnuplot" / name


def assert_copies(paths, file_type, name, png, language="en", month="January"):
    daily = "daily" if language == "en" else "journalier"
    archive = paths.graphics_archives / daily / file_type / name / "2008" / month / "05.png"
    columbo = paths.web_graphics / "columbo" / f"{name}_{language}.png"
    assert archive.read_bytes() == png.read_bytes() == columbo.read_bytes()


# -- what is drawn --------------------------------------------------------------------------------


def test_modes():
    assert dailygraphics.modes(["m1"]) == (True, False)
    assert dailygraphics.modes(["m1"], individual=False, combine=True) == (True, False)
    assert dailygraphics.modes(["m1", "m2"]) == (False, True)
    assert dailygraphics.modes(["m1", "m2"], individual=True) == (True, False)
    assert dailygraphics.modes(["m1", "m2"], combine=True) == (False, True)
    assert dailygraphics.modes(["m1", "m2"], True, True) == (True, True)


def test_jobs_individual_then_combined(paths):
    Job = dailygraphics.Job
    assert dailygraphics.jobs_for(paths, ["m1"]) == [
        Job("tx", "c1", ("m1",)),
        Job("tx", "c2", ("m1",)),
        Job("rx", "s1", ("m1",)),
    ]
    # combined: the first machine's names, over every machine
    assert dailygraphics.jobs_for(paths, ["m2", "m1"]) == [
        Job("tx", "c1", ("m2", "m1")),
        Job("tx", "c3", ("m2", "m1")),
    ]
    both = dailygraphics.jobs_for(paths, ["m1", "m2"], individual=True, combine=True)
    assert [(j.file_type, j.name, ",".join(j.machines)) for j in both] == [
        ("tx", "c1", "m1"),
        ("tx", "c2", "m1"),
        ("rx", "s1", "m1"),
        ("tx", "c1", "m2"),
        ("tx", "c3", "m2"),
        ("tx", "c1", "m1,m2"),
        ("tx", "c2", "m1,m2"),
        ("rx", "s1", "m1,m2"),
    ]


def test_names_fall_back_to_the_mirrored_log_files(tmp_path):
    p = StatsPaths(tmp_path)
    mirror = p.log_files / "m9"
    mirror.mkdir(parents=True)
    for name in ("tx_a.log", "tx_a.log.1", "tx_b.log", "rx_s.log.2", "other.log"):
        (mirror / name).write_text("")
    assert [(j.file_type, j.name) for j in dailygraphics.jobs_for(p, ["m9"])] == [
        ("tx", "a"),
        ("tx", "b"),
        ("rx", "s"),
    ]


def test_dry_run_lists_the_graphics_and_draws_nothing(paths, capsys):
    status, out, err = run_cli(
        paths, "-m", "m1,m2", "-l", "a,b", "-i", "-c", "-d", DATE, "--dry-run", capsys=capsys
    )
    assert status == 0 and err == ""
    assert out.splitlines() == [
        "tx c1 m1",
        "tx c2 m1",
        "rx s1 m1",
        "tx c1 m2",
        "tx c3 m2",
        "tx c1 m1,m2",
        "tx c2 m1,m2",
        "rx s1 m1,m2",
    ]
    assert not paths.graphics.exists()


# -- drawing ------------------------------------------------------------------------------------


def test_every_name_of_one_machine_with_its_copies(paths, capsys):
    """T-16 (one machine) and T-08: one 24-hour graphic per tx and rx name, archived under
    the day of end - 60 s and copied for Columbo."""
    status, out, err = run_cli(paths, "-m", "m1", "-d", DATE, "--processes", "2", capsys=capsys)
    assert (status, err) == (0, "")
    c1 = gnuplot_folder(paths, "c1") / TX_NAME.format("c1", "m1")
    c2 = gnuplot_folder(paths, "c2") / TX_NAME.format("c2", "m1")
    s1 = gnuplot_folder(paths, "s1") / RX_NAME.format("s1", "m1")
    assert out.splitlines() == [str(c1), str(c2), str(s1)]
    assert decoded_size(c1) == decoded_size(c2) == (1280, height(4)) == (1280, 1228)
    assert decoded_size(s1) == (1280, height(3)) == (1280, 921)
    assert c1.read_bytes() != c2.read_bytes()  # c2 has no pickle: an empty graphic
    assert_copies(paths, "tx", "c1", c1)
    assert_copies(paths, "tx", "c2", c2)
    assert_copies(paths, "rx", "s1", s1)
    # T-33: nothing world-writable
    for path in paths.graphics.rglob("*"):
        assert not path.lstat().st_mode & stat.S_IWOTH, path
    assert (paths.logs / "generateAllGnuGraphicsForMachines.log").exists()


def test_several_machines_default_to_the_combined_graphics(tmp_path, capsys):
    """T-16: -m m1,m2 -l a,b draws only the combined graphics, named after both machines."""
    (tmp_path / "data").mkdir()
    p = StatsPaths(tmp_path)
    configure(p, {"m1": {"tx": ["c1"]}, "m2": {"tx": ["c9"]}})
    save_hour(p, "c1", "m1", HOUR, rows())
    save_hour(p, "c1", "m2", HOUR, rows())
    status, out, err = run_cli(p, "-m", "m1,m2", "-l", "a,b", "-d", DATE, capsys=capsys)
    assert (status, err) == (0, "")
    png = gnuplot_folder(p, "c1") / TX_NAME.format("c1", "m1,m2")
    assert out.splitlines() == [str(png)]
    assert [f.name for f in gnuplot_folder(p, "c1").iterdir()] == [png.name]
    assert not gnuplot_folder(p, "c9").exists()
    assert decoded_size(png) == (1280, 1228)
    assert_copies(p, "tx", "c1", png)


def test_french_graphics_from_the_main_language(paths, capsys):
    """The default output language is mainApplicationLanguage; French folders, names and
    month, Columbo copy <name>_fr.png (§1.7, §6.4)."""
    sample = (REPO / "etc" / "config.sample").read_text()
    lines = [
        "mainApplicationLanguage = fr" if line.startswith("mainApplicationLanguage") else line
        for line in sample.splitlines()
    ]
    paths.etc.mkdir(exist_ok=True)
    paths.config_file.write_text("\n".join(lines) + "\n")
    configure(paths, {"m3": {"tx": ["c1"]}})
    save_hour(paths, "c1", "m3", HOUR, rows())
    status, out, err = run_cli(paths, "-m", "m3", "-d", DATE, capsys=capsys)
    assert (status, err) == (0, "")
    png = gnuplot_folder(paths, "c1", "fr") / (
        f"tx_c1_{END}_erreurs,nbreDeFichiers,nbreDeBytes,latence_24heures_sur_m3"
        "_pour_les_produits_Tous.png"
    )
    assert out.splitlines() == [str(png)]
    assert decoded_size(png) == (1280, 1228)
    assert_copies(paths, "tx", "c1", png, "fr", "Janvier")
    assert not (paths.graphics / "others").exists()
    # -o overrides the main language
    status, out, _ = run_cli(paths, "-m", "m3", "-d", DATE, "-o", "en", capsys=capsys)
    assert status == 0 and "/others/gnuplot/c1/" in out


def test_a_failing_name_does_not_stop_the_others(paths, capsys):
    blocker = gnuplot_folder(paths, "c1")
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a folder")
    status, out, err = run_cli(paths, "-m", "m1", "-d", DATE, "--processes", "2", capsys=capsys)
    assert status == 1
    errors = err.splitlines()
    assert len(errors) == 1
    assert errors[0].startswith(
        "generateAllGnuGraphicsForMachines: error: no graphic for tx c1 on m1: "
    )
    assert out.splitlines() == [
        str(gnuplot_folder(paths, "c2") / TX_NAME.format("c2", "m1")),
        str(gnuplot_folder(paths, "s1") / RX_NAME.format("s1", "m1")),
    ]
    assert not (paths.web_graphics / "columbo" / "c1_en.png").exists()
    assert (paths.web_graphics / "columbo" / "s1_en.png").exists()
    assert (
        "No graphic for tx c1 on m1"
        in (paths.logs / "generateAllGnuGraphicsForMachines.log").read_text()
    )


def test_web_daily_family_machine_tags_then_groups(paths):
    """§3.3: per source machine tag the machine-wide graphics (combined for a tag of two
    machines, individual for one), then one combined graphic per tx/rx group, its wildcard
    members being the names having run, its products filtering the files."""
    config = (REPO / "etc" / "config.sample").read_text()
    config = re.sub(r"(?m)^sourceMachinesTags\s*=.*$", "sourceMachinesTags = t12,t3", config)
    config = config[: config.index("[specialGroups]")] + (
        "[specialGroups]\n"
        "G    = t12  tx   c1,c3  f3*\n"
        "W    = t12  tx   c?     *\n"
        "Both = t12  trx  c1     *\n"
    )
    (paths.root / "etc").mkdir(exist_ok=True)
    (paths.root / "etc" / "config").write_text(config)
    (paths.root / "etc" / "configForMachines").write_text("t12 m1,m2 a,a\nt3 m3 a\n")
    configure(paths, {"m3": {"tx": ["c9"]}})
    for name, when in (("c1", HOUR), ("c3", HOUR), ("cx", T("2007-01-01 00:00:00"))):
        for place in (paths.current_databases / "latency", paths.current_databases_updates / "tx"):
            place.mkdir(parents=True, exist_ok=True)
        (paths.current_databases / "latency" / f"{name}_m1m2").write_bytes(b"")
        (paths.current_databases_updates / "tx" / f"{name}_m1m2").write_text(str(when))

    jobs = dailygraphics.web_jobs(paths, load_config(paths.etc), T(DATE))
    assert [(j.file_type, j.name, j.machines, j.members, j.products) for j in jobs] == [
        ("tx", "c1", ("m1", "m2"), (), ("All",)),
        ("tx", "c2", ("m1", "m2"), (), ("All",)),
        ("rx", "s1", ("m1", "m2"), (), ("All",)),
        ("tx", "c9", ("m3",), (), ("All",)),
        ("tx", "G", ("m1", "m2"), ("c1", "c3"), ("f3*",)),
        ("tx", "W", ("m1", "m2"), ("c1", "c3"), ("*",)),
    ]  # cx did not run; trx left out

    group = jobs[4]
    the_plan = graphics.plan(paths, dailygraphics.request_for(group, T(DATE)))
    latency = the_plan.picture.panels[3]
    # c1 has f30..f59 twice a minute on each machine: f3* keeps f30..f39, 20 files a machine.
    assert [text for _, text in latency.labels][:3] == [
        "Group : G",
        "Machines : m1, m2",
        "Product type(s) : f3*" + " " * 22,
    ]
    assert "# of files : 40 " in [text for _, text in latency.labels]
    outcomes = dailygraphics.draw_all(paths, jobs[4:], T(DATE), processes=2)
    assert [o.status for o in outcomes] == ["drawn", "drawn"]
    assert outcomes[0].png == the_plan.png and the_plan.png.parent.name == "G"
    assert decoded_size(outcomes[0].png) == (1280, 1228)
    assert_copies(paths, "tx", "G", outcomes[0].png)
    assert_copies(paths, "tx", "W", outcomes[1].png)


def test_draw_names_uses_at_most_n_worker_processes(paths):
    """The function the benchmark calls: per-name outcomes, a bounded pool."""
    names = ["c1", "c2", "c3", "c4", "c1"]
    outcomes = draw_names(paths, "tx", names, ["m1"], T(DATE), processes=2, span=1, copy=False)
    assert list(outcomes) == ["c1", "c2", "c3", "c4"]
    assert all(o.ok and o.seconds > 0 for o in outcomes.values())
    assert os.getpid() not in {o.pid for o in outcomes.values()}
    spans = [(o.started, o.started + o.seconds) for o in outcomes.values()]
    overlap = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert overlap == 2  # drawn two at a time, never more
    for name, outcome in outcomes.items():
        assert outcome.png.name == (
            f"tx_{name}_{END}_errors,filecount,bytecount,latency_1hours_on_m1_for_All_products.png"
        )
        assert decoded_size(outcome.png) == (1280, 1228)
        assert outcome.copies == []
    assert not paths.graphics_archives.exists()
    # one process: drawn here
    single = draw_names(paths, "rx", ["s1"], ["m1"], T(DATE), processes=1, span=1)
    assert single["s1"].pid == os.getpid() and decoded_size(single["s1"].png) == (1280, 921)
    assert len(single["s1"].copies) == 2
    with pytest.raises(ValueError):
        draw_names(paths, "tx", ["c1"], ["m1"], T(DATE), processes=0)


def test_a_worker_that_dies_fails_only_its_own_graphic(paths, monkeypatch):
    """A child killed while drawing (out of memory, kill -9) is one failed outcome; the
    graphics drawn before and after it are not affected."""
    real = graphics.produce

    def crashing(paths, request, **kwargs):
        if request.clients == ("c2",):
            os.kill(os.getpid(), 9)
        return real(paths, request, **kwargs)

    monkeypatch.setattr(graphics, "produce", crashing)
    outcomes = draw_names(
        paths, "tx", ["c1", "c2", "c3"], ["m1"], T(DATE), processes=2, span=1, copy=False
    )
    assert [o.status for o in outcomes.values()] == ["drawn", "failed", "drawn"]
    assert outcomes["c2"].message == "worker process died (killed by signal 9)"
    assert decoded_size(outcomes["c3"].png) == (1280, 1228)


def test_a_name_the_graphics_refuse_is_a_failed_outcome(paths):
    outcome = dailygraphics.draw(
        paths, dailygraphics.Job("tx", "bad\x01name", ("m1",)), T(DATE), span=1
    )
    assert not outcome.ok and "control character" in outcome.message
    assert not paths.graphics.exists()


def test_no_name_found_is_a_warning(tmp_path, capsys):
    (tmp_path / "data").mkdir()
    status, out, err = run_cli(StatsPaths(tmp_path), "-m", "nowhere", "-d", DATE, capsys=capsys)
    assert status == 0 and out == ""
    assert err == (
        "generateAllGnuGraphicsForMachines: warning: no client or source found "
        "for nowhere; nothing to draw\n"
    )


# -- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["-m", "m1", "-d", "2008-13-01 00:00:00"], "The date format must be YYYY-MM-DD HH:MM:SS"),
        (["-m", "m1", "-s", "0"], "argument -s/--span: 0 is not between 1 and 744"),
        (["-m", "m1", "-s", "x"], "argument -s/--span: not a whole number: 'x'"),
        (["-m", "m1,m2", "-l", "a"], "Number of logins does not match number of machines."),
        (["-m", "m1", "-l", "a,b"], "Number of logins does not match number of machines."),
        (["-m", "m1", "-o", "de"], "de is not one of the supported languages (en, fr)."),
        (["-m", "m1", "--processes", "0"], "argument --processes: 0 is not between 1 and 64"),
        (["-m", ".."], "invalid machine name: '..'"),
        (["-m", ","], "No machine given"),
        (["-m", "m1,m1", "-l", "a,b"], "A machine is listed twice"),
    ],
)
def test_invalid_options_write_nothing(paths, capsys, args, message):
    before = sorted(paths.root.rglob("*"))
    status, out, err = run_cli(paths, *args, capsys=capsys)
    assert status == 2 and out == ""
    assert len(err.splitlines()) == 1 and message in err
    assert err.startswith("generateAllGnuGraphicsForMachines: error: ")
    assert sorted(paths.root.rglob("*")) == before


def test_logins_ignore_spaces_and_quotes(paths, capsys):
    status, out, _ = run_cli(paths, "-m", "m1, m2", "-l", '"a", b', "--dry-run", capsys=capsys)
    assert status == 0 and out.splitlines()[0] == "tx c1 m1,m2"


# -- shim and manual page -------------------------------------------------------------------------


def test_bin_shim_runs_from_the_checkout(paths):
    done = subprocess.run(
        [str(REPO / "bin" / cli.PROGRAM), "--root", str(paths.root), "-m", "m1", "--dry-run"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["tx c1 m1", "tx c2 m1", "rx s1 m1"]
    assert os.access(REPO / "bin" / cli.PROGRAM, os.X_OK)


def test_manual_page_matches_help():
    assert_manual_page_matches_help(REPO / "man" / "man1" / f"{cli.PROGRAM}.1", cli.build_parser())


def test_issue10_item9_several_machines_need_no_logins(paths, capsys):
    """`-m a,b` demanded logins that the help calls unused; they are checked only if given."""
    assert cli.main(["--root", str(paths.root), "-m", "m1,m2", "-d", DATE, "--dry-run"]) == 0
    assert cli.main(["--root", str(paths.root), "-m", "m1,m2", "-l", "a", "-d", DATE]) == 2
