"""The benchmark harness runs every case in its quick form and both implementations agree."""

import json

from bank_tax.bench.__main__ import main


def test_bench_quick(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["--quick", "--out", str(out)]) == 0
    results = json.loads(out.read_text())["results"]
    assert results and all(r["agree"] and r["ours_s"] > 0 and r["reference_s"] > 0 for r in results)
    assert "ratio" in capsys.readouterr().out
