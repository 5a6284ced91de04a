"""Automation respects blocking checks across runs: a failed gate keeps the mixed table back."""

import dagster as dg

MIXED = dg.AssetKey("flights_mixed")


def gates(defs: dg.Definitions) -> list[dg.AssetCheckKey]:
    checks = defs.resolve_asset_graph().asset_check_keys
    return [check for check in checks if check.asset_key == dg.AssetKey("flights_synthetic")]


def mixed_requested_after_new_generation(defs: dg.Definitions, gate_passed: bool) -> bool:
    with dg.instance_for_test() as instance:
        for key in ("flights_real_train", "flights_synthetic", "flights_mixed"):
            instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key))
        cursor = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, asset_selection=dg.AssetSelection.assets(MIXED)
        ).cursor
        # a later run brings a new generation and its gates' verdicts: all pass, or fidelity fails
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key="flights_synthetic"))
        for check in gates(defs):
            passed = gate_passed or check.name != "fidelity"
            instance.report_runless_asset_event(
                dg.AssetCheckEvaluation(asset_key=check.asset_key, check_name=check.name, passed=passed)
            )
        result = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, asset_selection=dg.AssetSelection.assets(MIXED), cursor=cursor
        )
        return result.total_requested == 1


def test_mixed_table_refreshes_after_a_validated_generation_only(bundled_definitions):
    assert mixed_requested_after_new_generation(bundled_definitions, gate_passed=True)
    assert not mixed_requested_after_new_generation(bundled_definitions, gate_passed=False)
