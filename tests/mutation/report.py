"""`make mutation`: runs mutmut over the pure core module by module and reports each module's score and survivors."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EQUIVALENTS = Path(__file__).with_name("equivalents.toml")
TARGET = 0.98  # the share of non-equivalent mutants each module's tests must kill
# mutmut's exit codes: the tests failed (or pytest broke, or the mutant ran out of time) -- the mutant was noticed.
KILLED = {1, 3, 24, -24, 152, 255, 36, 37, -9, -11}


@dataclass(frozen=True)
class Mutant:
    name: str  # mutmut's, e.g. assessment.rubric.xǁRubricǁscore__mutmut_12: it changes as the function is edited
    function: str  # Rubric.score
    original: str  # the lines the mutant changes, as they are in the code
    mutated: str  # and as the mutant has them

    @property
    def key(self) -> tuple[str, str, str]:
        return self.function, self.original, self.mutated


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("modules", nargs="*", help="files such as assessment/rubric.py; default: [tool.mutmut] only_mutate")
    parser.add_argument("--children", type=int, default=2, help="test processes at a time")
    args = parser.parse_args()
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    modules = args.modules or settings["only_mutate"]
    unknown = [module for module in modules if module not in settings["only_mutate"]]
    if unknown:
        parser.error(f"not measured (see [tool.mutmut] only_mutate in pyproject.toml): {', '.join(unknown)}")
    equivalents = _equivalents()
    mutmut = Path(sys.executable).with_name("mutmut")
    for module in modules:
        # A module added to only_mutate after a run has a plain copy in mutants/ (mutmut copies every source file),
        # which mutmut takes as up to date and never mutates: the copy goes, so that it is mutated this time.
        copy = ROOT / "mutants" / module
        if copy.exists() and not copy.with_name(copy.name + ".meta").exists():
            copy.unlink()
    rows, used = [], set()
    # One run for every module asked for: mutmut's start (copying, the clean run of the tests) is paid once.
    patterns = [module.removesuffix(".py").replace("/", ".") + ".*" for module in modules]
    run = subprocess.run([mutmut, "run", "--max-children", str(args.children), *patterns], cwd=ROOT, check=False,
                         capture_output=True, text=True)
    if run.returncode != 0:
        print(run.stdout[-5000:], run.stderr[-5000:], sep="\n")
        print(f"mutmut stopped (exit code {run.returncode}); see above.")
        return 2
    for module in modules:
        killed, survivors = _results(module)
        judged = [mutant for mutant in survivors if mutant.key in equivalents]
        used.update(mutant.key for mutant in judged)
        rest = [mutant for mutant in survivors if mutant.key not in equivalents]
        rows.append((module, killed, killed + len(rest), len(judged)))
        for mutant in rest:
            print(f"\nSurvived: {mutant.name} ({mutant.function})\n  - {mutant.original}\n  + {mutant.mutated}")
        print(f"\n{module}: {killed} of {killed + len(rest)} killed, {len(judged)} equivalent", flush=True)
    print(f"\n{'module':<32} {'killed':>7} {'total':>6} {'score':>7} {'equivalent':>11}")
    below = []
    for module, killed, total, judged in rows:
        score = killed / total if total else 1.0
        print(f"{module:<32} {killed:>7} {total:>6} {score:>7.1%} {judged:>11}")
        if score < TARGET:
            below.append(module)
    stale = [key for key in equivalents if key not in used and _module_of(key) in {_function_module(m) for m in modules}]
    for function, original, mutated in stale:
        print(f"\nNo longer a mutant (remove it from {EQUIVALENTS.name}): {function}: {original} -> {mutated}")
    if below:
        print(f"\nBelow {TARGET:.0%}: {', '.join(below)}")
        return 1
    return 0


def _results(module: str) -> tuple[int, list[Mutant]]:
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    meta = json.loads((ROOT / "mutants" / f"{module}.meta").read_text())
    codes = meta["exit_code_by_key"]
    killed = sum(1 for code in codes.values() if code in KILLED)
    survivors = [_mutant(name, get_diff_for_mutant(name, path=module)) for name, code in sorted(codes.items())
                 if code not in KILLED]
    return killed, survivors


def _mutant(name: str, diff: str) -> Mutant:
    mangled = name.partition("__mutmut_")[0]
    dotted, _, function = mangled.rpartition(".")
    function = function.strip("ǁ").replace("ǁ", ".") if "ǁ" in function else function.removeprefix("x_")
    function = function.removeprefix("x.")
    lines = [line for line in diff.splitlines() if not line.startswith(("---", "+++", "@@"))]
    removed = " / ".join(line[1:].strip() for line in lines if line.startswith("-"))
    added = " / ".join(line[1:].strip() for line in lines if line.startswith("+"))
    return Mutant(name, f"{dotted}.{function}", removed, added)


def _equivalents() -> dict[tuple[str, str, str], str]:
    entries = tomllib.loads(EQUIVALENTS.read_text())["equivalent"] if EQUIVALENTS.exists() else []
    return {(entry["function"], entry["original"], entry["mutated"]): entry["reason"] for entry in entries}


def _module_of(key: tuple[str, str, str]) -> str:
    return key[0].split(".")[1]


def _function_module(module: str) -> str:
    return Path(module).stem


if __name__ == "__main__":
    sys.exit(main())
