"""Alerting: pure detectors over store series, the alert lifecycle, and notifiers.

Imports only the kernel.
"""
