"""bench/replica writes its table into docs/PERFORMANCE.md between its own markers and leaves
the rest of the file (bench/scale's part above all) as it was."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bench_replica():
    spec = importlib.util.spec_from_file_location("bench_replica", ROOT / "bench" / "replica.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_report_replaces_its_own_section_only(tmp_path):
    bench = bench_replica()
    path = tmp_path / "PERFORMANCE.md"
    scale_part = "<!-- bench/scale: begin -->\nscale figures\n<!-- bench/scale: end -->\n"
    path.write_text("# Performance\n\n" + scale_part)

    bench.write_report(path, f"{bench.BEGIN}\nfirst run\n{bench.END}")
    first = path.read_text()
    assert first.startswith("# Performance\n\n" + scale_part)
    assert "## Reads from the replica" in first and "first run" in first

    bench.write_report(path, f"{bench.BEGIN}\nsecond run\n{bench.END}")
    second = path.read_text()
    assert "first run" not in second and "second run" in second
    assert second.count(bench.BEGIN) == 1 and second.count("## Reads from the replica") == 1
    assert second.startswith("# Performance\n\n" + scale_part)
