"""Command line of the course: ``python -m course_utils COMMAND ...``.

Commands
--------
experiment
    Run the shared experiment once on the shipped data or a file of your own and
    print the result as JSON or a table. Bad arguments or bad data exit with
    status 2 and a one-line message on stderr; nothing is written. When the
    attack or the defense cannot act on the data given (a filter that flags
    nothing, and why), each reason is a ``note:`` line on stderr and an entry
    of the result's ``notes`` list.
stream
    Run one seeded stream (lesson 09) with an attack on the shipped data or a
    file of your own: every monitor calibrated on clean streams of the same data,
    its first alarm, its false alarms and the damage at the alarm and after a
    rollback, as JSON or a table. Bad arguments or data exit with status 2 and one line.
build
    Execute every lesson headless into a folder, with an HTML page per lesson
    and an ``index.html`` listing each lesson's run time (``make course``).
execute
    Re-execute notebooks in place, for authors (``make notebooks``).
scripts
    Bring each notebook of ``notebooks/`` and ``solutions/`` and its script in
    ``python_scripts/`` into step (``make scripts``); with ``--check``, exit 1
    when a pair is out of step.
exercises
    Generate ``exercises/`` from ``solutions/`` (``make exercises``); with
    ``--check``, exit 1 when a regeneration would change a committed exercise.
grade
    Grade a folder of submitted exercise notebooks (see :mod:`course_utils.grading`).
manifest
    ``manifest keygen`` writes an Ed25519 key pair; ``manifest create`` describes a data folder
    by a signed manifest; ``manifest verify`` checks a folder against one (lesson 10). ``verify``
    exits 0 when everything holds, 1 with one line per failed file or check, 2 on bad arguments,
    and never writes anything.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from pathlib import Path

from . import build, exercises, grading
from ._validation import (
    MAX_SEED,
    OneLineArgumentParser,
    UnreadableFileError,
    positive_seconds,
    read_regular_file,
    shown,
    shown_path,
    write_line,
)
from .attacks import ATTACKS, DEFAULT_TRIGGER
from .data import MAX_FILE_BYTES, MAX_LINE_CHARS, load_sentiment, read_labelled_file
from .defenses import defense_names
from .experiment import run_experiment
from .models import MODELS
from .paths import PROJECT_ROOT

__all__ = ["main"]


def _number_in(name, low, high, *, low_open=False, high_open=False):
    """An argparse type: a float in the interval from ``low`` to ``high``, open where asked."""
    interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"

    def parse(value):
        try:
            number = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number in {interval}, got {shown(value)}") from None
        above = number > low if low_open else number >= low
        below = number < high if high_open else number <= high
        if math.isnan(number) or not (above and below):
            raise argparse.ArgumentTypeError(f"{name} must be in {interval}, got {value}")
        return number

    return parse


_fraction = _number_in("fraction", 0.0, 1.0)
_test_size = _number_in("test size", 0.0, 1.0, low_open=True, high_open=True)
_flag_share = _number_in("flag share", 0.0, 1.0, low_open=True)


def _seed(value):
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be an integer in [0, {MAX_SEED}], got {shown(value)}") from None
    if not 0 <= number <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"seed must be an integer in [0, {MAX_SEED}], got {shown(number)}")
    return number


def _param(text):
    """An argparse type: ``KEY=VALUE`` with VALUE a JSON scalar (plain text is taken as a string)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"--param takes KEY=VALUE with KEY a parameter name, got {text!r}")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    if isinstance(value, (list, dict)):
        raise argparse.ArgumentTypeError(f"--param {key} takes a single value (a number, true, false, null or "
                                         f"text), got {raw!r}")
    return key, value


def _build_parser():

    parser = OneLineArgumentParser(prog="python -m course_utils", description="Training-data poisoning course tools.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineArgumentParser)

    experiment = commands.add_parser(
        "experiment", help="run the shared experiment once",
        description="Split the data, poison the training set, train a clean and a poisoned model, "
                    "and score both on the same untouched test set.",
        epilog=f"Limits: a data file is a regular UTF-8 file (not a FIFO, device or socket) of at most "
               f"{MAX_FILE_BYTES:,} bytes ({MAX_FILE_BYTES // 2**20} MiB), each line at most {MAX_LINE_CHARS:,} "
               f"characters; a CSV header names each column once. Bad arguments or data exit with status 2 and "
               f"one line on stderr.",
    )
    experiment.add_argument("--data", required=True, metavar="FILE",
                            help="'builtin' for the shipped review sentences, or a file of text<TAB>label "
                                 "lines, or a CSV with text and label columns (limits below)")
    experiment.add_argument("--attack", required=True, choices=list(ATTACKS))
    experiment.add_argument("--fraction", required=True, type=_fraction,
                            help="the attacker's budget as a share of the training set, in [0, 1]")
    experiment.add_argument("--source-label", metavar="L", help="class the attacker wants misread")
    experiment.add_argument("--target-label", metavar="L", help="class the attacker wants predicted")
    experiment.add_argument("--trigger", default=DEFAULT_TRIGGER, metavar="TOKEN",
                            help=f"backdoor trigger: one word of two or more letters or digits, also once "
                                 f"lower-cased (default: {DEFAULT_TRIGGER})")
    experiment.add_argument("--model", default="count-nb", choices=list(MODELS))
    experiment.add_argument("--seed", default=0, type=_seed)
    experiment.add_argument("--test-size", default=0.25, type=_test_size)
    experiment.add_argument("--defense", default="none", choices=["none", *defense_names()],
                            help="a filter (flag rows, remove them, retrain) or a trainer (replaces the "
                                 "classifier) of the defense registry (default: none)")
    experiment.add_argument("--flag-share", type=_flag_share, metavar="S",
                            help="with a filter: remove this share of the training rows, the most suspicious "
                                 "first, instead of the detector's own rule")
    experiment.add_argument("--param", action="append", default=[], type=_param, metavar="KEY=VALUE",
                            help="set a parameter of the defense by its scikit-learn name; VALUE is a JSON "
                                 "scalar (3, 0.5, true, null, \"text\") or plain text; repeatable")
    experiment.add_argument("--format", default="json", choices=["json", "table"])

    _add_stream_parser(commands)
    _add_manifest_parser(commands)

    build = commands.add_parser("build", help="execute every lesson into a folder with an HTML index")
    build.add_argument("--out", default="build", help="output folder (default: build)")
    build.add_argument("--timeout", default=600, type=positive_seconds, help="seconds per cell (default: 600)")
    build.add_argument("notebooks", nargs="*", help="notebooks to build (default: notebooks/*.ipynb)")

    exercises = commands.add_parser("exercises", help="generate exercises/ from solutions/")
    exercises.add_argument("--check", action="store_true",
                           help="write nothing; exit 1 when an exercise would change")
    commands.add_parser("grade", help="grade submitted notebooks (see: python -m course_utils grade --help)",
                        add_help=False)

    execute = commands.add_parser("execute", help="re-execute notebooks in place (for authors)")
    execute.add_argument("--timeout", default=600, type=positive_seconds, help="seconds per cell (default: 600)")
    execute.add_argument("notebooks", nargs="+", help="notebooks to execute in place")

    scripts = commands.add_parser("scripts", help="pair every lesson and solution with its script (for authors)",
                                  description="Write python_scripts/notebooks/*.py and python_scripts/solutions/*.py "
                                              "from the notebooks, or bring an edited script into its notebook.")
    scripts.add_argument("--from", dest="source", default="newer", choices=["newer", "notebooks", "scripts"],
                         help="for a pair out of step, which side wins (default: newer, the file modified last)")
    scripts.add_argument("--check", action="store_true", help="write nothing; exit 1 when a pair is out of step")
    return parser


def _load(data):
    if data == "builtin":
        return load_sentiment()
    return read_labelled_file(data)


def _format_table(result):
    flat = {}
    for key, value in result.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{inner}": v for inner, v in value.items()})
        else:
            flat[key] = value
    width = max(len(key) for key in flat)
    lines = []
    for key, value in flat.items():
        if isinstance(value, float):
            value = f"{value:.4f}"
        elif isinstance(value, list):
            value = "; ".join(map(str, value)) or "-"
        elif value is None:
            value = "-"
        lines.append(f"{key:<{width}}  {value}")
    return "\n".join(lines)


def _params(pairs):
    """The ``--param`` pairs as a dict; a key given twice is an error."""
    params = {}
    for key, value in pairs:
        if key in params:
            raise ValueError(f"--param {key} is given twice")
        params[key] = value
    return params


def _run_experiment(args):
    try:
        dataset = _load(args.data)
        result = run_experiment(
            dataset.texts, dataset.labels, attack=args.attack, fraction=args.fraction,
            source_label=args.source_label, target_label=args.target_label, trigger=args.trigger,
            model=args.model, seed=args.seed, test_size=args.test_size, defense=args.defense,
            flag_share=args.flag_share, defense_params=_params(args.param),
        )
    except (OSError, ValueError, TypeError) as error:  # DataFormatError and UnicodeError are ValueErrors
        _error("experiment", error)
        return 2
    result["data"] = shown_path(args.data)
    for note in result["notes"]:
        write_line(f"python -m course_utils experiment: note: {note}", sys.stderr)
    write_line(json.dumps(result, indent=2) if args.format == "json" else _format_table(result), sys.stdout)
    return 0


def _error(command, error):
    """Report ``error`` as one line on stderr: ``python -m course_utils COMMAND: error: ...``."""
    text = str(error).strip()
    message = text.splitlines()[0] if text else type(error).__name__
    if isinstance(error, OSError) and not isinstance(error, UnreadableFileError) and error.strerror:
        message = f"{error.strerror}: {shown_path(error.filename)}" if error.filename else error.strerror
    write_line(f"python -m course_utils {command}: error: {message}", sys.stderr)


def _exercises(check_only):
    changed = exercises.generate_all(check_only=check_only)
    for path in changed:
        write_line(f"{'would change' if check_only else 'wrote'} {path.parent.name}/{path.name}", sys.stdout)
    if check_only and changed:
        write_line("exercises are out of date: run `make exercises` and commit the result", sys.stderr)
        return 1
    if not changed:
        write_line("exercises are up to date", sys.stdout)
    return 0


def _scripts(source, check_only):
    written = build.sync_scripts(source=source, check_only=check_only)
    for target, origin in written:
        write_line(f"{'would write' if check_only else 'wrote'} {target.relative_to(PROJECT_ROOT)} "
                   f"from {origin.relative_to(PROJECT_ROOT)}", sys.stdout)
    if check_only and written:
        write_line("lesson scripts are out of step: run `make scripts` (or `make notebooks`) and commit both files",
                   sys.stderr)
        return 1
    if not written:
        write_line("every notebook and its script are in step", sys.stdout)
    return 0


def main(argv=None):
    """Entry point of ``python -m course_utils``; returns the exit status.

    Bad arguments, unreadable, special or oversized files and encoding problems exit with status 2 and
    one line on stderr; a notebook that fails while it runs exits with status 1 and one line. Nothing
    ends in a traceback.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["grade"]:
        return grading.main(argv[1:])
    args = _build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        write_line(f"python -m course_utils {args.command}: interrupted", sys.stderr)
        return 130
    except (OSError, ValueError, TypeError) as error:  # a notebook or script that cannot be read or parsed
        _error(args.command, error)
        return 2
    except Exception as error:  # a lesson that fails while it runs: one line, the notebook's own output has the rest
        _error(args.command, f"{type(error).__name__}: {_last_line(error)}")
        return 1


def _last_line(error):
    """The last non-empty line of ``error``'s message (a cell's error comes last in nbclient's)."""
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", str(error))  # the kernel's colours
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(no message)"


def _dispatch(args):
    if args.command == "experiment":
        return _run_experiment(args)
    if args.command == "stream":
        return _run_stream(args)
    if args.command == "manifest":
        return _run_manifest(args)
    if args.command == "exercises":
        return _exercises(args.check)
    if args.command == "scripts":
        return _scripts(args.source, args.check)
    problem = _notebook_problem(args.notebooks)
    if problem:
        write_line(f"python -m course_utils {args.command}: error: {problem}", sys.stderr)
        return 2
    if args.command == "build":
        return build.build_course(args.notebooks or None, out=args.out, timeout=args.timeout)
    return build.execute_in_place(args.notebooks, timeout=args.timeout)


#: The largest notebook ``build`` and ``execute`` open (the course's lessons weigh under 2 MiB).
MAX_NOTEBOOK_BYTES = 100 * 2**20


def _notebook_problem(paths):
    """Why the notebooks named on the command line cannot be run (one line), or ``None``."""
    import json as json_module
    from pathlib import Path

    for name in paths:
        path = Path(name)
        if path.suffix != ".ipynb":
            return f"'{shown_path(name)}' is not a notebook: give .ipynb files"
        try:
            content = read_regular_file(path, "notebook", MAX_NOTEBOOK_BYTES)
            json_module.loads(content.decode("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            if isinstance(error, FileNotFoundError):
                return f"notebook '{shown_path(name)}' does not exist"
            if isinstance(error, OSError):
                return str(error)
            return f"notebook '{shown_path(name)}' is not a notebook's JSON (UTF-8): {str(error).splitlines()[0]}"
    return None


# --- stream (lesson 09) -------------------------------------------------------------------------------------

#: Clean streams the ``stream`` command calibrates every monitor on (seeds after ``--seed``, so never it).
STREAM_CALIBRATION_STREAMS = 40


def _positive_int(name, maximum):
    def parse(value):
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be an integer in [1, {maximum}], got {shown(value)}") from None
        if not 1 <= number <= maximum:
            raise argparse.ArgumentTypeError(f"{name} must be an integer in [1, {maximum}], got {number}")
        return number

    return parse


_stream_alpha = _number_in("alpha", 0.0, 1.0, low_open=True, high_open=True)


def _add_stream_parser(commands):
    from .monitoring import MONITORS, STREAM_ATTACKS, STREAM_DEFAULTS

    stream = commands.add_parser(
        "stream", help="run one seeded stream with an attack and the monitors of lesson 09",
        description="Learn a stream of batches online (hashed word counts, Naive Bayes), with a canary set held "
                    "out and an attack, and report for every monitor its first alarm, its false alarms and the "
                    "damage at the alarm and after a rollback. Thresholds are calibrated on "
                    f"{STREAM_CALIBRATION_STREAMS} clean streams of the same data with other seeds.",
        epilog=f"The stream takes {STREAM_DEFAULTS['warmup_size']} warm-up, {STREAM_DEFAULTS['canary_size']} canary "
               f"and up to {STREAM_DEFAULTS['attack_test_size']} attack test rows, then up to "
               f"{STREAM_DEFAULTS['n_batches']} batches of --batch-size rows; a small file gets fewer batches. "
               f"Data files as for experiment. Bad arguments or data exit with status 2 and one line on stderr.")
    stream.add_argument("--data", required=True, metavar="FILE",
                        help="'builtin' for the shipped review sentences, or a file as for experiment")
    stream.add_argument("--attack", required=True, choices=list(STREAM_ATTACKS))
    stream.add_argument("--batch-size", default=STREAM_DEFAULTS["batch_size"], type=_positive_int("batch size", 1000),
                        metavar="N", help=f"clean rows per batch (default: {STREAM_DEFAULTS['batch_size']})")
    stream.add_argument("--seed", default=0, type=_seed)
    stream.add_argument("--monitor", nargs="+", choices=list(MONITORS), metavar="NAME",
                        help=f"monitors to report (default: all): {', '.join(MONITORS)}")
    stream.add_argument("--alpha", default=0.01, type=_stream_alpha,
                        help="per-batch false-alarm rate each threshold is calibrated to (default: 0.01)")
    stream.add_argument("--format", default="json", choices=["json", "table"])


def _stream_result(args):
    from .monitoring import MONITORS, STREAM_DEFAULTS, StreamData, calibrate_monitors, simulate_stream

    dataset = _load(args.data)
    data = StreamData(dataset.texts, dataset.labels)
    fixed = sum(STREAM_DEFAULTS[k] for k in ("warmup_size", "canary_size", "attack_test_size"))
    n_batches = min(STREAM_DEFAULTS["n_batches"], (len(data) - fixed) // args.batch_size)
    if n_batches <= STREAM_DEFAULTS["attack_start"]:
        raise ValueError(f"the stream needs at least {fixed + (STREAM_DEFAULTS['attack_start'] + 1) * args.batch_size} "
                         f"rows for batches of {args.batch_size} (warm-up, canary and attack test sets, and "
                         f"{STREAM_DEFAULTS['attack_start'] + 1} batches); the data has {len(data)}")
    params = {"batch_size": args.batch_size, "n_batches": n_batches}
    calibration = [(args.seed + 1 + i) % 2**32 for i in range(STREAM_CALIBRATION_STREAMS)]
    monitors = calibrate_monitors(data, calibration, args.alpha, **params)
    names = list(dict.fromkeys(args.monitor or MONITORS))
    thresholds = {name: monitors[name].threshold_ for name in names}
    result = simulate_stream(data, args.attack, seed=args.seed, thresholds=thresholds, **params)
    report = {}
    for name in [*names, "any"]:
        entry = result["monitors"][name]
        report[name] = {"first_alarm_batch": entry["first_alarm_batch"], "false_alarms": entry["false_alarms"],
                        "attack_start_batch": entry["attack_start_batch"],
                        "threshold": thresholds.get(name),
                        "canary_accuracy": {"at_alarm": entry.get("canary_accuracy_at_alarm"),
                                            "after_rollback": entry.get("canary_accuracy_after_rollback")},
                        "attack_success_rate": {"at_alarm": entry.get("attack_success_at_alarm"),
                                                "after_rollback": entry.get("attack_success_after_rollback")}}
    return {"data": shown_path(args.data), "attack": args.attack, "seed": args.seed, "batch_size": args.batch_size,
            "n_batches": n_batches, "alpha": args.alpha, "calibration_streams": len(calibration),
            "target_label": str(data.target_label), "monitors": report}


def _format_stream_table(result):
    lines = [f"{key}: {result[key]}" for key in ("data", "attack", "seed", "batch_size", "n_batches", "alpha")]
    header = ("monitor", "first alarm", "false alarms", "acc at alarm", "acc after", "ASR at alarm", "ASR after")
    rows = [header]

    def cell(value):
        return "-" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)

    for name, entry in result["monitors"].items():
        rows.append((name, cell(entry["first_alarm_batch"]), cell(entry["false_alarms"]),
                     cell(entry["canary_accuracy"]["at_alarm"]), cell(entry["canary_accuracy"]["after_rollback"]),
                     cell(entry["attack_success_rate"]["at_alarm"]),
                     cell(entry["attack_success_rate"]["after_rollback"])))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines += ["  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def _run_stream(args):
    try:
        result = _stream_result(args)
    except (OSError, ValueError, TypeError) as error:  # DataFormatError and UnicodeError are ValueErrors
        _error("stream", error)
        return 2
    write_line(json.dumps(result, indent=2) if args.format == "json" else _format_stream_table(result), sys.stdout)
    return 0


#: The largest manifest or key file ``manifest`` reads.
MAX_MANIFEST_BYTES = 20 * 2**20


def _add_manifest_parser(commands):
    manifest = commands.add_parser(
        "manifest", help="sign a data folder's manifest, or verify a folder against one (lesson 10)",
        description="Describe every file of a folder (SHA-256, size, source, license) in a manifest signed with "
                    "Ed25519, and verify a folder against it before training.",
        epilog="verify exits 0 when every file and the signature hold, 1 with one line per failed file or check, "
               "and 2 on bad arguments; it never writes anything.")
    actions = manifest.add_subparsers(dest="action", required=True, parser_class=OneLineArgumentParser)
    keygen = actions.add_parser("keygen", help="write PREFIX.key (private, mode 0600) and PREFIX.pub")
    keygen.add_argument("--out", required=True, metavar="PREFIX", help="path prefix of the two key files")
    create = actions.add_parser("create", help="write the signed manifest of a folder")
    create.add_argument("folder", metavar="DIR")
    create.add_argument("--key", required=True, metavar="KEY", help="the private key (PEM, from keygen)")
    create.add_argument("--out", required=True, metavar="MANIFEST", help="where to write the manifest (JSON)")
    create.add_argument("--version", type=_positive_int("version", 2**31), default=1,
                        help="the manifest's version; a verifier refuses older ones (default: 1)")
    create.add_argument("--source", default="", help="where the files come from")
    create.add_argument("--license", default="", help="the files' license")
    verify = actions.add_parser("verify", help="check a folder against a signed manifest; writes nothing")
    verify.add_argument("folder", metavar="DIR")
    verify.add_argument("--manifest", required=True, metavar="MANIFEST")
    verify.add_argument("--public-key", required=True, metavar="PUB", help="the signer's public key (PEM)")
    verify.add_argument("--min-version", type=_positive_int("min-version", 2**31), default=None, metavar="N",
                        help="refuse a manifest older than this version (an old release replayed)")


def _read_key(path, private):
    from . import provenance

    content = read_regular_file(Path(path), "private key" if private else "public key", MAX_MANIFEST_BYTES)
    try:
        return provenance.load_private_key(content) if private else provenance.load_public_key(content)
    except ValueError as error:
        raise ValueError(f"'{shown_path(path)}' is not an Ed25519 {'private' if private else 'public'} key "
                         f"({str(error).splitlines()[0] if str(error) else 'unreadable'})") from None


def _exclusion(folder, target):
    """The manifest's own name, when it is written inside the folder it describes."""
    try:
        return (Path(target).resolve().relative_to(Path(folder).resolve()).as_posix(),)
    except ValueError:
        return ()


def _run_manifest(args):
    from . import provenance

    try:
        if args.action == "keygen":
            from cryptography.hazmat.primitives import serialization

            key_path, pub_path = Path(args.out + ".key"), Path(args.out + ".pub")
            for path in (key_path, pub_path):
                if path.exists():
                    raise ValueError(f"'{shown_path(path)}' exists; keygen never overwrites a key")
            key = provenance.generate_key()
            private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
            public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
            descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(private)
            pub_path.write_bytes(public)
            write_line(f"wrote {shown_path(key_path)} (private, keep it secret) and {shown_path(pub_path)}",
                       sys.stdout)
            return 0
        folder = Path(args.folder)
        if not folder.is_dir():
            raise ValueError(f"'{shown_path(args.folder)}' is not a folder")
        if args.action == "create":
            key = _read_key(args.key, private=True)
            unsigned = provenance.create_manifest(folder, version=args.version, source=args.source,
                                                  license=args.license, exclude=_exclusion(folder, args.out))
            signed = provenance.sign_manifest(unsigned, key)
            Path(args.out).write_text(json.dumps(signed, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            write_line(f"wrote {shown_path(args.out)}: {len(signed['files'])} files, version {args.version}",
                       sys.stdout)
            return 0
        public_key = _read_key(args.public_key, private=False)
        content = read_regular_file(Path(args.manifest), "manifest", MAX_MANIFEST_BYTES)
        try:
            manifest = json.loads(content.decode("utf-8"))
        except ValueError:
            raise ValueError(f"'{shown_path(args.manifest)}' is not a JSON manifest") from None
        problems = provenance.manifest_problems(folder, manifest, public_key, min_version=args.min_version,
                                                exclude=_exclusion(folder, args.manifest))
    except (OSError, ValueError, TypeError) as error:
        _error(f"manifest {args.action}", error)
        return 2
    for problem in problems:
        write_line(problem, sys.stdout)
    if problems:
        return 1
    write_line(f"ok: {len(manifest['files'])} files, version {manifest['version']}, signature valid", sys.stdout)
    return 0
