"""Fuzzing the FCS reader: seeded mutations of real instrument files, each read under a
time and memory guard, counted by outcome.

    nice python benchmarks/fuzz_fcs.py [--cases N] [--seed S] [--time-limit S] [FILE...]

Each case is one real file (default: every FCS/LMD file in the shared instruments corpus,
in turn) with one to three seeded mutations: byte flips, truncation, keyword edits ($PAR,
$TOT, $PnB, $PnR, data offsets, $NEXTDATA, $DATATYPE, $BYTEORD...), HEADER offset edits
and delimiter edits. A child process reads the cases one by one under an alarm and an
address-space limit; a case that outlives its alarm, or kills the child, is recorded and
the child restarted. Outcomes:

  read      the reader returned samples
  refused   FcsReadError, whose one-line message names the file
  unclear   FcsReadError whose message does not name the file or runs over one line
  other     any other exception (a reader bug), MemoryError included
  hang      still running at the time limit
  crash     the child process died

The test suite runs a few hundred cases (tests/test_fcs_fuzz.py); the counts of a long
run go in benchmarks/RESULTS.md.
"""

import argparse
import json
import os
import re
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
INSTRUMENTS = REPO.parent / "shared" / "data" / "instruments"
FAILURES = ("unclear", "other", "hang", "crash")
# The keywords that size and place the data come up three times as often as the others.
_KEYWORDS = (
    *("PAR", "TOT", "P{n}B", "BEGINDATA", "ENDDATA", "NEXTDATA") * 3,
    "P{n}R", "P{n}E", "P{n}N", "DATATYPE", "BYTEORD", "TIMESTEP", "BEGINSTEXT", "ENDSTEXT",
    "SPILLOVER", "MODE",
)  # fmt: skip
_HUGE = ("2147483648", "4294967296", "99999999999999999999", "9" * 5000, "1e999")
_HOSTILE = (
    *_HUGE, "0", "1", "-1", "2", "7", "65", "nan", "", " ", "x", "*", "I", "F", "D", "A", "Z",
    "1,2,3,4", "4,3,2,1", "3,1,2", "2,FSC-A,SSC-A,1,0,0", "4,1", "0,0",
)  # fmt: skip


def instrument_files() -> list[Path]:
    """Every FCS/LMD file of the shared instruments corpus, sorted."""
    return sorted(
        p for p in INSTRUMENTS.rglob("*") if p.suffix.lower() in (".fcs", ".lmd") and p.is_file()
    )


# --- mutations ------------------------------------------------------------------------


def mutate(data: bytes, seed: int) -> tuple[bytes, str]:
    """One to three seeded mutations of a file's bytes, and what they were."""
    rng = np.random.default_rng(seed)
    done = []
    for _ in range(int(rng.integers(1, 4))):
        kind = str(rng.choice(list(_MUTATIONS), p=list(_MUTATIONS_SHARE)))
        data, what = _MUTATIONS[kind](data, rng)
        done.append(what)
    return data, "; ".join(done)


def _text_span(data: bytes) -> tuple[int, int]:
    """First and last byte of the first TEXT segment, as HEADER gives them (or a guess)."""
    try:
        start, end = int(data[10:18]), int(data[18:26])
    except ValueError:
        return 58, min(len(data), 4096) - 1
    return (start, end) if 0 <= start <= end < len(data) else (58, min(len(data), 4096) - 1)


def _flip(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    if not data:
        return data, "flip: nothing left"
    copy = bytearray(data)
    _, text_end = _text_span(data)
    limit = min(text_end + 1, len(data)) if rng.random() < 0.7 else len(data)  # mostly TEXT
    positions = rng.integers(0, max(limit, 1), int(rng.integers(1, 9)))
    for position in positions:
        copy[position] = int(rng.integers(0, 256))
    return bytes(copy), f"flip {len(positions)} bytes below {limit}"


def _truncate(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    _, text_end = _text_span(data)
    limit = text_end + 2 if rng.random() < 0.5 else len(data)
    cut = int(rng.integers(0, max(limit, 1)))
    return data[:cut], f"truncate at {cut}"


def _keyword(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    """Set a keyword of the first TEXT segment to a hostile or nearby value, in place
    (padded with spaces) or resized, or delete it."""
    start, end = _text_span(data)
    text = data[start : end + 1]
    if not text:
        return data, "keyword: no TEXT"
    delimiter = re.escape(text[:1])
    name = str(rng.choice(_KEYWORDS)).format(n=int(rng.integers(1, 5)))
    pattern = rb"(%s\$?%s%s)([^%s]*)(%s)" % (
        delimiter, name.encode(), delimiter, delimiter, delimiter,
    )  # fmt: skip
    match = re.search(pattern, text, flags=re.IGNORECASE)
    if match is None:
        return data, f"keyword: no ${name}"
    old = match[2]
    if rng.random() < 0.1:
        what = f"delete ${name}"
        replaced = text[: match.start()] + text[match.end(3) - 1 :]
    else:
        number = re.sub(rb"\D", b"", old)[:18]
        nearby = int(number) + int(rng.choice([-2, -1, 1, 2, 8])) if number else 1
        pick = rng.random()
        if pick < 0.3:
            value = str(rng.choice(_HUGE))
        elif pick < 0.6:
            value = str(rng.choice(_HOSTILE))
        else:
            value = str(max(nearby, 0))
        new = value.encode()
        if len(new) < len(old) and rng.random() < 0.5:
            new = new.ljust(len(old))
        what = f"${name} {old[:20]!r} -> {new[:20]!r}"
        replaced = text[: match.start(2)] + new + text[match.end(2) :]
    shifted = len(replaced) - len(text)
    header = data[:58]
    if shifted and rng.random() < 0.5:  # keep HEADER's TEXT end in step with the edit
        header = header[:18] + b"%8d" % (end + shifted) + header[26:]
    return header + data[58:start] + replaced + data[end + 1 :], what


def _header_offset(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    field = int(rng.integers(0, 6))
    choice = rng.random()
    if choice < 0.2:
        value = b" " * 8
    elif choice < 0.3:
        value = b"-1".rjust(8)
    elif choice < 0.4:
        value = b"99999999"
    else:
        value = b"%8d" % int(rng.integers(0, 2 * len(data) + 2))
    at = 10 + 8 * field
    return data[:at] + value[:8] + data[at + 8 :], f"HEADER field {field} -> {value!r}"


def _delimiter(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    start, end = _text_span(data)
    text = bytearray(data[start : end + 1])
    if not text:
        return data, "delimiter: no TEXT"
    delimiter = text[0]
    places = [i for i, b in enumerate(text) if b == delimiter]
    choice = rng.random()
    other = int(rng.choice([0x2F, 0x7C, 0x0C, 0x5C, 0x2A, 0x24, 0x20, 0x00, 0xFF]))
    if choice < 0.25:
        text[0] = other
        what = f"first delimiter -> {other:#x}"
    elif choice < 0.5:
        for i in places:
            text[i] = other
        what = f"every delimiter -> {other:#x}"
    elif choice < 0.75:
        i = places[int(rng.integers(0, len(places)))]
        text.insert(i, delimiter)
        text.pop()  # same length: the TEXT end moves one byte in
        what = f"doubled delimiter at {i}"
    else:
        i = places[int(rng.integers(0, len(places)))]
        text[i] = int(rng.integers(0x41, 0x5B))
        what = f"delimiter at {i} -> letter"
    return data[:start] + bytes(text) + data[end + 1 :], what


_MUTATIONS = {
    "flip": _flip,
    "truncate": _truncate,
    "keyword": _keyword,
    "header_offset": _header_offset,
    "delimiter": _delimiter,
}
_MUTATIONS_SHARE = (0.2, 0.15, 0.35, 0.15, 0.15)  # keyword edits reach the most checks


# --- guarded reading --------------------------------------------------------------------


@dataclass
class Outcome:
    case: int
    file: str  # the source file's name
    mutation: str  # '' for a file read as it is
    result: str  # read, refused, unclear, other, hang, crash
    detail: str
    seconds: float = 0.0
    peak_rss_mb: float = 0.0  # the child's high-water mark after this case


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    baseline_rss_mb: float = 0.0  # the child after importing the reader, before any case

    @property
    def counts(self) -> Counter:
        return Counter(o.result for o in self.outcomes)

    def failures(self, *results: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.result in (results or FAILURES)]


def run_guarded(cases: list[dict], time_limit: float = 10.0, memory_limit_mb: int = 4096) -> Report:
    """Read each case in a child process: {'file': path} as it is, or
    {'file': path, 'seed': n} mutated. A case over ``time_limit`` seconds is a hang; the
    child's address space is capped at ``memory_limit_mb``."""
    report = Report()
    pending = [dict(case, case=i) for i, case in enumerate(cases)]
    while pending:
        pending = _run_child(pending, report, time_limit, memory_limit_mb)
    report.outcomes.sort(key=lambda o: o.case)
    return report


def _run_child(pending: list[dict], report: Report, time_limit: float, memory_mb: int):
    """Feed cases to one child until it finishes them or one hangs or kills it; the cases
    it did not reach are returned."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    with tempfile.TemporaryFile("w+") as queue:  # a file, so that no pipe fills up
        queue.write("".join(json.dumps(case) + "\n" for case in pending))
        queue.seek(0)
        child = subprocess.Popen(
            [sys.executable, __file__, "--child", str(time_limit), str(memory_mb)],
            stdin=queue,
            stdout=subprocess.PIPE,
            env=env,
        )
    by_id = {case["case"]: case for case in pending}
    done: set[int] = set()
    current, started, buffer = None, time.monotonic(), b""
    while True:
        if b"\n" not in buffer:  # read unbuffered, so select() sees every waiting line
            wait = None if current is None else started + time_limit + 5.0 - time.monotonic()
            if wait is not None and wait <= 0 or not select.select([child.stdout], [], [], wait)[0]:
                child.kill()
                child.wait()
                _record(report, by_id[current], "hang", "killed: past the alarm", time_limit)
                done.add(current)
                break
            chunk = os.read(child.stdout.fileno(), 1 << 16)
            if chunk:
                buffer += chunk
                continue
            child.wait()
            if current is None and not done:
                raise RuntimeError(f"the reading process exited ({child.returncode}) unused")
            if current is not None:
                _record(report, by_id[current], "crash", f"child exit {child.returncode}")
                done.add(current)
            break
        line, buffer = buffer.split(b"\n", 1)
        message = json.loads(line)
        if "baseline_rss_mb" in message:
            report.baseline_rss_mb = max(report.baseline_rss_mb, message["baseline_rss_mb"])
        elif "start" in message:
            current, started = message["start"], time.monotonic()
        else:
            report.outcomes.append(Outcome(**message))
            done.add(message["case"])
            current = None
    return [case for case in pending if case["case"] not in done]


def _record(report: Report, case: dict, result: str, detail: str, seconds: float = 0.0):
    report.outcomes.append(
        Outcome(
            case["case"], Path(case["file"]).name, case.get("mutation", ""), result, detail, seconds
        )
    )


# --- the child ------------------------------------------------------------------------


class _Overtime(BaseException):
    """Raised by the alarm; a BaseException so that no `except Exception` swallows it."""


def _child(time_limit: float, memory_mb: int) -> None:
    from cytomoe.core.errors import FcsReadError
    from cytomoe.core.io.fcs import read_fcs

    def alarm(signum, frame):
        raise _Overtime

    signal.signal(signal.SIGALRM, alarm)
    limit = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    print(json.dumps({"baseline_rss_mb": _peak_rss_mb()}), flush=True)
    folder = Path(tempfile.mkdtemp(prefix="fuzz_fcs_"))
    for line in sys.stdin:
        case = json.loads(line)
        source = Path(case["file"])
        print(json.dumps({"start": case["case"]}), flush=True)
        path, mutation = source, ""
        if "seed" in case:
            data, mutation = mutate(source.read_bytes(), case["seed"])
            path = folder / f"case{case['case']}_{source.name}"
            path.write_bytes(data)
        began = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, time_limit)
        try:
            samples = read_fcs(path)
            signal.setitimer(signal.ITIMER_REAL, 0)
            result, detail = "read", str([s.events.shape for s in samples])[:200]
        except _Overtime:
            result, detail = "hang", "alarm"
        except FcsReadError as error:
            signal.setitimer(signal.ITIMER_REAL, 0)
            message = str(error)
            clear = path.name in message and "\n" not in message
            result, detail = ("refused" if clear else "unclear"), message[:300]
        except BaseException as error:  # noqa: BLE001 - every other exception is a finding
            signal.setitimer(signal.ITIMER_REAL, 0)
            result, detail = "other", f"{type(error).__name__}: {str(error)[:200]}"
        seconds = time.perf_counter() - began
        if path != source:
            path.unlink()
        outcome = Outcome(
            case["case"], source.name, mutation, result, detail, seconds, _peak_rss_mb()
        )
        print(json.dumps(outcome.__dict__), flush=True)
    folder.rmdir()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- the benchmark --------------------------------------------------------------------


def fuzz_cases(files: list[Path], count: int, seed: int) -> list[dict]:
    """``count`` cases over ``files`` in turn, each with its own seed."""
    return [
        {"file": str(files[i % len(files)]), "seed": seed * 1_000_003 + i} for i in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="sources (default: the corpus)")
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per case")
    parser.add_argument("--memory-limit", type=int, default=4096, help="MiB of address space")
    args = parser.parse_args()
    files = args.files or instrument_files()
    began = time.perf_counter()
    report = run_guarded(
        fuzz_cases(files, args.cases, args.seed), args.time_limit, args.memory_limit
    )
    elapsed = time.perf_counter() - began
    counts = report.counts
    print(f"{len(report.outcomes)} cases over {len(files)} files in {elapsed:.0f} s")
    for result in ("read", "refused", *FAILURES):
        print(f"  {result:8s} {counts.get(result, 0)}")
    slowest = max(report.outcomes, key=lambda o: o.seconds)
    print(
        f"slowest case: {slowest.seconds:.2f} s, {slowest.file} ({slowest.mutation}): "
        f"{slowest.result}"
    )
    peak = max(report.outcomes, key=lambda o: o.peak_rss_mb)
    largest = max(f.stat().st_size for f in files) / 2**20
    print(
        f"peak RSS of the reading process: {peak.peak_rss_mb:.0f} MiB "
        f"(after imports {report.baseline_rss_mb:.0f} MiB; largest source {largest:.1f} MiB), "
        f"first reached by {peak.file} ({peak.mutation})"
    )
    for outcome in report.failures()[:20]:
        print(f"FAILURE {outcome.result}: {outcome.file} ({outcome.mutation}): {outcome.detail}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(float(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
