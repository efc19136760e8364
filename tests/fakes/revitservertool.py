#!/usr/bin/env python3
"""Fake RevitServerTool: ``createLocalRVT <model> -s <host> [-a <accel>] -d <dest> [-o]``.

Standard library only. The fake server's root comes from ``FAKE_REVIT_ROOT`` (the wrapper made by
``tests/fakes/revit_server.make_tool`` sets it). ``<model>`` (either separator) is resolved under
``<root>/Projects``; the scenario comes from ``<root>/scenarios.json`` (model path -> name, or
``{"scenario": name, ...options}``; default ``ok``). Every call is appended to
``<root>/calls.jsonl``. Console text is written in cp850 bytes, as the real tool's OEM code page.

An ``ok`` export is a real, minimal OLE2 compound file (``tests/fakes/cfb_writer.py``) with a
``BasicFileInfo`` stream naming Autodesk Revit 2024, a ``Contents`` stream of ``kib`` KiB and a
``Global`` storage, so a read-back with olefile accepts it.

Scenarios: ok [kib], busy, admin_locked, flaky [fail_times], slow [seconds], hang, crash,
exit0_nofile, zero_byte, partial_write, version_mismatch, missing, stale_file, not_ole.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

try:
    from tests.fakes.cfb_writer import revit_model
except ImportError:  # run as a script: this folder is first on sys.path
    from cfb_writer import revit_model  # type: ignore[no-redef]

OLE2_HEADER = bytes.fromhex("D0CF11E0A1B11AE1")
CODEPAGE = "cp850"
INTERRUPTED = -1073741510  # 0xC000013A as Windows reports it, signed


def say(text: str, stream: Any = None) -> None:
    """Write a console line in the OEM code page, as a Windows console program does."""
    target = stream or sys.stdout
    target.buffer.write((text + "\r\n").encode(CODEPAGE, errors="replace"))
    target.flush()


def parse(argv: list[str]) -> dict[str, Any] | str:
    """The real tool's arguments, or the usage problem as text."""
    if len(argv) < 2 or argv[0].lower() != "createlocalrvt":
        return "usage: RevitServerTool createLocalRVT <model> -s <host> [-a <accel>] -d <dest> [-o]"
    args: dict[str, Any] = {
        "model": argv[1],
        "server": None,
        "accelerator": None,
        "dest": None,
        "overwrite": False,
    }
    rest = argv[2:]
    while rest:
        flag = rest.pop(0)
        if flag == "-o":
            args["overwrite"] = True
        elif flag in ("-s", "-a", "-d") and rest:
            args[{"-s": "server", "-a": "accelerator", "-d": "dest"}[flag]] = rest.pop(0)
        else:
            return f"unknown or incomplete argument: {flag}"
    if not args["server"] or not args["dest"]:
        return "both -s <host> and -d <destination> are required"
    return args


def scenario_for(root: Path, model: str) -> dict[str, Any]:
    path = root / "scenarios.json"
    table = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    wanted = model.replace("/", "\\").casefold()
    for key, value in table.items():
        if key.replace("/", "\\").casefold() == wanted:
            return {"scenario": value} if isinstance(value, str) else dict(value)
    return {"scenario": "ok"}


def log_call(root: Path, argv: list[str], args: dict[str, Any], scenario: str) -> None:
    entry = {"argv": argv, **args, "scenario": scenario, "pid": os.getpid(), "time": time.time()}
    with open(root / "calls.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")


def destination(dest: str, model: str) -> Path:
    if dest.endswith(("\\", "/")):
        return Path(dest) / re.split(r"[\\/]", model)[-1].rstrip(" .")
    return Path(dest)


def write_rvt(dest: Path, kib: int, model: str = "") -> None:
    """A real (minimal) OLE2 compound file: BasicFileInfo naming Revit 2024, Contents of ``kib`` KiB."""
    with open(dest, "wb") as handle:
        handle.write(revit_model(kib, central=model))


def flaky_fails(root: Path, model: str, fail_times: int) -> bool:
    """True for the first ``fail_times`` calls for ``model`` (a counter file beside Projects)."""
    counters = root / "flaky-counters.json"
    counts = json.loads(counters.read_text(encoding="utf-8")) if counters.exists() else {}
    counts[model] = counts.get(model, 0) + 1
    counters.write_text(json.dumps(counts), encoding="utf-8")
    return bool(counts[model] <= fail_times)


def interrupt() -> None:
    """End as a console program stopped by Ctrl+C: 0xC000013A on Windows, SIGINT elsewhere."""
    if sys.platform == "win32":
        os._exit(INTERRUPTED)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(10)
    os._exit(1)


def hang(root: Path, model: str) -> None:
    """Start a child that also lives on, then never finish."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    with open(root / "hang-pids.txt", "a", encoding="utf-8") as handle:
        handle.write(f"{os.getpid()} {child.pid}\n")
    say(f"Export de {model} en cours ...")
    while True:
        time.sleep(1)


def export_ok(dest: Path, model: str, kib: int) -> int:
    say(f"Création de la copie locale de {model} ...")
    write_rvt(dest, kib, model)
    say("Opération réussie.")
    return 0


def run(root: Path, args: dict[str, Any], options: dict[str, Any]) -> int:
    model: str = args["model"]
    name = options["scenario"]
    kib = int(options.get("kib", 16))
    folder = (root / "Projects").joinpath(*[p for p in re.split(r"[\\/]", model) if p])
    if name == "missing" or not folder.is_dir():
        say(f"Modèle introuvable : {model} (model not found)", sys.stderr)
        return 1
    dest = destination(args["dest"], model)
    if not dest.parent.is_dir():
        say(f"Impossible de trouver une partie du chemin d'accès '{dest}'.", sys.stderr)
        return 1
    if dest.exists() and not args["overwrite"]:
        say(f"Le fichier existe déjà : {dest} (use -o)", sys.stderr)
        return 1
    if name == "flaky":
        name = "busy" if flaky_fails(root, model, int(options.get("fail_times", 1))) else "ok"
    if name == "busy":
        say("Le serveur est occupé (server busy). Réessayez plus tard.", sys.stderr)
        return 1
    if name == "admin_locked":
        say(
            "Le modèle est verrouillé par un administrateur (model is locked by an administrator).",
            sys.stderr,
        )
        return 1
    if name == "version_mismatch":
        say(
            "La version de RevitServerTool (2023) ne correspond pas à celle du serveur (2024):"
            " version mismatch.",
            sys.stderr,
        )
        return 1
    if name == "slow":
        say(f"Création de la copie locale de {model} ...")
        time.sleep(float(options.get("seconds", 1.0)))
        return export_ok(dest, model, kib)
    if name == "hang":
        hang(root, model)
    if name == "crash":
        say(f"Création de la copie locale de {model} ...")
        with open(dest, "wb") as handle:
            handle.write(OLE2_HEADER + b"\0" * 100)
        interrupt()
    if name == "exit0_nofile":
        say("Opération réussie.")
        return 0
    if name == "zero_byte":
        dest.write_bytes(b"")
        say("Opération réussie.")
        return 0
    if name == "partial_write":
        with open(dest, "wb") as handle:
            handle.write(OLE2_HEADER + b"\1" * 1000)
        say("Erreur d'écriture : connexion perdue (write failed).", sys.stderr)
        return 1
    if name == "stale_file":
        export_ok(dest, model, kib)
        old = time.time() - 3600
        os.utime(dest, (old, old))
        return 0
    if name == "not_ole":
        dest.write_bytes(b"PK\x03\x04 this is a zip, not a Revit model")
        say("Opération réussie.")
        return 0
    if name != "ok":
        say(f"fake: unknown scenario {name!r}", sys.stderr)
        return 3
    return export_ok(dest, model, kib)


def main(argv: list[str]) -> int:
    root_text = os.environ.get("FAKE_REVIT_ROOT", "")
    if not root_text:
        say("fake RevitServerTool: FAKE_REVIT_ROOT is not set", sys.stderr)
        return 2
    root = Path(root_text)
    args = parse(argv)
    if isinstance(args, str):
        log_call(root, argv, {"model": None}, "usage")
        say(args, sys.stderr)
        return 2
    options = scenario_for(root, args["model"])
    log_call(root, argv, args, options["scenario"])
    return run(root, args, options)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
