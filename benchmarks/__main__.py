"""`make bench`: runs every benchmark module in this folder and prints its table."""

from __future__ import annotations

import importlib
import json
import pkgutil
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
    for name in names:
        if only and name.removeprefix("bench_") not in only and name not in only:
            continue
        mod = importlib.import_module(f"benchmarks.{name}")
        print(f"\n== {name} ==", flush=True)
        results[name] = mod.run()
    out = HERE / "results" / "latest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
