"""`make replay DAYS=N`: deliver the next N days of a daily dataset's history to its landing folder."""

from __future__ import annotations

import argparse
from datetime import date

from accrete.ingest.replay import days_to_replay, landed_days, replay
from accrete.spec import load_spec
from orchestration import environment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--days", type=int, help="replay the next N days")
    group.add_argument("--through", type=date.fromisoformat, help="replay every missing day up to this one")
    arguments = parser.parse_args()
    spec_folder = environment.datasets_dir() / arguments.dataset
    spec = load_spec(spec_folder / "spec.yaml")
    folder = environment.landing_root() / spec.name
    landed = landed_days(spec, folder) if folder.is_dir() else []
    days = days_to_replay(spec, landed, arguments.days, arguments.through)
    written = replay(spec, spec_folder, environment.landing_root(), days)
    if written:
        print(
            f"{spec.name}: {len(written)} day(s) landed in {folder}: {written[0].name} .. {written[-1].name}"
        )
    else:
        print(f"{spec.name}: nothing to replay ({len(landed)} day(s) already landed in {folder})")


if __name__ == "__main__":
    main()
