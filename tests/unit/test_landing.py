"""Landing files: accepted whole or rejected with a message naming the file, column and lines."""

import gzip
from pathlib import Path

import pytest

from accrete.ingest.landing import (
    LandingFile,
    LandingFileError,
    file_sha256,
    find_landing_files,
    read_landing_file,
)
from accrete.spec import DatasetSpec

GOOD_ROW = "39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 2174, 0, 40, United-States, <=50K"


def landing_file(folder: Path, name: str, lines: list[str], compress: bool = True) -> LandingFile:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(line + "\n" for line in lines)
    if compress:
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)
    return LandingFile(path=path, sha256=file_sha256(path), batch=path.name.split(".")[0])


def with_value(column: int, value: str) -> str:
    values = GOOD_ROW.split(", ")
    values[column] = value
    return ", ".join(values)


def test_reads_real_rows_as_delivered(adult_spec, small_landing):
    files = find_landing_files(adult_spec, small_landing)
    assert [file.batch for file in files] == ["adult-test", "adult-train"]
    frame = read_landing_file(files[1], adult_spec)
    assert len(frame) == 1500
    assert list(frame.columns) == ["_line", *adult_spec.columns]
    assert frame.loc[0, "_line"] == 1
    assert frame.loc[0, "workclass"] == " State-gov"  # raw stays raw: staging trims


def test_test_batch_labels_with_a_dot_are_known_aliases(adult_spec, small_landing):
    test_batch = find_landing_files(adult_spec, small_landing)[0]
    assert read_landing_file(test_batch, adult_spec)["income"].str.strip().isin(["<=50K.", ">50K."]).all()


def test_missing_landing_folder_and_no_matching_file(adult_spec, tmp_path):
    with pytest.raises(LandingFileError, match="does not exist"):
        find_landing_files(adult_spec, tmp_path)
    (tmp_path / "adult").mkdir()
    (tmp_path / "adult" / "notes.txt").write_text("hello")
    with pytest.raises(LandingFileError, match="no file in .* matches 'adult-\\*.csv.gz'"):
        find_landing_files(adult_spec, tmp_path)


def test_landing_file_deleted_before_reading(adult_spec, tmp_path):
    file = landing_file(tmp_path, "adult-x.csv.gz", [GOOD_ROW])
    file.path.unlink()
    with pytest.raises(LandingFileError, match="not found"):
        read_landing_file(file, adult_spec)


def test_empty_file(adult_spec, tmp_path):
    with pytest.raises(LandingFileError, match="adult-empty.csv.gz: the file is empty"):
        read_landing_file(landing_file(tmp_path, "adult-empty.csv.gz", []), adult_spec)


def test_corrupt_file(adult_spec, tmp_path):
    path = tmp_path / "adult-corrupt.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage that is not deflate data" * 10)
    with pytest.raises(LandingFileError, match="adult-corrupt.csv.gz: the file cannot be read"):
        read_landing_file(LandingFile(path, file_sha256(path), "adult-corrupt"), adult_spec)


def test_wrong_number_of_columns(adult_spec, tmp_path):
    short = ", ".join(GOOD_ROW.split(", ")[:14])
    with pytest.raises(LandingFileError, match="expected 15 columns"):
        read_landing_file(landing_file(tmp_path, "adult-short.csv.gz", [GOOD_ROW, short]), adult_spec)
    with pytest.raises(LandingFileError, match="adult-long.csv.gz"):
        read_landing_file(
            landing_file(tmp_path, "adult-long.csv.gz", [GOOD_ROW, GOOD_ROW + ", extra"]), adult_spec
        )


def test_header_that_does_not_match_the_spec(adult_spec: DatasetSpec, tmp_path):
    spec = adult_spec.model_copy(update={"format": adult_spec.format.model_copy(update={"header": True})})
    header = ", ".join(name if name != "age" else "years" for name in spec.columns)
    with pytest.raises(LandingFileError, match=r"missing columns \['age'\], unexpected columns \['years'\]"):
        read_landing_file(landing_file(tmp_path, "adult-h.csv.gz", [header, GOOD_ROW]), spec)
    good_header = ", ".join(spec.columns)
    frame = read_landing_file(landing_file(tmp_path, "adult-ok.csv.gz", [good_header, GOOD_ROW]), spec)
    assert frame.loc[0, "_line"] == 2
    with pytest.raises(LandingFileError, match="adult-only-header.csv.gz: the file has no rows"):
        read_landing_file(landing_file(tmp_path, "adult-only-header.csv.gz", [good_header]), spec)


def test_value_that_cannot_be_parsed_names_column_value_and_line(adult_spec, tmp_path):
    lines = [GOOD_ROW, with_value(0, "forty"), GOOD_ROW, with_value(0, "41.5")]
    with pytest.raises(LandingFileError) as raised:
        read_landing_file(landing_file(tmp_path, "adult-bad.csv.gz", lines), adult_spec)
    message = str(raised.value)
    assert "adult-bad.csv.gz" in message
    assert "column 'age': 2 values cannot be read as an integer" in message
    assert "'forty' (line 2)" in message and "'41.5' (line 4)" in message


def test_unknown_category(adult_spec, tmp_path):
    lines = [GOOD_ROW, with_value(8, "Martian")]
    with pytest.raises(
        LandingFileError, match=r"column 'race': 1 values are unknown categories .*'Martian' \(line 2\)"
    ):
        read_landing_file(landing_file(tmp_path, "adult-cat.csv.gz", lines), adult_spec)


def test_required_column_without_value(adult_spec, tmp_path):
    lines = [GOOD_ROW, with_value(9, "?")]
    with pytest.raises(LandingFileError, match="column 'sex' is required .* lines 2"):
        read_landing_file(landing_file(tmp_path, "adult-req.csv.gz", lines), adult_spec)
    imputable = read_landing_file(
        landing_file(tmp_path, "adult-imp.csv.gz", [with_value(1, "?")]), adult_spec
    )
    assert imputable.loc[0, "workclass"].strip() == "?"


def test_all_null_column_is_rejected_when_required(adult_spec, tmp_path):
    lines = [with_value(12, "?") for _ in range(5)]
    with pytest.raises(
        LandingFileError,
        match=r"column 'hours_per_week' is required \(not in imputation.columns\) but 5 rows",
    ):
        read_landing_file(landing_file(tmp_path, "adult-null.csv.gz", lines), adult_spec)


def test_every_problem_is_reported_at_once(adult_spec, tmp_path):
    lines = [with_value(0, "x"), with_value(8, "Martian"), with_value(9, "?")]
    with pytest.raises(LandingFileError) as raised:
        read_landing_file(landing_file(tmp_path, "adult-many.csv.gz", lines), adult_spec)
    assert all(column in str(raised.value) for column in ("'age'", "'race'", "'sex'"))
