"""The house rules, checked on the source: imports flow one way (no circle, training/ reached only by the API
and the command line), and code outside objectives/ asks declared capabilities instead of testing types,
attributes or objective names."""
import ast
import re
from pathlib import Path

import gankit

PACKAGE = Path(gankit.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The gankit modules a file imports anywhere in it (module level or inside functions)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package if node.level else ""
            target = f"{base}.{node.module}" if node.level and node.module else (node.module or base)
            for alias in node.names:  # `from . import x` imports the module x when there is one
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in modules else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in modules and m != name}


def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: imported_modules(path, set(files)) for name, path in files.items()}


def owner(module: str) -> str:
    """The module a package import stands for: its __init__ is part of the package's room, not a separate one."""
    return module


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle among modules, ignoring a package's __init__ importing its own submodules (registration)."""
    def edges(name):
        return {m for m in graph[name] if not m.startswith(name + ".") and not name.startswith(m + ".")}

    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name):
        state[name] = 1
        stack.append(name)
        for nxt in sorted(edges(name)):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[name] = 2
        stack.pop()
        return None

    for name in sorted(graph):
        if name not in state and (cycle := visit(name)):
            return cycle
    return None


def test_no_import_circle():
    assert find_cycle(import_graph()) is None


def test_the_cycle_finder_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_only_the_api_and_the_command_line_reach_into_training():
    graph = import_graph()
    outside = {name: {m for m in deps if m.startswith("gankit.training")} for name, deps in graph.items()
               if not name.startswith(("gankit.training", "gankit.cli")) and name != "gankit.api"}
    assert {name: deps for name, deps in outside.items() if deps} == {}


def test_the_ground_floor_imports_nothing_of_gankit():
    graph = import_graph()
    for name in ("gankit.files", "gankit.numerics", "gankit.errors"):
        assert graph[name] == set(), name


ALGORITHM_TESTS = re.compile(r"\bhasattr\(|\bisinstance\([^)]*(Objective|GAN|EnergyBased|VAE|IGN|MEG)\b|"
                             r"objective\.name\s*[!=]=|objective_name\s*[!=]=")


def test_no_algorithm_branch_outside_objectives():
    offending = [f"{p.relative_to(PACKAGE)}:{i}: {line.strip()}" for p in PACKAGE.rglob("*.py")
                 if "objectives" not in p.relative_to(PACKAGE).parts
                 for i, line in enumerate(p.read_text().splitlines(), 1) if ALGORITHM_TESTS.search(line)]
    assert offending == []
