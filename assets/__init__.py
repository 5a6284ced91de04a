"""Dagster assets, one subpackage per stage, each built per dataset from its spec.

Assets are thin: they read through resources, call the plain functions in ``accrete``,
write through resources and report metadata.
"""
