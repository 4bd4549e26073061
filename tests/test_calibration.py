"""The size model against published measurements (sidecar_lab.scale.calibration, docs/sizing.md).

Every published point is rebuilt as a synthetic mesh of its shape and run through the whole path a
user's manifests take (load_objects, Simulator, proxy_config); nothing published is plugged in.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sidecar_lab.scale import calibration
from sidecar_lab.scale.sizing import BASE_MEMORY_MIB, MEMORY_KIB

ROOT = Path(__file__).resolve().parent.parent
POINTS = {p.key: p for p in calibration.POINTS}


@pytest.mark.parametrize("key", list(POINTS))
def test_every_published_point_is_within_the_tolerance_of_its_estimate(key):
    low, high = calibration.TOLERANCE
    row = calibration.evaluate(POINTS[key])
    assert low <= row["ratio"] <= high, f"{key}: estimate {row['estimate']} {row['unit']} against {row['published']}"


@pytest.mark.parametrize("key, expected", [
    # The counts the sources published, computed by the simulator from the synthetic mesh.
    ("istio-11254-egress-gateway", {"clusters": 1077}),
    ("istio-18954-unscoped", {"clusters": 325, "listeners": 175}),
    ("envoy-4196-tcp-pair", {"clusters": 1, "listeners": 1, "routes": 0, "mtls_clusters": 0}),
    ("envoy-4196-http-pair", {"clusters": 1, "listeners": 1, "routes": 1, "mtls_clusters": 0}),
])
def test_the_synthetic_mesh_has_the_published_shape(key, expected):
    counts = calibration.evaluate(POINTS[key])["counts"]
    assert {k: counts[k] for k in expected} == expected


@pytest.mark.parametrize("key, proxy", [
    ("istio-11254-egress-gateway", "gateway"), ("istio-38827-gateway", "gateway"),
    ("istio-tools-twopods-gateway", "gateway"), ("istio-docs-large-namespace", "sidecar"),
    ("istio-38827-scoped", "sidecar"),
])
def test_each_point_measures_the_kind_of_proxy_the_source_measured(key, proxy):
    assert calibration.evaluate(POINTS[key])["proxy"] == proxy


def test_scoped_points_are_scoped_and_unscoped_ones_see_the_whole_mesh():
    scoped = calibration.evaluate(POINTS["istio-docs-large-namespace"])["counts"]["clusters"]
    unscoped = calibration.evaluate(POINTS["istio-35828-unscoped"])["counts"]["clusters"]
    assert scoped < 50 < 2000 < unscoped


def test_the_fitted_coefficients_are_what_the_fit_of_the_published_points_gives():
    base, mtls = calibration.fit()
    assert (base, mtls) == (BASE_MEMORY_MIB, MEMORY_KIB["mtls_clusters"])


def test_an_estimate_with_other_coefficients_moves_the_ratio():
    # The check can fail: with the old model's 25 MiB base the scoped proxies fall out of the band.
    row = calibration.evaluate(POINTS["istio-38827-scoped"], base=25.0)
    assert row["ratio"] < calibration.TOLERANCE[0]


def test_docs_sizing_holds_the_calibration_table_the_code_computes():
    text = (ROOT / "docs" / "sizing.md").read_text(encoding="utf-8")
    assert calibration.calibration_markdown() in text
    for point in calibration.POINTS:
        assert point.reconstruction in text
