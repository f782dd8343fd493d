"""Model fault injection at scale: thousands of mutated .tflite files into `fwgen validate` and
`fwgen build --render-only`, with the figures issue 14 asks for (cases, exit codes, tracebacks,
signals, hangs, leftovers, errors that do not name their file).

    .venv/bin/python benchmarks/model_faults.py                 # 2,000 models x 2 verbs
    .venv/bin/python benchmarks/model_faults.py --cases 200 --workers 2
    .venv/bin/python benchmarks/model_faults.py --tree /tmp/old  # another checkout (a baseline)

The mutations and the runner are tests/unit/fault_injection.py (the unit suite runs a few
hundred of the same cases with a fixed seed). Output: a report on stdout, committed as
benchmarks/model_faults.txt. Exit status 1 when any target is missed.
"""
from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "host"))
sys.path.insert(0, str(ROOT / "tests" / "unit"))

import fault_injection as fi  # noqa: E402

# Weights of the seed models: mn04_tagger (1.3 MB, 121 ops) costs ~5 s per validate of an
# accepted mutant, the others ~1-2 s.
WEIGHTS = {"mn04_tagger": 0.5}


def _tree_commit(tree: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(tree), "log", "-1", "--format=%h %s"],
                             capture_output=True, text=True, check=True).stdout.strip()
        return out[:72]
    except (OSError, subprocess.CalledProcessError):
        return "(not a git checkout)"


def _table(summary: fi.Summary, verbs: tuple[str, ...]) -> list[str]:
    keys = ["cases", "tracebacks", "signals", "hangs", "leftovers", "errors not naming the file"]
    cols = [("all", None)] + [(v, v) for v in verbs]
    figures = {name: summary.figures(v) for name, v in cols}
    width = max(len(k) for k in keys) + 2
    lines = ["".ljust(width) + "".join(name.rjust(12) for name, _ in cols)]
    for k in keys:
        lines.append(k.ljust(width) + "".join(f"{figures[name][k]:>12,}" for name, _ in cols))
    statuses = sorted({s for f in figures.values() for s in f["exit codes"]})
    for s in statuses:
        lines.append(f"  {s}".ljust(width) + "".join(f"{figures[name]['exit codes'].get(s, 0):>12,}"
                                                     for name, _ in cols))
    return lines


def _detail(o: fi.Outcome) -> str:
    if o.traceback:
        return o.traceback.strip().splitlines()[-1]
    text = next((ln for ln in o.stderr.splitlines() if ln.strip()), "")
    return text + (f" (leftovers: {', '.join(o.leftovers[:3])})" if o.leftovers else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000, help="mutated models (each into every verb)")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a case is a hang")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the fwgen checkout to run")
    parser.add_argument("--label", help="what --tree is, when it is not a git checkout "
                                        "(e.g. 'git archive 74356d3')")
    parser.add_argument("--verbs", default=",".join(fi.VERBS))
    parser.add_argument("--details", type=Path, metavar="JSONL", help="also write every outcome")
    args = parser.parse_args(argv)
    verbs = tuple(args.verbs.split(","))

    seeds, skipped = fi.seed_models()
    case_list = list(fi.cases(seeds, args.cases, seed=args.seed, weights=WEIGHTS))
    done = [0]
    total = len(case_list) * len(verbs)

    def progress(o: fi.Outcome) -> None:
        done[0] += 1
        if done[0] % 200 == 0:
            print(f"  {done[0]}/{total}", file=sys.stderr, flush=True)

    summary = fi.run_cases(case_list, verbs, workers=args.workers, timeout=args.timeout,
                           on_outcome=progress, tree=args.tree)
    summary.skipped = skipped

    by_seed = Counter(c.seed.name for c in case_list)
    by_kind = Counter(c.kind for c in case_list)
    print("model fault injection (issue 14): mutated .tflite files into fwgen validate and "
          "fwgen build --render-only")
    print(f"tree: {args.label or _tree_commit(args.tree)}")
    print(f"python {platform.python_version()}, {platform.machine()}, seed {args.seed}, "
          f"{args.workers} workers, timeout {args.timeout:.0f} s per case, "
          f"{summary.seconds:,.0f} s in all")
    print(f"mutated models: {len(case_list):,} ({by_kind['bytes']:,} byte mutations, "
          f"{by_kind['structure']:,} structural through the flatbuffer object API), each into "
          f"{' and '.join(verbs)}")
    print("seed models: " + ", ".join(f"{n} {k}" for n, k in sorted(by_seed.items())))
    for reason in skipped:
        print(f"  {reason}")
    print()
    print("\n".join(_table(summary, verbs)))
    print()
    print("exit 0: accepted (validate: bit-exact with TFLM); exit 1: validate's mismatch report;")
    print("exit 2: a user error (FwgenError). A traceback is any other exception or a traceback")
    print("printed; a signal is the process killed by one; a hang is no answer within the timeout;")
    print("a leftover is a file left in the case folder or TMPDIR (or a project after an error).")
    failures = summary.failures()
    print()
    print(f"targets: 0 tracebacks, 0 signals, 0 hangs, 0 leftovers, every error naming its file: "
          f"{'met' if not failures else f'{len(failures)} cases miss them'}")
    shown: Counter[str] = Counter()
    for o in failures:   # every crash and hang, a few of each other kind
        kind = o.status if (o.signal or o.hung) else "traceback" if o.traceback else \
            "leftover" if o.leftovers else "unnamed" if o.rc == 2 else o.status
        shown[kind] += 1
        if kind in ("traceback", "leftover", "unnamed") and shown[kind] > 8:
            continue
        print(f"  {o.verb} {o.status}: {o.case.label}")
        print(f"    {_detail(o)[:200]}")
    if args.details:
        with open(args.details, "w") as f:
            for o in summary.outcomes:
                f.write(json.dumps({"verb": o.verb, "status": o.status, "case": o.case.label,
                                    "kind": o.case.kind, "seconds": round(o.seconds, 2),
                                    "names_file": o.names_file, "leftovers": o.leftovers,
                                    "detail": _detail(o)}) + "\n")
    slow = sorted(summary.outcomes, key=lambda o: -o.seconds)[:3]
    print()
    print("slowest cases: " + "; ".join(f"{o.verb} {o.seconds:.1f} s ({o.case.seed.name})" for o in slow))
    return 1 if failures else 0


if __name__ == "__main__":
    t0 = time.monotonic()
    sys.exit(main())
