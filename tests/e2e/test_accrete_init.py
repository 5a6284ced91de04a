"""`accrete init` on real files: a spec that loads and passes its own file at the door, exit codes,
an existing spec kept, and bad files refused with nothing written."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from accrete.cli.main import accrete
from accrete.ingest.landing import LandingFile, file_sha256, read_landing_file
from accrete.spec import load_spec
from tests.conftest import ADULT_LANDING, REPO

ACCRETE = Path(sys.executable).parent / "accrete"
CREDIT_FILE = REPO / "landing" / "credit" / "UCI_Credit_Card.csv.gz"
CREDIT_SPEC = REPO / "datasets" / "credit" / "spec.yaml"


def init(*arguments: object):
    return CliRunner().invoke(accrete, ["init", *map(str, arguments)])


@pytest.fixture(scope="module")
def credit(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The installed console script on the bundled credit-card file, as a user runs it."""
    out = tmp_path_factory.mktemp("datasets")
    run = subprocess.run(
        [str(ACCRETE), "init", str(CREDIT_FILE), "--name", "credit", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return out / "credit" / "spec.yaml", run


def test_the_credit_file_drafts_a_spec_that_loads_with_its_headers_as_sources(credit):
    path, run = credit
    assert run.returncode == 0, run.stdout + run.stderr
    spec = load_spec(path)
    assert len(spec.columns) == 34 and spec.format.header and spec.landing.pattern == "*.csv.gz"
    assert spec.identifier_columns == ["id"]
    target = spec.columns["default_payment_next_month"]
    assert (target.type, target.source) == ("boolean", "default-payment-next-month")
    limit = spec.columns["limit_bal"]
    assert (limit.source, limit.integer, limit.min, limit.max) == ("LIMIT_BAL", True, 10_000, 1_000_000)
    assert spec.target is None and spec.sensitive == []
    assert "guessed on the first 10,000 rows, checked on all 30,000" in run.stdout
    assert "age: max widened from 75 to 79 by rows beyond the sample" in run.stdout
    assert "sensitive candidates: sex, age, marriage_0" in run.stdout
    assert "put the files in landing/credit/ and run `make run DATASET=credit`" in run.stdout


def test_the_drafted_spec_accepts_its_own_file_at_the_landing_check(credit):
    path, _ = credit
    landing_file = LandingFile(path=CREDIT_FILE, sha256=file_sha256(CREDIT_FILE), batch="UCI_Credit_Card")
    batch = read_landing_file(landing_file, load_spec(path))
    assert len(batch.rows) == 30_000 and batch.quarantined.empty
    assert "default_payment_next_month" in batch.rows.columns


def comment_lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.lstrip().startswith("#")]


EDITED_BY_HAND = ("target", "sensitive", "description", "source", "licence")
"""The keys the bundled credit spec sets after `accrete init`: what the draft asks the user to edit."""


def test_the_bundled_credit_spec_is_inits_output_with_only_the_fields_it_asks_to_edit_set(credit):
    path, _ = credit
    drafted, bundled = yaml.safe_load(path.read_text()), yaml.safe_load(CREDIT_SPEC.read_text())
    edited = {key: bundled.pop(key) for key in EDITED_BY_HAND}
    assert edited["target"] == "default_payment_next_month" and edited["sensitive"] == ["sex", "age"]
    assert edited["licence"] == "CC BY 4.0" and "doi:10.24432/C55S3H" in edited["source"]
    assert all(edited[key] != drafted[key] for key in EDITED_BY_HAND)
    assert {key: value for key, value in drafted.items() if key not in EDITED_BY_HAND} == bundled
    assert comment_lines(path) == comment_lines(CREDIT_SPEC)  # every reason, as init wrote it


def test_an_existing_spec_is_kept_unless_forced(tmp_path):
    day = tmp_path / "2024-03-01.csv"
    day.write_text(
        "shop,opened,sales\n" + "".join(f"s{i % 3},2024-03-01 0{i % 10}:00:00,{i}.5\n" for i in range(30))
    )
    first = init(day, "--name", "shops", "--out", tmp_path)
    assert first.exit_code == 0, first.output
    spec = tmp_path / "shops" / "spec.yaml"
    assert "the file is named after a day: if one file arrives per day" in spec.read_text()
    spec.write_text(spec.read_text().replace("target: null", "target: sales"))
    kept = init(day, "--name", "shops", "--out", tmp_path)
    assert kept.exit_code == 2 and "spec.yaml already exists: pass --force to replace it" in kept.output
    assert "target: sales" in spec.read_text()
    forced = init(day, "--name", "shops", "--out", tmp_path, "--force")
    assert forced.exit_code == 0, forced.output
    assert "target: null" in spec.read_text()
    assert load_spec(spec).columns["opened"].datetime_format == "%Y-%m-%d %H:%M:%S"


def test_a_headerless_file_with_missing_tokens(tmp_path):
    result = init(ADULT_LANDING / "adult-train.csv.gz", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    spec = load_spec(tmp_path / "adult_train" / "spec.yaml")  # the name comes from the file
    assert not spec.format.header and spec.format.missing_tokens == ["", "?"]
    assert list(spec.columns)[:2] == ["column_1", "column_2"]
    assert spec.imputation.columns == ["column_2", "column_7", "column_14"]


def ragged_after_the_sniffed_bytes(folder: Path) -> Path:
    """A row short of a field after the first 64 KiB, which only the whole-file read reaches."""
    rows = "".join(f"{i},{i % 7},label{i % 3}\n" for i in range(8_000))
    path = folder / "ragged.csv.gz"
    path.write_bytes(gzip.compress(f"id,count,label\n{rows}1,2\n".encode()))
    return path


@pytest.mark.parametrize(
    ("make_file", "message"),
    [
        (lambda folder: folder / "absent.csv", "absent.csv: file not found"),
        (lambda folder: folder / "empty.csv", "empty.csv: the file is empty"),
        (lambda folder: folder / "header.csv", "header.csv: the file has a header but no rows"),
        (lambda folder: folder / "picture.csv", "picture.csv: not a CSV or Parquet file"),
        (lambda folder: folder / "twice.csv", "twice.csv: the header names a column more than once: 'b'"),
        (ragged_after_the_sniffed_bytes, "ragged.csv.gz: the file cannot be read as it began"),
    ],
)
def test_a_bad_file_exits_2_naming_it_and_writes_nothing(tmp_path, make_file, message):
    files = tmp_path / "files"
    files.mkdir()
    (files / "empty.csv").write_bytes(b"")
    (files / "header.csv").write_text("a,b,c\n")
    (files / "picture.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    (files / "twice.csv").write_text("a,b,b\n1,2,3\n")
    path = make_file(files)
    out = tmp_path / "datasets"
    result = init(path, "--name", "bad", "--out", out)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


def test_a_bad_dataset_name_exits_2(tmp_path):
    result = init(CREDIT_FILE, "--name", "Credit Cards", "--out", tmp_path)
    assert (
        result.exit_code == 2 and "--name 'Credit Cards': a dataset name is lower_snake_case" in result.output
    )
    assert list(tmp_path.iterdir()) == []
