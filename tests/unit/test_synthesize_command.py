"""`accrete synthesize` and `accrete.synthesize` on real Adult rows, with a two-epoch generator."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from accrete.cli import synthesize_command
from accrete.cli.main import accrete
from accrete.generator.base import GeneratorError
from accrete.spec import load_spec
from accrete.synthesize import synthesize
from accrete.table_files import read_training_table
from tests.conftest import ADULT_SPEC
from tests.unit.adult_sample import adult_rows

ROWS = 400


def write_spec(folder: Path, name: str, **changes) -> Path:
    """Adult's spec with a quick generator, and ``changes`` to its top-level keys."""
    spec = yaml.safe_load(ADULT_SPEC.read_text())
    spec["generator"]["settings"] = {"epochs": 2, "max_seconds": 20}
    path = folder / name
    path.write_text(yaml.safe_dump({**spec, **changes}))
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """Real Adult rows as a user would have them (the spec's column keys), and the quick spec."""
    folder = tmp_path_factory.mktemp("synthesize")
    adult_rows(3_000).to_csv(folder / "adult.csv", index=False)
    write_spec(folder, "spec.yaml")
    return folder


def run(files: Path, out: Path, *extra: str, spec: Path | None = None, data: Path | None = None):
    arguments = ["synthesize", "--spec", str(spec or files / "spec.yaml")]
    arguments += ["--data", str(data or files / "adult.csv"), "--rows", str(ROWS), "--out", str(out)]
    return CliRunner().invoke(accrete, [*arguments, *extra])


def read_parquet(path: Path) -> pd.DataFrame:
    with duckdb.connect() as connection:
        return connection.execute("select * from read_parquet(?)", [str(path)]).df()


def test_the_rows_have_the_spec_columns_and_types(files: Path, tmp_path: Path):
    out = tmp_path / "made" / "adult.parquet"
    result = run(files, out)
    assert result.exit_code == 0, result.output
    spec = load_spec(files / "spec.yaml")
    rows = read_parquet(out)
    assert list(rows.columns) == spec.training_schema.names and len(rows) == ROWS
    assert rows["age"].dtype == "int64" and rows["workclass_was_missing"].dtype == bool
    assert rows["age"].between(17, 90).all() and set(rows["income"]) <= {"<=50K", ">50K"}
    assert f"{ROWS:,} rows of {len(rows.columns)} columns; fit on 3,000 rows" in result.output
    assert "rule education_num_by_education kept" in result.output and f"Wrote {out}" in result.output
    read_back, _ = read_training_table(out, spec)  # what `accrete validate` judges
    assert len(read_back) == ROWS and [path.name for path in out.parent.iterdir()] == ["adult.parquet"]


def test_a_private_generator_says_what_it_spent(files: Path, tmp_path: Path):
    spec = yaml.safe_load((files / "spec.yaml").read_text())
    spec["columns"]["fnlwgt"]["max"] = 1_500_000  # a private layout needs both bounds
    spec["generator"]["privacy"] = {"epsilon": 2.0, "epochs": 2}
    private = write_spec(
        tmp_path, "private.yaml", columns=spec["columns"], rules=[], generator=spec["generator"]
    )
    out = tmp_path / "private.csv"
    result = run(files, out, spec=private)
    assert result.exit_code == 0, result.output
    assert "Generator trained with (2, 1e-05)-differential privacy: epsilon spent" in result.output
    assert "Generator trained without differential privacy" in run(files, tmp_path / "plain.csv").output


def test_the_same_seed_writes_the_same_file(files: Path, tmp_path: Path):
    first, second, other = tmp_path / "first.csv", tmp_path / "second.csv", tmp_path / "other.csv"
    for out, seed in ((first, "5"), (second, "5"), (other, "6")):
        assert run(files, out, "--seed", seed).exit_code == 0
    assert first.read_bytes() == second.read_bytes() != other.read_bytes()
    assert len(pd.read_csv(first)) == ROWS


def test_the_python_function_keeps_the_spec_rules(files: Path):
    """Adult's dependency rule: one education_num for each education, the one the real rows have."""
    rows = synthesize(load_spec(files / "spec.yaml"), files / "adult.csv", 2_000, seed=1)
    real = adult_rows(3_000).groupby("education")["education_num"].agg(set)
    drawn = rows.groupby("education")["education_num"].agg(set)
    assert len(drawn) > 5 and all(drawn[education] == real[education] for education in drawn.index)


def test_the_spec_conditions_hold(files: Path):
    spec = load_spec(write_spec(files, "women.yaml", synthetic={"rows": 10, "conditions": {"sex": "Female"}}))
    assert set(synthesize(spec, files / "adult.csv", 300)["sex"]) == {"Female"}


def test_the_python_function_refuses_fewer_than_one_row(files: Path):
    with pytest.raises(GeneratorError, match="rows must be at least 1, got 0"):
        synthesize(load_spec(files / "spec.yaml"), files / "adult.csv", 0)


def bad_data(files: Path, name: str, text: str) -> Path:
    (files / name).write_text(text)
    return files / name


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (lambda f: {"spec": f / "nowhere.yaml"}, "nowhere.yaml: spec file not found"),
        (lambda f: {"data": f / "absent.csv"}, "absent.csv: file not found"),
        (
            lambda f: {"data": bad_data(f, "broken.parquet", "not parquet")},
            "broken.parquet: cannot be read",
        ),
        (
            lambda f: {
                "data": bad_data(f, "no_age.csv", pd.read_csv(f / "adult.csv").drop(columns="age").to_csv())
            },
            "column(s) age of the adult spec are missing",
        ),
        (lambda f: {"extra": ("--rows", "0")}, "Invalid value for '--rows': 0 is not in the range x>=1"),
        (lambda f: {"out": "rows.txt"}, "rows.txt: unknown output type '.txt'; use .csv or .parquet"),
        (
            lambda f: {
                "spec": write_spec(f, "impossible.yaml", synthetic={"rows": 10, "conditions": {"age": 200}})
            },
            "condition age=200 lies outside the trained range",
        ),
    ],
    ids=[
        "no-spec",
        "no-data",
        "unreadable-data",
        "missing-column",
        "no-rows",
        "unknown-output",
        "impossible",
    ],
)
def test_bad_input_is_refused_with_exit_code_2_and_nothing_written(
    files: Path, tmp_path: Path, arguments, message
):
    given = arguments(files)
    out = tmp_path / "out" / given.get("out", "rows.csv")
    result = run(files, out, *given.get("extra", ()), spec=given.get("spec"), data=given.get("data"))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.parent.exists()


def test_a_failing_write_leaves_no_file(files: Path, tmp_path: Path, monkeypatch):
    def write_half(rows: pd.DataFrame, path: Path) -> None:
        rows.head(10).to_csv(path)
        raise OSError("No space left on device")

    monkeypatch.setitem(synthesize_command.WRITERS, ".csv", write_half)
    out = tmp_path / "rows.csv"
    with pytest.raises(OSError, match="No space left"):
        CliRunner().invoke(
            accrete,
            ["synthesize", "--spec", str(files / "spec.yaml"), "--data", str(files / "adult.csv")]
            + ["--rows", "20", "--out", str(out)],
            catch_exceptions=False,
        )
    assert list(tmp_path.iterdir()) == []
