"""Helpers for the tests: the repository's scripts (``benchmarks/``, ``tools/``) as modules (they are not in the
package), and the README's commands."""

import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_script(relative: str) -> ModuleType:
    """Import ``ROOT / relative`` (e.g. ``"benchmarks/bench_train.py"``) as a fresh module."""
    path = ROOT / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def readme_commands(section: str = "Quick start") -> list[str]:
    """The ```` ```bash ```` blocks of the README section ``## <section>``, stripped (CI runs them verbatim)."""
    text = (ROOT / "README.md").read_text().split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]
