"""The import's worst cases (bench/import_cost.py), each in a subprocess of its own:
they must stay within their limits of CPU time (not wall time) and peak memory,
with a wide margin for a busy machine, and print nothing to stderr."""

import pytest

from bench import import_cost as cost

MARGIN_CPU = 2.0
MARGIN_MB = 1.5
REFUSED = {
    "a value in XFD1048576": "XFD1048576",
    "CSV 4,999 × 300, every cell a letter": "200,000",
    "47 MB of shared strings": "16 MB",
}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return cost.migrated_database(tmp_path_factory.mktemp("import-cost"))


@pytest.mark.parametrize("case", list(cost.CASES))
def test_worst_case_within_its_limits(env, case):
    result = cost.measure(case, env)
    assert "error" not in result, result.get("error")
    assert result["stderr"] == ""
    if case in REFUSED:
        assert REFUSED[case] in result["refused"]
        assert result["refuse_cpu_s"] <= cost.REFUSE_CPU_S * MARGIN_CPU
        return
    assert "refused" not in result, result["refused"]
    assert result["tasks"] >= 12 and result["letters"] >= 36
    assert result["preview_cpu_s"] <= cost.PREVIEW_CPU_S * MARGIN_CPU
    assert result["preview_mb"] <= cost.PREVIEW_MB * MARGIN_MB
    assert result["apply_cpu_s"] <= cost.APPLY_CPU_S * MARGIN_CPU
    assert result["apply_mb"] <= cost.APPLY_MB * MARGIN_MB
