"""Alerts survive the trip to JSON and back (the store's state and the outbox keep them so)."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from alerts.codec import alert_from_json, alert_to_json
from tests.alerts.factories import alert, drivers


def test_round_trip_with_drivers_and_filters() -> None:
    original = alert(platform="mastodon", lang="fa", related=("#a", "#b"), drivers=drivers())
    data = json.loads(json.dumps(alert_to_json(original), allow_nan=False))
    assert alert_from_json(data) == original


def test_non_finite_numbers_stay_strict_json() -> None:
    original = alert(z=math.inf, expected=0.0)
    text = json.dumps(alert_to_json(original), allow_nan=False)
    back = alert_from_json(json.loads(text))
    assert back.z == math.inf
    nan = alert_from_json(json.loads(json.dumps(alert_to_json(dataclasses.replace(original, z=math.nan)))))
    assert math.isnan(nan.z)


def test_malformed_records_raise() -> None:
    data = alert_to_json(alert())
    del data["rule"]
    with pytest.raises(KeyError):
        alert_from_json(data)
    data = alert_to_json(alert())
    data["at"] = "2026-01-01T00:00:00"
    with pytest.raises(ValueError, match="no UTC offset"):
        alert_from_json(data)
