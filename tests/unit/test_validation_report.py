"""The HTML validation report and the markdown summary of the gates."""

from __future__ import annotations

import re

from accrete.report.data_card import render_data_card
from accrete.validation.fidelity import fidelity_scores
from accrete.validation.outcome import GateOutcome
from accrete.validation.privacy import distance_to_closest_record
from accrete.validation.report_html import outcomes_markdown, validation_report_html
from accrete.validation.representation import representation_table
from bench.adult import ADULT_SCHEMA, SENSITIVE
from tests.unit.validation_data import gaussian_copula_sample, holdout, train

OUTCOMES = [
    GateOutcome("fidelity", True, "Quality 0.83.", {"quality": 0.83}, ceilings={"quality": 0.97}),
    GateOutcome("exact_copies", False, "12 rows | copied <b>.", details_md="| a |\n| --- |\n| 1 |"),
]


def test_markdown_summary_names_failures():
    markdown = outcomes_markdown(OUTCOMES)
    assert markdown.startswith("**1 of 2 validation gates failed: exact_copies.**")
    assert "| fidelity | passed | Quality 0.83. |" in markdown
    assert "12 rows \\| copied" in markdown
    assert outcomes_markdown(OUTCOMES[:1]).startswith("**All 1 validation gates passed.**")


def test_report_is_self_contained_with_every_section():
    real, synthetic = train().head(1_000), gaussian_copula_sample().head(1_000)
    page = validation_report_html(
        "adult: validation",
        real,
        synthetic,
        ADULT_SCHEMA,
        OUTCOMES,
        fidelity=fidelity_scores(real, synthetic, ADULT_SCHEMA),
        dcr=distance_to_closest_record(real, holdout().head(500), synthetic, ADULT_SCHEMA),
        representation=representation_table(real, synthetic, ADULT_SCHEMA, SENSITIVE),
    )
    assert page.startswith("<!DOCTYPE html>")
    assert len(re.findall(r"src='data:image/png;base64,[A-Za-z0-9+/=]{1000,}'", page)) == 3
    assert not re.search(r"(src|href)=['\"]https?:", page)
    assert "<td>quality</td><td>0.8300</td><td>0.9700</td>" in page
    for heading in [
        "Gates",
        "Scores and their ceilings",
        "Column distributions",
        "Pair-trend difference",
        "Distance to closest record",
        "Representation",
    ]:
        assert heading in page
    assert "copied &lt;b&gt;." in page and "Amer-Indian-Eskimo" in page


def test_report_leaves_out_sections_without_inputs():
    page = validation_report_html("t", train().head(200), train().head(200), ADULT_SCHEMA, OUTCOMES[:1])
    assert "Distance to closest record" not in page and "Representation" not in page
    assert page.count("data:image/png;base64,") == 1


def test_data_card_shows_each_score_beside_its_ceiling(adult_spec):
    card = render_data_card(adult_spec, {"raw": 10}, {}, OUTCOMES, "report.html", quarantined=0)
    assert "| fidelity | quality | 0.8300 | 0.9700 |" in card
