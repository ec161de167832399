"""Qoima: platform for storage and exchange of backed digital assets.

The package is ``qoima`` rather than ``platform``: a local ``platform`` package would shadow
Python's standard-library module of that name, which Celery and web3 import.
"""

from .celery import app as celery_app

__all__ = ["celery_app"]
