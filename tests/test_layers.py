"""Each layer imports only the layers below it: cli → webhook → handlers → bot → lessons.

Read from the source (every `import` and `from … import`, at any depth, lazy ones too), so a
new upward import fails here before it tangles the packages.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("cli", "webhook", "handlers", "bot", "lessons")
"""Top to bottom."""


def imported(path: Path) -> set[str]:
    """The top-level packages a module imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_only_the_layers_below_it(layer: str) -> None:
    above = set(LAYERS[: LAYERS.index(layer)])
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported(path) & above)
        for path in sorted((ROOT / layer).rglob("*.py"))
        if imported(path) & above
    }
    assert wrong == {}, f"{layer} imports from a layer above it"
