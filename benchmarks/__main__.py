"""`make bench`: runs every benchmark module in this folder and prints its table.

`python -m benchmarks relay ui` runs only those; results are merged into
benchmarks/results/latest.json (a partial run keeps the other modules' last numbers).
With more than one module, each runs in a fresh interpreter of its own, with the
runtime settings `sxtriage` applies at start (`runtime_tuning.tune_runtime`): one
module's leftovers (heap size, GC state, threads) never weigh on the next.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    only = set(sys.argv[1:])
    results: dict[str, object] = {}
    names = sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))
    if not names:
        print("no benchmarks found in benchmarks/")
        return 1
    unknown = only - {n.removeprefix("bench_") for n in names} - set(names)
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(sorted(unknown))}; "
            f"choose from {', '.join(n.removeprefix('bench_') for n in names)}"
        )
        return 2
    chosen = [n for n in names if not only or n.removeprefix("bench_") in only or n in only]
    if len(chosen) > 1:
        failed = 0
        for name in chosen:
            cmd = [sys.executable, "-m", "benchmarks", name]
            failed += subprocess.run(cmd, cwd=HERE.parent, check=False).returncode != 0
        return 1 if failed else 0
    from sxtriage.runtime_tuning import tune_runtime

    tune_runtime()
    for name in chosen:
        mod = importlib.import_module(f"benchmarks.{name}")
        print(f"\n== {name} ==", flush=True)
        results[name] = mod.run()
    out = HERE / "results" / "latest.json"
    out.parent.mkdir(exist_ok=True)
    try:
        previous = json.loads(out.read_text()) if out.exists() else {}
    except ValueError:
        previous = {}
    results = {**previous, **results} if isinstance(previous, dict) else results
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
