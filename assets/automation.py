"""When Dagster's automation may refresh an asset without a person or a sensor asking."""

import dagster as dg

AFTER_VALIDATED_UPDATES = (
    dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
)
"""Refresh once an upstream asset has new data (a new real day, a new generation), but only while
every blocking check of the upstream assets passed in its latest evaluation, whichever run made it:
a generation that failed its gates never reaches the mixed table, now or in a later run."""
