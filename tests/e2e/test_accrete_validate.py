"""`accrete validate` on files a user brings: verdicts, exit codes, and bad input refused whole."""

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from accrete.cli.main import accrete
from accrete.ingest.replay import replay
from accrete.spec import load_spec
from accrete.validation.expectations import SUITE_CHECK
from accrete.validation.gates import applicable_gates
from bench.adult import load_adult
from tests.conftest import ADULT_SPEC, REPO

FLIGHTS = REPO / "datasets" / "flights"

ROWS = 3_000
ACCRETE = Path(sys.executable).parent / "accrete"


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    with duckdb.connect() as connection:
        connection.register("frame", frame)
        connection.execute(f"copy frame to '{path}' (format parquet)")
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """Real Adult rows as a user would have them: training rows, a holdout, and unseen real rows."""
    folder = tmp_path_factory.mktemp("files")
    train = load_adult("train").sample(n=ROWS, random_state=0)
    unseen = load_adult("test").sample(n=2 * ROWS, random_state=0)
    train.to_csv(folder / "train.csv", index=False)
    unseen.iloc[:ROWS].to_csv(folder / "holdout.csv", index=False)
    write_parquet(unseen.iloc[ROWS:], folder / "honest.parquet")
    return folder


def arguments(files: Path, synthetic: Path, *extra: str) -> list[str]:
    return [
        "validate",
        "--spec",
        str(ADULT_SPEC),
        "--real",
        str(files / "train.csv"),
        "--holdout",
        str(files / "holdout.csv"),
        "--synthetic",
        str(synthetic),
        *extra,
    ]


def test_real_rows_the_generator_never_saw_pass_every_gate(files: Path, tmp_path: Path):
    """The installed console script, on CSV and Parquet files: exit 0, every verdict in the JSON."""
    verdicts, report = tmp_path / "out" / "verdicts.json", tmp_path / "out" / "report.html"
    run = subprocess.run(
        [
            str(ACCRETE),
            *arguments(files, files / "honest.parquet", "--json", str(verdicts), "--html", str(report)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    gates = json.loads(verdicts.read_text())["gates"]
    gate_names = {gate.name for gate in applicable_gates(load_spec(ADULT_SPEC))}
    assert set(gates) == {SUITE_CHECK} | gate_names
    assert all(gate["passed"] and gate["summary"] and gate["metrics"] for gate in gates.values())
    assert gates["fidelity"]["ceilings"]["quality"] > 0.9
    assert report.read_text().startswith("<!DOCTYPE html>")
    assert f"{len(gates)} of {len(gates)} gates passed" in run.stdout


def test_a_copy_of_the_training_rows_fails_with_exit_code_1(files: Path, tmp_path: Path):
    verdicts = tmp_path / "verdicts.json"
    result = CliRunner().invoke(accrete, arguments(files, files / "train.csv", "--json", str(verdicts)))
    assert result.exit_code == 1, result.output
    gates = json.loads(verdicts.read_text())["gates"]
    assert not gates["exact_copies"]["passed"] and not gates["distance_to_closest_record"]["passed"]
    assert gates["spec_expectations"]["passed"]
    assert "FAIL  exact_copies" in result.output


def broken_copy(files: Path, name: str, change) -> Path:
    frame = pd.read_csv(files / "holdout.csv")
    path = files / name
    change(frame).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("make_file", "message"),
    [
        (
            lambda f: broken_copy(f, "no_age.csv", lambda t: t.drop(columns="age")),
            "column(s) age of the adult spec are missing",
        ),
        (
            lambda f: broken_copy(
                f,
                "text_age.csv",
                lambda t: t.assign(age=t["age"].astype(str).where(t.index != t.index[0], "forty")),
            ),
            "column 'age': 1 value(s) are not an integer, e.g. 'forty'",
        ),
        (
            lambda f: broken_copy(f, "half_age.csv", lambda t: t.assign(age=t["age"] + 0.5)),
            "value(s) are not an integer, e.g. ",
        ),
        (lambda f: f / "absent.csv", "absent.csv: file not found"),
        (
            lambda f: broken_copy(f, "rows.xlsx", lambda t: t),
            "unknown file type '.xlsx'; use .csv or .parquet",
        ),
        (lambda f: broken_copy(f, "empty.csv", lambda t: t.head(0)), "empty.csv: the file has no rows"),
    ],
    ids=["missing-column", "text-in-integer", "fraction-in-integer", "no-file", "unknown-type", "no-rows"],
)
def test_bad_input_is_refused_with_exit_code_2_and_nothing_written(
    files: Path, tmp_path: Path, make_file, message
):
    verdicts, report = tmp_path / "verdicts.json", tmp_path / "report.html"
    synthetic = make_file(files)
    result = CliRunner().invoke(
        accrete, arguments(files, synthetic, "--json", str(verdicts), "--html", str(report))
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not verdicts.exists() and not report.exists()


def test_a_spec_that_does_not_exist_is_named(files: Path, tmp_path: Path):
    args = arguments(files, files / "honest.parquet")
    args[args.index("--spec") + 1] = str(tmp_path / "nowhere.yaml")
    result = CliRunner().invoke(accrete, args)
    assert result.exit_code == 2
    assert "nowhere.yaml: spec file not found" in result.output


def test_landing_format_files_are_read_as_staging_reads_them(tmp_path: Path):
    """Flights days as delivered: empty missing times, time_hour in the spec's datetime format."""
    from datetime import date

    spec = load_spec(FLIGHTS / "spec.yaml")
    days = replay(spec, FLIGHTS, tmp_path, [date(2013, 1, day) for day in (1, 2, 3)])
    first, second, third = (pd.read_csv(path, dtype=str, keep_default_na=False) for path in days)
    assert (first["dep_time"] == "").any() and first["time_hour"].str.endswith("Z").all()
    pd.concat([first, second]).to_csv(tmp_path / "train.csv", index=False)
    holdout = third.sample(frac=0.5, random_state=0)
    holdout.to_csv(tmp_path / "holdout.csv", index=False)
    third.drop(holdout.index).to_csv(tmp_path / "synthetic.csv", index=False)
    verdicts = tmp_path / "verdicts.json"
    result = CliRunner().invoke(
        accrete,
        [
            "validate",
            "--spec",
            str(FLIGHTS / "spec.yaml"),
            "--real",
            str(tmp_path / "train.csv"),
            "--holdout",
            str(tmp_path / "holdout.csv"),
            "--synthetic",
            str(tmp_path / "synthetic.csv"),
            "--json",
            str(verdicts),
        ],
    )
    assert result.exit_code in (0, 1), result.output
    gates = json.loads(verdicts.read_text())["gates"]
    assert gates["spec_expectations"]["passed"], gates["spec_expectations"]["summary"]
    assert gates["exact_copies"]["passed"], gates["exact_copies"]["summary"]
    assert gates["distance_to_closest_record"]["passed"], gates["distance_to_closest_record"]["summary"]
