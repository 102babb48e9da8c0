"""bench/real_bench.py without a network or a lab: people and their CSV, the site check, medians, ratios,
targets, the tables, the lab.env, the commands the sides run."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "bench"))

import raw_enrol  # noqa: E402
import real_bench  # noqa: E402


def options(*argv):
    return real_bench.parse_args(["--lab", "bench"] + list(argv))


def test_people_are_unique_and_name_their_size():
    hundred = real_bench.people(100)
    thousand = real_bench.people(1000)
    assert len(hundred) == 100 and len({p["email"] for p in hundred}) == 100
    assert hundred[0]["email"] == "bench-100-00@example.org" and hundred[-1]["email"] == "bench-100-99@example.org"
    assert thousand[7]["email"] == "bench-1000-007@example.org"
    assert not {p["email"] for p in hundred} & {p["email"] for p in thousand}
    assert all(p["email"] == p["email"].lower() for p in thousand)


def test_the_csv_the_sides_read_is_the_people(tmp_path):
    path = str(tmp_path / "people.csv")
    group = real_bench.people(12)
    real_bench.write_csv(path, group)
    with open(path, encoding="utf-8") as handle:
        assert handle.readline() == "email,firstname,lastname\n"
    assert raw_enrol.read_people(path) == group


def run(size, run_name, side, seconds, rss=10.0):
    return {"size": size, "run": run_name, "side": side, "seconds": seconds, "rss_mib": rss}


def test_a_row_is_the_median_its_range_and_the_largest_rss():
    rows = real_bench.summarise(
        [run(100, "new", "playbook", s, r) for s, r in ((4.0, 58), (3.0, 60), (9.0, 57))]
        + [run(100, "new", "raw-seq", s) for s in (1.0, 3.0)]
    )
    assert rows[(100, "new", "playbook")] == {"median": 4.0, "low": 3.0, "high": 9.0, "rss_mib": 60, "count": 3}
    assert rows[(100, "new", "raw-seq")]["median"] == 2.0
    assert real_bench.ratio_to_baseline(rows, (100, "new", "playbook")) == 2.0
    assert real_bench.ratio_to_baseline(rows, (100, "new", "raw-seq")) == 1.0


def test_no_ratio_without_the_sequential_script():
    rows = real_bench.summarise([run(100, "new", "playbook", 4.0)])
    assert real_bench.ratio_to_baseline(rows, (100, "new", "playbook")) is None


def all_targets_runs(playbook_new, playbook_again, raw_new, raw_again, naive, rss):
    return [
        run(10000, "new", "raw-seq", raw_new),
        run(10000, "new", "playbook", playbook_new, rss),
        run(10000, "again", "raw-seq", raw_again),
        run(10000, "again", "playbook", playbook_again, rss - 1),
        run(1000, "again", "raw-seq", raw_again),
        run(1000, "again", "playbook", playbook_again),
        run(100, "new", "playbook", playbook_new),
        run(100, "new", "naive", naive),
        run(100, "new", "naive-per-person", naive * 2),
        run(100, "new", "module", playbook_new / 2),
    ]


def test_targets_met():
    rows = real_bench.summarise(all_targets_runs(30.0, 10.0, 60.0, 10.0, 1500.0, 150.0))
    values = {t["label"]: (t["value"], t["met"]) for t in real_bench.target_values(rows)}
    assert values == {
        "playbook / raw-seq, 10,000 new": (0.5, True),
        "playbook / raw-seq, 10,000 again": (1.0, True),
        "playbook - raw-seq, 1,000 again": (0.0, True),
        "naive per person / playbook, 100 new": (100.0, True),
        "naive loop / playbook, 100 new": (50.0, True),
        "naive per person / one moodle_enrol task, 100 new": (200.0, True),
        "naive loop / one moodle_enrol task, 100 new": (100.0, True),
        "playbook peak RSS, 10,000": (150.0, True),
    }


def test_targets_not_met():
    rows = real_bench.summarise(all_targets_runs(40.0, 12.0, 60.0, 10.0, 1000.0, 200.0))
    values = {t["label"]: (round(t["value"], 3), t["met"]) for t in real_bench.target_values(rows)}
    assert values == {
        "playbook / raw-seq, 10,000 new": (0.667, False),
        "playbook / raw-seq, 10,000 again": (1.2, False),
        "playbook - raw-seq, 1,000 again": (2.0, False),
        "naive per person / playbook, 100 new": (50.0, True),
        "naive loop / playbook, 100 new": (25.0, False),
        "naive per person / one moodle_enrol task, 100 new": (100.0, True),
        "naive loop / one moodle_enrol task, 100 new": (50.0, True),
        "playbook peak RSS, 10,000": (200.0, False),
    }


def test_targets_without_their_runs_are_not_measured():
    rows = real_bench.summarise([run(100, "new", "raw-seq", 1.0), run(100, "new", "playbook", 3.0)])
    assert [t["met"] for t in real_bench.target_values(rows)] == [None] * 8
    assert real_bench.targets_table(rows).count("not measured") == 8


def test_the_table_has_a_row_per_size_run_and_side_in_order_with_rss_for_the_playbook_only():
    rows = real_bench.summarise(
        [
            run(100, "again", "playbook", 3.5, 57.6),
            run(100, "new", "playbook", 4.0, 58.2),
            run(100, "new", "raw-seq", 1.0, 30),
            run(100, "again", "raw-seq", 0.5, 30),
            run(100, "new", "raw-par", 0.8, 30),
        ]
    )
    lines = real_bench.table(rows, options("--sizes", "100", "--playbook-extra", "-e moodle_parallel=4")).splitlines()
    assert lines[0] == "| size | run | side | median s | range s | / raw-seq | peak RSS MiB |"
    assert lines[2:] == [
        "| 100 | new | raw-seq | 1.00 | 1.00-1.00 | 1.00 |  |",
        "| 100 | new | raw-par (4) | 0.80 | 0.80-0.80 | 0.80 |  |",
        "| 100 | new | playbook (-e moodle_parallel=4) | 4.00 | 4.00-4.00 | 4.00 | 58 |",
        "| 100 | again | raw-seq | 0.50 | 0.50-0.50 | 1.00 |  |",
        "| 100 | again | playbook (-e moodle_parallel=4) | 3.50 | 3.50-3.50 | 7.00 | 58 |",
    ]


def test_the_report_names_the_machine_the_site_and_a_failure():
    machine = {
        "release": "4.4.3+",
        "db": "pgsql",
        "lab": "bench",
        "nproc": 2,
        "memory_gib": 23.5,
        "load_start": "0.50 0.60 0.70",
        "load_end": "1.00 0.90 0.80",
        "commit": "abc1234",
        "python": "3.11.7",
        "ansible_core": "2.19.14",
        "started": "2026-01-01 10:00",
        "command": "bench/real_bench.py --lab bench",
    }
    text = real_bench.report({}, machine, options(), failure="playbook, 100 new (run 1 of 3) left the site wrong")
    assert "Moodle 4.4.3+ on pgsql (lab `bench`), PHP max_input_vars 5000" in text
    assert "2 CPUs, 23.5 GiB memory, load average 0.50 0.60 0.70 at the start, 1.00 0.90 0.80 at the end" in text
    assert "commit abc1234" in text
    assert "**FAILED:** playbook, 100 new" in text


def test_the_site_check_finds_missing_duplicated_and_non_members():
    emails = ["a@x.org", "b@x.org", "c@x.org", "d@x.org"]
    users = [
        {"id": 1, "email": "a@x.org"},
        {"id": 2, "email": "b@x.org"},
        {"id": 3, "email": "B@x.org"},
        {"id": 4, "email": "c@x.org"},
    ]
    assert real_bench.problems(emails, users, [1, 2, 3]) == [
        "1 without an account (d@x.org)",
        "1 with more than one account (b@x.org)",
        "1 not in the cohort (c@x.org)",
    ]
    assert real_bench.problems(emails[:3], [users[0], users[1], users[3]], [1, 2, 4, 99]) == []


def test_lab_env_is_read_and_found_from_the_tools_output(tmp_path):
    path = tmp_path / "lab.env"
    path.write_text("# a comment\nMOODLE_BASE_URL=http://127.0.0.1:1\nMOODLE_TOKEN=abc=def\n\n")
    assert real_bench.read_env_file(str(path)) == {"MOODLE_BASE_URL": "http://127.0.0.1:1", "MOODLE_TOKEN": "abc=def"}
    output = "MOODLE_BASE_URL=http://x\nMOODLE_TOKEN=<in /l/lab.env>\nMOODLE_LAB_HOME=/srv/checkout/build/lab/bench\n"
    assert real_bench.env_file_from_tool_output(output) == "/srv/checkout/build/lab/bench/lab.env"
    with pytest.raises(real_bench.BenchError):
        real_bench.env_file_from_tool_output("MOODLE_BASE_URL=http://x\n")


def test_tokens_are_scrubbed_from_what_is_shown():
    values = {"MOODLE_TOKEN": "a" * 32, "MOODLE_LAB_TOKEN_FULL": "b" * 32, "MOODLE_BASE_URL": "http://x"}
    assert real_bench.scrub("x %s y %s http://x" % ("a" * 32, "b" * 32), values) == "x <token> y <token> http://x"


def test_the_sides_get_the_lab_in_their_environment_and_no_other_moodle_setting(monkeypatch):
    monkeypatch.setenv("MOODLE_VALIDATE_CERTS", "false")
    values = {"MOODLE_BASE_URL": "http://x", "MOODLE_TOKEN": "t", "MOODLE_ONEMEMBERSHIP_COHORT_ID": "1"}
    env = real_bench.side_environment(values)
    assert {key: value for key, value in env.items() if key.startswith("MOODLE_")} == values
    assert env["ANSIBLE_COLLECTIONS_PATH"]


def test_the_commands_carry_no_token_and_the_playbook_gets_its_extra_arguments():
    opts = options("--playbook-extra", "-e moodle_parallel=4", "--playbook-extra=-e moodle_timeout=60")
    playbook = real_bench.side_command("playbook", "/w/p.csv", "/w/p.json", opts)
    assert playbook[1:] == [
        "dsenroll.moodle.enrol",
        "-e",
        "moodle_enrol_users_csv=/w/p.csv",
        "-e",
        "moodle_max_input_vars=5000",
        "-e",
        "moodle_parallel=4",
        "-e",
        "moodle_timeout=60",
    ]
    raw = real_bench.side_command("raw-par", "/w/p.csv", "/w/p.json", opts)
    assert raw[-5:] == ["/w/p.csv", "--max-input-vars", "5000", "--parallel", "4"]
    assert real_bench.side_command("raw-seq", "/w/p.csv", "/w/p.json", opts)[-1] == "5000"
    naive = real_bench.side_command("naive", "/w/p.csv", "/w/p.json", opts)
    assert naive[1].endswith("naive_uri.yml") and naive[2:] == ["-e", "@/w/p.json"]
    module = real_bench.side_command("module", "/w/p.csv", "/w/p.json", opts)
    assert module[1].endswith("enrol_task.yml") and module[2:4] == ["-e", "users_csv=/w/p.csv"]


def test_options_defaults_and_the_naive_sides_only_at_small_sizes():
    opts = options()
    assert (opts.sizes, opts.repeat, opts.sides, opts.playbook_extra) == (
        [100, 1000, 10000],
        3,
        ["raw-seq", "raw-par", "playbook", "naive"],
        [],
    )
    assert real_bench.sides_for(100, opts) == ["raw-seq", "raw-par", "playbook", "naive"]
    assert real_bench.sides_for(1000, opts) == ["raw-seq", "raw-par", "playbook"]
    # The naive sides run once (--naive-repeat), for new people only.
    assert real_bench.sides_for(100, opts, attempt=1) == ["raw-seq", "raw-par", "playbook"]
    assert real_bench.runs_of("naive") == ("new",) and real_bench.runs_of("playbook") == ("new", "again")
    assert real_bench.rotated(["a", "b", "c"], 4) == ["b", "c", "a"]
    with pytest.raises(SystemExit):
        real_bench.parse_args(["--sizes", "100"])  # neither --lab nor --lab-env


def test_the_raw_scripts_account_is_its_last_line():
    assert real_bench.raw_details('noise\n{"people": 3, "created": 3}\n') == {"people": 3, "created": 3}
    assert real_bench.raw_details("") is None
    assert real_bench.raw_details("Traceback\n") is None
