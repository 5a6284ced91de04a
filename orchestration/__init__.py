"""Accrete's Dagster code location: definitions, environment, jobs and schedules."""
