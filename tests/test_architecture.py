"""The package tree shows the pipeline: stage subpackages, small modules, no import circle."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers import REPO

PACKAGE = REPO / "subvox"
STAGES = {
    "media", "asr", "subtitles", "speakers", "revoice", "soundtrack", "translate", "library", "reports", "models",
    "workflow",
}  # fmt: skip
MAX_LINES = 420  # ~400: a module holds one idea


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every subvox module ``path`` imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("subvox")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("subvox"):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}  # `from pkg import module`
    return found


def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in imports(path) if m in files and m != name} for name, path in files.items()}


def test_no_import_circle():
    edges = graph()
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            # a package's __init__ re-exporting its own modules is not a circle through them
            if nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                cycle = [*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])


def test_interfaces_never_import_their_backends():
    edges = graph()
    asr = {f"subvox.asr.{b}" for b in ("faster", "openai", "whispercpp")}
    tts = {f"subvox.revoice.tts.{e}" for e in ("piper", "espeak", "outetts")}
    for interface, backends in {
        "subvox.asr.base": asr,
        "subvox.asr.registry": asr,
        "subvox.revoice.tts.base": tts,
        "subvox.revoice.tts.registry": tts,
        "subvox.soundtrack.base": {f"subvox.soundtrack.{b}" for b in ("spleeter", "deepfilter", "rnnoise")},
        "subvox.soundtrack.registry": {f"subvox.soundtrack.{b}" for b in ("spleeter", "deepfilter", "rnnoise")},
        "subvox.translate.base": {"subvox.translate.apertium", "subvox.translate.ctranslate2_engine"},
        "subvox.translate.registry": {"subvox.translate.apertium", "subvox.translate.ctranslate2_engine"},
    }.items():
        assert not edges[interface] & backends, interface


def test_top_level_holds_only_stages_and_cross_cutting_modules():
    top = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert top <= {"cli", "config", "errors"}, top
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()} <= STAGES


def test_modules_stay_small():
    for folder in (PACKAGE, REPO / "bench", REPO / "scripts"):
        for path in folder.rglob("*.py"):
            n = len(path.read_text(encoding="utf-8").splitlines())
            assert n <= MAX_LINES, f"{path.relative_to(REPO)}: {n} lines"
