"""What `make run` produced, printed for the person who ran it: rows, scores, where the files are."""

from __future__ import annotations

import sys

from accrete.generator.model_store import ModelStore, ModelStoreError
from accrete.report.report_layout import REAL_DATA_VERSION, DatasetReports
from accrete.spec import load_specs
from accrete.tables import DatasetTables
from accrete.validation.gate_log import read_outcomes
from accrete.warehouse import connect, row_count, table_exists
from orchestration import environment


def main(only: list[str]) -> None:
    """The results of every dataset, or of the datasets named in ``only`` (`make run DATASET=<name>`)."""
    warehouse = environment.warehouse_path()
    store = ModelStore(environment.models_root())
    print(f"\nAccrete results (warehouse {warehouse})")
    for name in load_specs(environment.datasets_dir()):
        if only and name not in only:
            continue
        tables = DatasetTables(name)
        print(f"\n== {name}")
        with connect(warehouse, read_only=True) as connection:
            for label, table in tables.stages().items():
                count = (
                    f"{row_count(connection, table):,}" if table_exists(connection, table) else "(not built)"
                )
                print(f"  {label:<18} {count:>10}  {table}")
        try:
            stored = store.get(name)
        except ModelStoreError as error:
            print(f"  generator: {error}")
            continue
        print(f"  generator          {stored.version} ({stored.manifest['fit_seconds']} s)  {stored.path}")
        reports = DatasetReports(environment.reports_root(), name)
        for outcome in read_outcomes(reports, REAL_DATA_VERSION) + read_outcomes(reports, stored.version):
            verdict = "PASS" if outcome.passed else "FAIL"
            print(f"  gate {outcome.name:<28} {verdict}  {outcome.summary}")
        print(f"  data card          {reports.data_card}")
    print(f"\nDagster runs: {environment.accrete_home() / 'dagster'} (see them with `make ui`)")


if __name__ == "__main__":
    main(sys.argv[1:])
