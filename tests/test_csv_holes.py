"""csvDataConversion and an unreadable database (issue 11 item 9): a truncated RRD made the
CSV hold "None" cells and the run exit 0; now the run fails naming the database, and the
previous CSV stays in place."""

from test_csv_export import T28, root, run, week, week_template  # noqa: F401 (fixtures)

from pxstats.rrd import schema


def test_truncated_database_is_exit_1_naming_it_and_keeps_the_csv(week, root, capsys):  # noqa: F811
    path = root / "data/csvFiles/weekly/tx/tag1/2007/52.csv"
    assert run(root, *T28) == 0
    good = path.read_bytes()
    capsys.readouterr()
    db = schema.db_path(week, "latency", "c1", ["machine1", "machine2"])
    size = db.stat().st_size
    with open(db, "r+b") as handle:
        handle.truncate(size // 2)
    assert run(root, *T28) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("csvDataConversion: error: ")
    assert str(db) in err and "unreadable" in err
    assert path.read_bytes() == good
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    log = (root / "data/logs/csvDataConversion.log").read_text()
    assert str(db) in log.splitlines()[-1]
