"""`blyan-lint consistency`: do all nodes compute the same bits? (docs/consistency.md)

Outside torchrun it checks what it can without a GPU run (flags, the model's BF16 headers,
the GPU requirement, the reference file), then starts `python -m torch.distributed.run`
with one worker per rank and reads rank 0's result. Inside torchrun (RANK and WORLD_SIZE
set, as under a multi-node `torchrun --nnodes ... --rdzv-endpoint ...`) it is a worker.
Exit codes: 0 identical (or nothing to compare), 1 diverged or not batch-invariant,
2 error, 3 not comparable.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from typing import TYPE_CHECKING, Any, NoReturn

from .consistency_compare import (
    DIVERGED,
    IDENTICAL,
    NOT_COMPARABLE,
    ConsistencyError,
    batch_invariant,
    compare_ranks,
    compare_to_reference,
    load_document,
    overall,
    write_document,
)
from .gpu import GpuRequirementError
from .models import ModelMapError, parse_model_map

if TYPE_CHECKING:
    from .consistency_worker import RunSpec

RESULT_ENV = "BLYAN_CONSISTENCY_RESULT"  # set by the launcher: where rank 0 leaves its result
EXIT_OK, EXIT_DIVERGED, EXIT_ERROR, EXIT_NOT_COMPARABLE = 0, 1, 2, 3
ERROR_PREFIX = "blyan-lint: error: "


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("consistency", help="do all ranks/nodes compute the same BF16 bits (torchrun)")
    p.add_argument("--model", metavar="PATH|ID", help="a BF16 checkpoint directory, or an id of --model-map")
    p.add_argument("--model-map", action="append", default=[], metavar="ID=PATH", help="a local checkpoint for an id")
    p.add_argument("--nproc", type=_positive, default=1, metavar="N", help="ranks on this host (default 1)")
    p.add_argument("--steps", type=_natural, metavar="K", help="then K training steps from a fixed seed")
    p.add_argument("--seed", type=_natural, metavar="S", help="seed of the inputs and steps (default 0)")
    p.add_argument("--seq-len", type=_positive, metavar="L", help="tokens per prompt (default 16)")
    p.add_argument("--batch-sizes", type=_sizes, metavar="1,8", help="check batch invariance at these sizes")
    p.add_argument("--lr", type=float, help="SGD learning rate of the steps (default 0.01)")
    p.add_argument("--strict", action="store_true", help="turn on the deterministic settings first; list them")
    p.add_argument("--reference", metavar="FILE", help="write this node's hashes and environment here")
    p.add_argument("--against", metavar="FILE", help="compare this node to a reference written elsewhere")
    p.add_argument("--result", metavar="FILE", help="with --against: compare this saved file, run nothing")
    p.add_argument("--allow-cpu", action="store_true", help="run on the CPU with gloo (tests, CI): not proof")
    p.add_argument("--output-format", choices=("text", "json"), default="text")
    p.add_argument("--timeout", type=_positive, default=600, metavar="SECONDS", help="collective timeout")


def main(args: argparse.Namespace) -> int:
    try:
        return _main(args)
    except (ConsistencyError, ModelMapError, GpuRequirementError) as exc:
        rank = f"rank {os.environ['RANK']}: " if _inside_torchrun() and os.environ.get("WORLD_SIZE") != "1" else ""
        print(f"{ERROR_PREFIX}{rank}{exc}", file=sys.stderr)
        return EXIT_ERROR


def _main(args: argparse.Namespace) -> int:
    reference = load_document(args.against) if args.against else None
    if args.result:
        if not reference:
            raise ConsistencyError("--result compares a saved file with --against FILE; give both")
        if args.reference:
            raise ConsistencyError("--result runs nothing, so there is nothing to write with --reference")
        doc = load_document(args.result)
        doc["comparisons"] = [c.as_dict() for c in compare_ranks(doc["ranks"])]
        return finish(doc, args, reference)
    if args.reference:
        _check_writable(args.reference)  # before the run, not after minutes of GPU work
    spec = _spec(args, reference)
    if _inside_torchrun():
        return _worker(spec, args, reference)
    _preflight(spec)
    return _launch(spec, args, reference)


def _spec(args: argparse.Namespace, reference: dict[str, Any] | None) -> RunSpec:
    """The work to run: flags first, then the reference's inputs (so `--against` alone repeats
    the reference's work), then the defaults."""
    from .consistency_worker import RunSpec

    known = (reference or {}).get("inputs", {})

    def pick(name: str, default: Any) -> Any:
        value = getattr(args, name)
        return value if value is not None else known.get(name, default)

    return RunSpec(
        model=_model_path(args),
        seed=pick("seed", 0),
        seq_len=pick("seq_len", 16),
        steps=pick("steps", 0),
        batch_sizes=tuple(pick("batch_sizes", ())),
        lr=pick("lr", 1e-2),
        strict=args.strict,
        allow_cpu=args.allow_cpu,
        timeout_s=args.timeout,
    )


def _model_path(args: argparse.Namespace) -> str:
    mapped = parse_model_map(args.model_map)
    if args.model:
        return mapped.get(args.model) or args.model
    if len(mapped.entries) == 1:
        return mapped.entries[0][1]
    raise ConsistencyError("give the model: --model PATH (a BF16 checkpoint directory), or one --model-map ID=PATH")


def _check_writable(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ConsistencyError(f"--reference {path}: no such directory {folder}")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise ConsistencyError(f"--reference {path}: not writable")


def _preflight(spec: RunSpec) -> None:
    """What fails the same way on every rank is said once, before any worker starts. The GPU
    requirement is each worker's to check: only a rank knows its own device."""
    import importlib.util

    from .consistency_model import POLICY_LINE, bf16_problem

    problem = bf16_problem(spec.model)
    if problem:
        raise ConsistencyError(f"{spec.model} is not a BF16 model: {problem}. {POLICY_LINE}")
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None:
        raise ConsistencyError("the check needs torch and transformers: pip install 'blyan-lint[runtime]'")


def _worker(spec: RunSpec, args: argparse.Namespace, reference: dict[str, Any] | None) -> int:
    from .consistency_worker import run_rank

    try:
        doc = run_rank(spec)
    except RuntimeError as exc:
        if "deterministic" not in str(exc):
            raise
        first = str(exc).strip().splitlines()[0]
        raise ConsistencyError(f"under --strict an op has no deterministic implementation: {first}") from None
    if doc is None:
        return EXIT_OK  # rank 0 reports for everyone
    target = os.environ.get(RESULT_ENV)
    if target:
        write_document(target, doc)
        return EXIT_OK
    return finish(doc, args, reference)


def _launch(spec: RunSpec, args: argparse.Namespace, reference: dict[str, Any] | None) -> int:
    """torchrun on this host, one worker per rank; the parent reports what rank 0 wrote."""
    import json

    child = ["consistency", "--model", spec.model, "--seed", str(spec.seed), "--seq-len", str(spec.seq_len)]
    child += ["--steps", str(spec.steps), "--lr", repr(spec.lr), "--timeout", str(spec.timeout_s)]
    if spec.batch_sizes:
        child += ["--batch-sizes", ",".join(map(str, spec.batch_sizes))]
    child += ["--strict"] * spec.strict + ["--allow-cpu"] * spec.allow_cpu
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nnodes", "1"]
    command += ["--nproc-per-node", str(args.nproc), "-m", "blyan_lint", *child]
    with tempfile.TemporaryDirectory(prefix="blyan-consistency-") as tmp:
        result, log = os.path.join(tmp, "result.json"), os.path.join(tmp, "torchrun.log")
        env = {**os.environ, RESULT_ENV: result}
        print(f"blyan-lint consistency: {args.nproc} rank(s) under torchrun ...", file=sys.stderr)
        with open(log, "w", encoding="utf-8") as fh:
            proc = subprocess.run(command, stdout=fh, stderr=subprocess.STDOUT, env=env, check=False)
        if proc.returncode != 0 or not os.path.exists(result):
            raise ConsistencyError(_failure(log, proc.returncode))
        with open(result, encoding="utf-8") as fh:
            doc = json.load(fh)
    return finish(doc, args, reference)


def _failure(log: str, code: int) -> str:
    """The workers' own one-line error; else the last exception line and where the log is kept."""
    with open(log, encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    lines = text.splitlines()
    errors = [line[len(ERROR_PREFIX) :] for line in lines if line.startswith(ERROR_PREFIX)]
    if errors:
        return errors[0] + (f" (and {len(errors) - 1} more rank(s))" if len(errors) > 1 else "")
    raised = [line.strip() for line in lines if _EXCEPTION_LINE.match(line) and "ChildFailedError" not in line]
    with tempfile.NamedTemporaryFile("w", prefix="blyan-consistency-", suffix=".log", delete=False) as kept:
        kept.write(text)  # kept past the run: the workers' own traceback is the bug report
    said = f": {raised[-1]}" if raised else ""
    return f"the torchrun workers failed (exit {code}){said}; their log: {kept.name}"


_EXCEPTION_LINE = re.compile(r"^[\w.]*(Error|Exception): ")


def finish(doc: dict[str, Any], args: argparse.Namespace, reference: dict[str, Any] | None) -> int:
    """Compare with the reference, decide, write the reference, print; the exit code."""
    from .consistency_report import as_json, as_text

    verdicts = [c["verdict"] for c in doc["comparisons"]]
    notes = []
    if reference:
        against = [c.as_dict() for c in compare_to_reference(doc, reference)]
        doc["against"] = {"file": args.against, "written": reference.get("written"), "comparisons": against}
        verdicts += [c["verdict"] for c in against]
    doc["verdict"] = overall(verdicts)
    doc["batch_invariant"] = batch_invariant(doc["ranks"])
    if args.reference:
        if all(c["verdict"] == IDENTICAL for c in doc["comparisons"]):
            write_document(args.reference, {**doc, "kind": "reference"})
            notes.append(f"reference written: {args.reference}")
        else:
            notes.append(f"reference NOT written to {args.reference}: the ranks of this run do not agree")
    doc["notes"] = notes
    sys.stdout.write(as_json(doc) if args.output_format == "json" else as_text(doc))
    if doc["verdict"] == DIVERGED:
        return EXIT_DIVERGED
    if doc["verdict"] == NOT_COMPARABLE:
        return EXIT_NOT_COMPARABLE
    return EXIT_DIVERGED if doc["batch_invariant"] is False else EXIT_OK


def _inside_torchrun() -> bool:
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def _positive(text: str) -> int:
    value = _natural(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _natural(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(_positive(part.strip()) for part in text.split(",") if part.strip()) or _sizes_error(text)


def _sizes_error(text: str) -> NoReturn:
    raise argparse.ArgumentTypeError(f"expected batch sizes such as 1,8, got {text!r}")
