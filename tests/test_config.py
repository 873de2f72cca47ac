"""etc/config, configForMachines, monitoringConf: spec ops.md §1.1-1.4, §1.8, §2.3, §9 items 1-4."""

import logging
import os
import shutil
from pathlib import Path

import pytest

from pxstats.config import (
    CollectionSettings,
    ConfigError,
    Frequency,
    load_config,
    load_general,
    load_machines,
    load_monitoring,
    parse_groups,
    parse_ini,
    parse_machines,
    read_ini,
    split_list,
)

ETC = Path(__file__).resolve().parent.parent / "etc"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def ini(text: str):
    return parse_ini(text, "test.ini")


@pytest.fixture
def etc(tmp_path) -> Path:
    """An etc folder holding the shipped samples under their real names."""
    for name in ("config", "configForMachines", "monitoringConf", "clean_dir.conf"):
        shutil.copy(ETC / f"{name}.sample", tmp_path / name)
    return tmp_path


def replace_line(path: Path, start: str, new: str | None) -> None:
    """Replace (or delete, when new is None) the line of `path` starting with `start`."""
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(start))
    if new is None:
        del lines[index]
    else:
        lines[index] = new
    path.write_text("\n".join(lines) + "\n")


# -- §1.1 INI rules ---------------------------------------------------------------------------


def test_section_names_are_case_sensitive():
    parsed = ini("[GeneralConfig]\nkey = 1\n")
    assert "GeneralConfig" in parsed.sections and "generalConfig" not in parsed.sections
    with pytest.raises(ConfigError, match=r"section \[generalConfig\] is missing"):
        parsed.get("generalConfig", "key")


def test_keys_are_case_insensitive():
    parsed = ini("[s]\ngraphicsUploadMachines = a\n")
    assert parsed.get("s", "graphicsUpLoadMachines") == "a"
    assert parsed.get("s", "GRAPHICSUPLOADMACHINES") == "a"


def test_equal_and_colon_separators_and_value_whitespace():
    parsed = ini("[s]\na = one  \nb: two\nc=three\nd :four:five\n")
    assert parsed.get("s", "a") == "one"
    assert parsed.get("s", "b") == "two"
    assert parsed.get("s", "c") == "three"
    assert parsed.get("s", "d") == "four:five"


def test_full_line_comments():
    parsed = ini(
        "# hash\n; semicolon\nrem before\n[s]\n# c\n; c\nrem = 1\nREM shouting\n"
        "Rem mixed\nremark = kept\nkey = v\n"
    )
    assert parsed.sections == {"s": {"remark": "kept", "key": "v"}}


def test_inline_comment_needs_whitespace_before_the_first_semicolon():
    parsed = ini(
        "[s]\n"
        "spaced = a;b ;comment\n"  # first ';' not preceded by space: all kept
        "comment = a ;b;c\n"
        "tab = a\t;comment\n"
        "joined = a;b;c\n"
        "leading = ;comment\n"
        "glued =;kept\n"
    )
    assert parsed.get("s", "spaced") == "a;b ;comment"
    assert parsed.get("s", "comment") == "a"
    assert parsed.get("s", "tab") == "a"
    assert parsed.get("s", "joined") == "a;b;c"
    assert parsed.get("s", "leading") == ""
    assert parsed.get("s", "glued") == ";kept"


def test_hash_in_a_value_is_not_a_comment():
    assert ini("[s]\nk = a # b\n").get("s", "k") == "a # b"


def test_continuation_lines():
    parsed = ini(
        "[s]\nlist = a,b,\n    c,\n\n\td\nempty =\n  /apps/x\nnext = 1\n"
        "words = x\n  rem is not a comment when indented\n"
    )
    assert parsed.get("s", "list") == "a,b,\nc,\nd"
    assert split_list(parsed.get("s", "list")) == ("a", "b", "c", "d")
    assert parsed.get("s", "empty") == "/apps/x"
    assert parsed.get("s", "next") == "1"
    assert parsed.get("s", "words") == "x\nrem is not a comment when indented"


def test_continuation_without_key_is_an_error():
    with pytest.raises(ConfigError, match=r"test.ini, line 2: indented line continues no key"):
        ini("[s]\n   orphan\n")


def test_no_interpolation():
    parsed = ini("[s]\nhome = /x\npath = %(home)s/y 100%\n")
    assert parsed.get("s", "path") == "%(home)s/y 100%"


def test_duplicate_keys_keep_last_and_duplicate_sections_merge():
    parsed = ini("[s]\nk = first\nK = second\nother = 1\n[t]\n[s]\nk = third\n")
    assert parsed.get("s", "k") == "third"
    assert parsed.get("s", "other") == "1"


def test_default_section_is_a_fallback():
    parsed = ini("[DEFAULT]\nshared = d\n[s]\nown = o\n")
    assert parsed.get("s", "shared") == "d"
    assert "DEFAULT" not in parsed.sections


def test_lists_are_split_stripped_and_empty_means_none():
    parsed = ini("[s]\nl = a, b ,c\nempty =\ntrailing = a,b,\nsemi = x;y ;z\nsemis = x; y;\n")
    assert parsed.get_list("s", "l") == ("a", "b", "c")
    assert parsed.get_list("s", "empty") == ()
    assert parsed.get_list("s", "trailing") == ("a", "b")
    assert parsed.get_list("s", "semis", ";") == ("x", "y")
    assert split_list("  ") == ()


def test_missing_key_and_default():
    parsed = ini("[s]\nk = v\n")
    assert parsed.get("s", "absent", "dflt") == "dflt"
    assert parsed.get("absent", "k", "dflt") == "dflt"
    with pytest.raises(ConfigError, match=r"^test.ini: \[s\] absent: mandatory key is missing$"):
        parsed.get("s", "absent")


@pytest.mark.parametrize(
    "text, problem",
    [
        ("key = v\n[s]\n", r"line 1: text before the first \[section\] header"),
        ("[s]\nno separator here\n", r"line 2: expected 'key = value'"),
        ("[s]\n= value\n", r"line 2: expected 'key = value'"),
    ],
)
def test_malformed_lines(text, problem):
    with pytest.raises(ConfigError, match=problem):
        ini(text)


def test_crlf_and_latin1(tmp_path):
    path = tmp_path / "f"
    path.write_bytes("# d\xe9faut\r\n[s]\r\nk = v\r\n".encode("latin-1"))
    assert read_ini(path).get("s", "k") == "v"


def test_unreadable_file(tmp_path):
    with pytest.raises(ConfigError, match="not a regular file"):
        read_ini(tmp_path)  # a folder
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # would block a reader for ever
    with pytest.raises(ConfigError, match="fifo: not a regular file$"):
        read_ini(fifo)
    with pytest.raises(ConfigError, match="file not found"):
        read_ini(tmp_path / "absent")


# -- §1.2 etc/config ------------------------------------------------------------------------------


def test_sample_general_config(etc):
    general = load_config(etc).general
    assert general.source_machines_tags == ("tag1", "tag2")
    assert general.pickling_machines == ("tagForTag1", "tagForTag2")
    assert general.machines_to_backup_in_db == ("tag1", "tag2")
    assert general.graphics_upload_machines == ("someColumboMachine", "someOtherColumboMachine")
    assert general.days_of_pickles_to_keep == 21
    assert general.nb_db_backups_to_keep == 20
    assert general.nb_auto_updates_logs_to_keep == 10
    assert general.main_application_language == "en"
    assert general.artifacts_languages == ("en",)
    assert general.web_pages_languages == (("fr", "en"), ("en", "en"))
    assert general.stats_root is None  # no longer in the sample
    assert general.px_root == Path("/apps/px")
    assert general.collection == CollectionSettings(Path("/apps/px/log"), Path("/apps/px/etc"))


def test_sample_time_config(etc):
    time = load_config(etc).time
    assert time.px_stats_frequency == Frequency(1, "hours")
    assert time.monitoring_frequency.minutes == 720
    assert time.db_backups_frequency.minutes == 720
    assert time.pickle_cleaner_frequency.minutes == 1440
    assert time.general_cleaner_frequency.minutes == 1440
    assert time.daily_web_page_updates_frequency == "hourly"
    assert time.weekly_web_page_updates_frequency == "hourly"
    assert time.monthly_web_page_updates_frequency == "weekly"
    assert time.yearly_web_page_updates_frequency == "monthly"
    assert time.total_web_pages_updates_frequency == "daily"


def test_frequency_units_in_minutes():
    assert Frequency(5, "minutes").minutes == 5
    assert Frequency(2, "days").minutes == 2880
    assert Frequency(1, "months").minutes == 43200  # not 0 as in the original
    assert str(Frequency(12, "hours")) == "12/hours"


@pytest.mark.parametrize(
    "key, start, message",
    [
        (
            "sourceMachinesTags",
            "sourceMachinesTags",
            r"\[generalConfig\] sourceMachinesTags: mandatory key is missing",
        ),
        (
            "monitoringFrequency",
            "monitoringFrequency",
            r"\[timeConfig\] monitoringFrequency: mandatory key is missing",
        ),
        (
            "totalWebPagesUpdatesFrequency",
            "totalWebPages",
            r"\[timeConfig\] totalWebPagesUpdatesFrequency: mandatory key is missing",
        ),
    ],
)
def test_missing_mandatory_key_names_file_section_and_key(etc, key, start, message):
    replace_line(etc / "config", start, None)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(etc)
    assert str(info.value).startswith(f"{etc / 'config'}: ")
    assert "\n" not in str(info.value)


def test_stats_root_of_an_original_config_is_read_and_not_needed(etc):
    replace_line(etc / "config", "pxRoot", "statsRoot = /apps/px/pxStats/\npxRoot = /apps/px/")
    assert load_config(etc).general.stats_root == Path("/apps/px/pxStats")
    replace_line(etc / "config", "statsRoot", None)
    assert load_config(etc).general.stats_root is None


def test_missing_section(etc):
    text = (etc / "config").read_text()
    write(etc / "config", text[: text.index("[timeConfig]")])
    with pytest.raises(ConfigError, match=r"config: section \[timeConfig\] is missing$"):
        load_config(etc)
    write(etc / "config", text.replace("[generalConfig]", "[GeneralConfig]"))
    with pytest.raises(ConfigError, match=r"config: section \[generalConfig\] is missing$"):
        load_config(etc)


def test_keys_are_checked_in_file_order(etc):
    write(etc / "config", "[generalConfig]\nstatsRoot = /x\n")
    with pytest.raises(ConfigError, match=r"\[generalConfig\] sourceMachinesTags: mandatory"):
        load_config(etc)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match=f"{tmp_path / 'config'}: file not found"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    "start, line, message",
    [
        (
            "daysOfPicklesToKeep",
            "daysOfPicklesToKeep = many",
            r"daysOfPicklesToKeep: expected a whole number",
        ),
        (
            "daysOfPicklesToKeep",
            "daysOfPicklesToKeep = 1.5",
            r"daysOfPicklesToKeep: expected a whole number",
        ),
        (
            "nbDbBackupsToKeep",
            "nbDbBackupsToKeep = 0",
            r"nbDbBackupsToKeep: expected a whole number",
        ),
        (
            "nbAutoUpdatesLogsToKeep",
            "nbAutoUpdatesLogsToKeep = inf",
            r"nbAutoUpdatesLogsToKeep: expected",
        ),
        (
            "mainApplicationLanguage",
            "mainApplicationLanguage = de",
            r"mainApplicationLanguage: unknown language 'de'",
        ),
        (
            "artifactsLanguages",
            "artifactsLanguages = en,xx",
            r"artifactsLanguages: unknown language 'xx'",
        ),
        (
            "webPagesLanguages",
            "webPagesLanguages = fr:en,en",
            r"webPagesLanguages: expected displayed:files pairs",
        ),
        (
            "webPagesLanguages",
            "webPagesLanguages = fr:de",
            r"webPagesLanguages: unknown language 'de'",
        ),
        (
            "pxRoot",
            "statsRoot = apps/px/pxStats\npxRoot = /apps/px/",
            r"statsRoot: expected an absolute path",
        ),
        ("pxRoot", "pxRoot = relative", r"pxRoot: expected an absolute path"),
        (
            "monitoringFrequency",
            "monitoringFrequency = 12/weeks",
            r"monitoringFrequency: invalid time unit 'weeks'",
        ),
        (
            "dbBackupsFrequency",
            "dbBackupsFrequency = hours",
            r"dbBackupsFrequency: expected N/unit",
        ),
        (
            "pickleCleanerFrequency",
            "pickleCleanerFrequency = 0/hours",
            r"pickleCleanerFrequency: expected N/unit",
        ),
        (
            "dailyWebPage",
            'dailyWebPageUpdatesFrequency = "often"',
            r"dailyWebPageUpdatesFrequency: expected one of hourly",
        ),
    ],
)
def test_invalid_values(etc, start, line, message):
    replace_line(etc / "config", start, line)
    with pytest.raises(ConfigError, match=message):
        load_config(etc)


def test_lenient_value_forms(etc):
    replace_line(etc / "config", "daysOfPicklesToKeep", "daysOfPicklesToKeep = 21.0")
    replace_line(etc / "config", "monitoringFrequency", "monitoringFrequency = ' 6 / days '")
    replace_line(etc / "config", "weeklyWebPage", "weeklyWebPageUpdatesFrequency = Daily")
    replace_line(etc / "config", "graphicsUploadMachines", "graphicsUploadMachines =")
    replace_line(etc / "config", "pxRoot", None)
    config = load_config(etc)
    assert config.general.days_of_pickles_to_keep == 21
    assert config.time.monitoring_frequency == Frequency(6, "days")
    assert config.time.weekly_web_page_updates_frequency == "daily"
    assert config.general.graphics_upload_machines == ()
    assert config.general.px_root == Path("/apps/px")


# -- §1.2.3 [specialGroups] ---------------------------------------------------------------------


def test_sample_groups(etc):
    config = load_config(etc)
    assert [g.name for g in config.groups] == ["AllXy", "AllTotos", "Allxyz"]
    totos = config.group("AllTotos")
    assert totos.machine_tags == ("tag2",)
    assert totos.machines == ("machine3",)
    assert totos.file_type == "tx"
    assert totos.members == ("*toto-y*", "*toto-w*", "*toto-i*", "*toto-d*")
    assert totos.products == ("*",)
    assert config.group("Allxyz").products == ("*ABCD*",)
    assert config.group("AllXy").machines == ("machine1", "machine2")
    assert config.group("allxy") is None  # names keep their case
    assert [g.name for g in config.groups_for(machine="machine1")] == ["AllXy", "Allxyz"]
    assert config.groups_for(file_type="rx") == ()


MACHINES = parse_machines("t1 m1,m2 l,l\nt2 m3 l\n")


def test_group_line_shapes(caplog):
    text = (
        "[generalConfig]\nx = 1\n"
        "[specialGroups]\n"
        "; a comment\n"
        "Five  =  t1 tx members\n"
        "NoEqual  t1 tx a b c\n"
        "Multi = t1,t2,unknown rx amis[12]*,b *\n"
        "Multi = t2 tx other *\n"
        "\n"
        "[timeConfig]\n"
        "After = t1 tx a *\n"
    )
    with caplog.at_level(logging.WARNING, logger="pxstats.config"):
        groups = parse_groups(text, MACHINES, "cfg")
    assert [g.name for g in groups] == ["Multi"]
    multi = groups[0]
    assert multi.machines == ("m1", "m2", "m3")  # unknown tag contributes nothing
    assert multi.file_type == "rx"
    assert multi.members == ("amis[12]*", "b")  # '[' no longer ends the section
    warnings = caplog.text
    assert "cfg, line 5" in warnings and "cfg, line 6" in warnings
    assert "group Multi already defined" in warnings
    assert "unknown machine tag 'unknown'" in warnings


def test_group_header_is_case_sensitive():
    assert parse_groups("[specialgroups]\nG = t1 tx a *\n", MACHINES) == ()


def test_group_header_mentioned_in_a_comment_is_not_a_header():
    text = "# see [specialGroups] below\n[specialGroups]\nG = t1 tx a *\n"
    assert [g.name for g in parse_groups(text, MACHINES)] == ["G"]


def test_group_with_unknown_file_type():
    with pytest.raises(
        ConfigError, match=r"cfg, line 2: \[specialGroups\] G: unknown file type 'TX'"
    ):
        parse_groups("[specialGroups]\nG = t1 TX a *\n", MACHINES, "cfg")


def test_config_without_groups(etc):
    text = (etc / "config").read_text()
    write(etc / "config", text[: text.index("[specialGroups]")])
    assert load_config(etc).groups == ()


# -- §1.3 configForMachines ------------------------------------------------------------------------


def test_sample_machines(etc):
    machines = load_config(etc).machines
    assert machines.machines_of("tag1") == ("machine1", "machine2")
    assert machines.login_of("machine1") == "login1"
    assert machines.machines_of("tag3") == ("machine4", "machine5")
    assert machines.login_of("machine5") == "login2"
    assert machines.machines_of("tagForTag1") == ()
    assert machines.login_of("nowhere") == ""
    assert list(machines.tags) == ["tag1", "tag2", "tag3", "tagx"]


def test_machine_lines(caplog):
    text = (
        "# comment\n"
        "   \n"
        "  # indented comment\n"
        "tagz m1,m2 l1\n"
        "t\tm1,m2\tl1,l2   extra tokens\n"
        "t m3 l3\n"
        "u m1 other\n"
    )
    with caplog.at_level(logging.WARNING, logger="pxstats.config"):
        machines = parse_machines(text, "cfm")
    assert machines.machines_of("tagz") == ()
    assert machines.machines_of("t") == ("m1", "m2", "m3")
    assert machines.login_of("m1") == "other"  # the last one wins
    assert machines.machines_of_tags(["u", "nope", "t"]) == ("m1", "m1", "m2", "m3")
    assert "cfm, line 4: line ignored: 2 machine(s) but 1 login(s)" in caplog.text
    assert "login of m1 changes from 'l1' to 'other'" in caplog.text
    assert "unknown machine tag 'nope'" in caplog.text


@pytest.mark.parametrize(
    "line, message",
    [
        ("tag machine", r"cfm, line 2: expected 'tag machine1,machine2 login1,login2'"),
        ("tag m1,,m2 l1,l2,l3", r"cfm, line 2: empty machine or login name"),
    ],
)
def test_malformed_machine_lines(line, message):
    with pytest.raises(ConfigError, match=message):
        parse_machines(f"t m l\n{line}\n", "cfm")


def test_missing_machine_file(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="pxstats.config"):
        machines = load_machines(tmp_path / "configForMachines")
    assert machines.tags == {} and machines.logins == {}
    assert "file not found" in caplog.text


# -- §1.4 monitoringConf -------------------------------------------------------------------------


def test_sample_monitoring(etc):
    conf = load_monitoring(etc / "monitoringConf")
    assert conf.sender == "pxstats@example.com"
    assert conf.smtp_server == "smtp.example.com"
    assert conf.emails == ("operator@example.com", "backup-operator@example.com")
    assert conf.machines == ("tag1", "tag2")
    assert conf.folders == (
        Path("/apps/px/pxStats/data/graphics"),
        Path("/apps/px/pxStats/data/pickles"),
    )
    assert conf.max_usages == (65, 65)
    assert conf.files == (Path("/apps/px/pxStats/pxstats"), Path("/apps/px/pxStats/bin"))
    assert conf.errors_log_file == Path("/apps/px/pxStats/data/monitoring/PX_Errors.txt")
    assert conf.max_settings_file == Path("/apps/px/pxStats/data/monitoring/maxSettings.conf")


def test_monitoring_trailing_separator_is_ignored(etc):
    replace_line(etc / "monitoringConf", "folders", "folders = /a;/b/;")
    assert load_monitoring(etc / "monitoringConf").folders == (Path("/a"), Path("/b"))


@pytest.mark.parametrize(
    "start, line, message",
    [
        (
            "maxUsages",
            "maxUsages = 65",
            r"\[statsMonitoring\] maxUsages: 1 value\(s\) for 2 folder\(s\)",
        ),
        ("maxUsages", "maxUsages = 65;high", r"maxUsages: expected percentages"),
        ("maxUsages", "maxUsages = 65;101", r"maxUsages: expected percentages"),
        ("sender", None, r"\[statsMonitoring\] sender: mandatory key is missing"),
        ("smtpServer", "smtpServer =", r"smtpServer: empty value"),
        ("emails", "emails = ;", r"emails: empty value"),
        ("folders", "folders = /a;relative", r"folders: expected absolute paths, got 'relative'"),
        ("maxSettingsFile", None, r"maxSettingsFile: mandatory key is missing"),
    ],
)
def test_monitoring_errors(etc, start, line, message):
    replace_line(etc / "monitoringConf", start, line)
    with pytest.raises(ConfigError, match=message) as info:
        load_monitoring(etc / "monitoringConf")
    assert str(info.value).startswith(str(etc / "monitoringConf"))


def test_missing_monitoring_file(tmp_path):
    with pytest.raises(ConfigError, match="monitoringConf: file not found"):
        load_monitoring(tmp_path / "monitoringConf")


# -- load_general: Sundew folders for collection (§2.3) -------------------------------------------


def test_load_general_defaults_without_file(tmp_path):
    settings = load_general(tmp_path / "config")
    assert settings == CollectionSettings(Path("/apps/px/log"), Path("/apps/px/etc"))


def test_load_general_reads_only_px_root(tmp_path):
    path = write(tmp_path / "config", "[generalConfig]\nPXROOT = /opt/sundew/\n")
    assert load_general(path) == CollectionSettings(
        Path("/opt/sundew/log"), Path("/opt/sundew/etc")
    )
    write(path, "[timeConfig]\nmonitoringFrequency = 12/weeks\n")  # not read here
    assert load_general(path) == CollectionSettings()


def test_load_general_with_sample(etc):
    assert load_general(etc / "config") == CollectionSettings(
        Path("/apps/px/log"), Path("/apps/px/etc")
    )


def test_load_general_errors(tmp_path):
    path = write(tmp_path / "config", "pxRoot = /x\n")
    with pytest.raises(ConfigError, match=r"line 1: text before the first \[section\] header"):
        load_general(path)
    write(path, "[generalConfig]\npxRoot = px\n")
    with pytest.raises(ConfigError, match=r"\[generalConfig\] pxRoot: expected an absolute path"):
        load_general(path)
    (tmp_path / "folder").mkdir()
    with pytest.raises(ConfigError, match="not a regular file"):
        load_general(tmp_path / "folder")


# -- samples --------------------------------------------------------------------------------------


def test_clean_dir_sample_has_a_logfile_and_only_commented_rules():
    lines = [l for l in (ETC / "clean_dir.conf.sample").read_text().splitlines() if l.strip()]
    rules = [l for l in lines if not l.startswith("#")]
    assert rules == ["LOGFILE              cleaner.log"]
