"""The package's layers import one way and no module imports itself back (docs/ARCHITECTURE.md).

An AST walk over every module of the package (tests, benchmarks, recipes, examples and build output
left out) reads each import, relative or absolute, and whether it runs when the module loads
or only when a function is called. Rules:

- layers: ``motion`` <- ``inference`` <- ``plugins``; ``motion`` <- ``blender`` <- ``addon``,
  ``exporters`` (<- ``scenes``, the test scenes); ``client`` (stdlib only) <- ``addon``,
  ``commands``; ``commands``, ``cli`` and ``tools`` on top. ``exporters`` may call
  ``inference`` (to generate, to render) only from inside functions, so exporting needs no
  inference runtime until it generates.
- the package root (``__init__``, which Blender imports) and the Python API's wrappers
  (``api``) import the other layers LAZILY only: the root inside register()/unregister() and
  its PEP 562 ``__getattr__`` (by dotted name, the public names of ``__all__``), ``api`` inside
  its functions, so a bare ``import talkrig`` imports nothing but the standard library.
- ``addon`` never imports ``inference`` or ``plugins``; ``motion``, ``blender`` and ``addon``
  never import torch or onnxruntime, ``motion`` never bpy.
- ``client`` imports the standard library only; the one optional device library it drives (the
  microphone's sounddevice, which Blender's Python may lack) is imported inside functions, so
  importing any client module needs the standard library alone.
- ``plugins/`` holds one folder per entry-point kind (PLUGIN_KINDS: ``generators/``,
  ``speech/``, ``face/``, ``renderers/``, ``landmarks/``), a plugin per folder inside it, and
  the shared libraries (``plugins/neural``, the neural generators' and renderer's shared code,
  not a plugin); nothing else. A plugin imports no other plugin, of its own kind or another:
  what two plugins share lives in a shared library, ``inference`` or ``motion``.
- no import circle between modules. Imports inside functions count too: a lazy import is
  still a dependency, and a circle hidden behind one is as hard to read (and to move) as one
  at module level.
"""

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "talkrig"
SKIPPED_DIRS = {"tests", "benchmarks", "recipes", "examples", "build", "dist", "__pycache__"}

# layer -> the layers it may import (itself and the package root, which holds only
# __version__ and the extension's register(), always allowed). "" is the package root.
ALLOWED = {
    "userdirs": set(),
    "": set(),  # __init__ imports other layers only inside functions: see LAZY_ALLOWED
    "api": set(),  # the Python API's wrappers: the same, inside each function
    "motion": set(),
    "inference": {"motion", "userdirs"},
    "plugins": {"motion", "inference", "userdirs"},
    "blender": {"motion"},
    "client": {"userdirs"},
    "addon": {"motion", "blender", "client", "userdirs"},
    "exporters": {"motion", "blender", "userdirs"},
    "scenes": {"motion", "blender", "exporters", "userdirs"},  # test scenes, above the exporters
    "commands": {"motion", "inference", "plugins", "blender", "client", "exporters", "userdirs"},
    "cli": {"commands", "motion", "userdirs"},
    "__main__": {"cli"},
    "setup": set(),
    "tools": {"motion", "blender", "client", "addon", "userdirs"},
}
# layer -> layers it may import from inside functions only.
LAZY_ALLOWED = {"exporters": {"inference"},
                "": {"addon", "api", "motion", "inference", "exporters", "client"},
                "api": {"motion", "inference"}}
# layer -> third-party top-level modules it must never import.
FORBIDDEN_EXTERNAL = {
    "motion": {"bpy", "torch", "onnxruntime"},
    "addon": {"torch", "onnxruntime"},
    "blender": {"torch", "onnxruntime"},
}
STDLIB_ONLY = {"client", "userdirs"}
# layer -> optional third-party modules it may import inside functions only.
LAZY_OPTIONAL = {"client": {"sounddevice"}}
# plugins/<kind>/ -> its entry-point group; plugins/<library>/ shared by plugins of any kind.
PLUGIN_KINDS = {"generators": "talkrig.generators", "speech": "talkrig.speech",
                "face": "talkrig.face", "renderers": "talkrig.renderers",
                "landmarks": "talkrig.landmarks"}
SHARED_PLUGIN_PACKAGES = {"neural"}


@dataclass(frozen=True)
class Import:
    source: str  # importing module, dotted, e.g. talkrig.inference.pipeline
    target: str  # imported module (the deepest module of the package it names) or external top name
    internal: bool
    lazy: bool  # inside a function: runs when called, not when the module loads
    line: int

    @property
    def where(self):
        return f"{self.source} (line {self.line})"


def module_files(root):
    """{dotted module name: path} of every module under ``root`` (the package directory, named
    ``talkrig`` whatever its folder is called: a clone may sit in any folder)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if any(part in SKIPPED_DIRS or part.startswith(".") for part in rel.parts[:-1]):
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join([PACKAGE, *parts])] = path
    return found


def _resolve(name, modules):
    """The deepest module of ``modules`` that dotted ``name`` is or lies in."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name


def _imports_of(module, path, modules):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    base = module.split(".") if is_package else module.split(".")[:-1]
    found = []

    def visit(node, lazy):
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.extend(_targets(alias.name, (), child.lineno, lazy))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    anchor = base[:len(base) - child.level + 1]
                    name = ".".join(anchor + ([child.module] if child.module else []))
                else:
                    name = child.module
                found.extend(_targets(name, [a.name for a in child.names], child.lineno, lazy))
            visit(child, inner)

    def _targets(name, names, line, lazy):
        top = name.split(".")[0]
        if top != PACKAGE:
            return [Import(module, top, False, lazy, line)]
        if not names:
            return [Import(module, _resolve(name, modules), True, lazy, line)]
        # `from pkg import sub` names a submodule when one exists, else something in pkg
        return [Import(module, _resolve(f"{name}.{n}" if f"{name}.{n}" in modules else name, modules),
                       True, lazy, line) for n in names]

    visit(tree, False)
    return sorted({imp for imp in found if imp.target != module}, key=lambda i: (i.line, i.target))


def import_graph(root):
    """Every import of the package under ``root``: a list of :class:`Import`."""
    modules = module_files(root)
    imports = []
    for module, path in modules.items():
        imports.extend(_imports_of(module, path, modules))
    return modules, imports


def layer_of(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def plugin_of(module):
    """The plugin a module of plugins/ belongs to: "kind.name" for plugins/<kind>/<name>, the
    library's name for a shared library, "" for plugins/__init__ and a kind's __init__."""
    parts = module.split(".")
    if len(parts) < 3 or parts[1] != "plugins":
        return ""
    if parts[2] in PLUGIN_KINDS:
        return ".".join(parts[2:4]) if len(parts) > 3 else ""
    return parts[2]


def layering_violations(root):
    """One line per import against the layering rules (see the module docstring)."""
    _, imports = import_graph(root)
    stdlib = set(sys.stdlib_module_names)
    problems = []
    for imp in imports:
        layer = layer_of(imp.source)
        if imp.internal:
            target = layer_of(imp.target)
            if layer == target == "plugins" and plugin_of(imp.target) not in (
                    plugin_of(imp.source), "", *SHARED_PLUGIN_PACKAGES):
                problems.append(f"{imp.where} imports {imp.target}: a plugin imports no other "
                                "plugin (shared code lives in inference or motion)")
                continue
            if target in (layer, "") or target in ALLOWED.get(layer, set()):
                continue
            if imp.lazy and target in LAZY_ALLOWED.get(layer, set()):
                continue
            how = "inside a function " if imp.lazy else ""
            problems.append(f"{imp.where} imports {imp.target} {how}against the layering "
                            f"({layer or 'the package root'} may not import {target or 'the root'})")
        else:
            if imp.target in FORBIDDEN_EXTERNAL.get(layer, ()):
                problems.append(f"{imp.where} imports {imp.target}, which {layer} never does")
            elif layer in STDLIB_ONLY and imp.target not in stdlib and not (
                    imp.lazy and imp.target in LAZY_OPTIONAL.get(layer, ())):
                problems.append(f"{imp.where} imports {imp.target}; {layer} is stdlib only")
    return problems


def import_circles(root):
    """Each import circle between modules (imports inside functions count), as a list of
    module names, smallest first; none when the graph is acyclic."""
    modules, imports = import_graph(root)
    edges = {m: set() for m in modules}
    for imp in imports:
        if imp.internal and imp.target in edges:
            edges[imp.source].add(imp.target)
    return [sorted(c) for c in _strongly_connected(edges) if len(c) > 1]


def _strongly_connected(edges):
    """Tarjan's strongly connected components, iterative (deep graphs, no recursion limit)."""
    index, low, on_stack, stack, result, counter = {}, {}, set(), [], [], [0]
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    result.append(component)
    return sorted(result, key=len)


def test_the_package_imports_along_the_layers():
    problems = layering_violations(ROOT)
    assert not problems, "imports against the layering:\n" + "\n".join(problems)


def test_the_package_has_no_import_circle():
    circles = import_circles(ROOT)
    assert not circles, "import circles:\n" + "\n".join(" <-> ".join(c) for c in circles)


def test_the_walk_sees_every_layer_of_the_package():
    """The rules bind only if the walk reads the real tree: every layer is found, with imports."""
    modules, imports = import_graph(ROOT)
    layers = {layer_of(m) for m in modules}
    assert {"motion", "inference", "plugins", "addon", "exporters", "commands"} <= layers
    assert not any(layer_of(m) in SKIPPED_DIRS for m in modules)
    sources = {imp.source for imp in imports if imp.internal}
    assert f"{PACKAGE}.inference.generation.pipeline" in sources and f"{PACKAGE}.commands.generate" in sources


def _plant(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture
def planted(tmp_path):
    """A tiny package laid out like the real one, every import along the layers."""
    return _plant(tmp_path / PACKAGE, {
        "__init__.py": "def register():\n    from . import addon\n",
        "userdirs.py": "import os\n",
        "motion/__init__.py": "",
        "motion/container.py": "import numpy as np\n",
        "motion/skeleton.py": "from .container import np\n",
        "inference/__init__.py": "",
        "inference/pipeline.py": "from ..motion import skeleton\nfrom talkrig.motion.container import np\n",
        "plugins/__init__.py": "",
        "plugins/generators/__init__.py": "",
        "plugins/generators/walker/__init__.py": "from ...neural import shared\nfrom . import gait\n",
        "plugins/generators/walker/gait.py": "from ....inference.pipeline import np\nimport torch\n",
        "plugins/neural/__init__.py": "",
        "plugins/neural/shared.py": "import onnxruntime\nfrom ...motion import skeleton\n",
        "blender/__init__.py": "import bpy\nfrom ..motion import container\n",
        "client/__init__.py": "import json\nimport urllib.request\nfrom .. import userdirs\n",
        "client/microphone.py": "import queue\n\ndef chunks():\n    import sounddevice\n",
        "addon/__init__.py": "import bpy\nfrom .. import blender, client\nfrom ..motion import skeleton\n",
        "exporters/__init__.py": "from ..blender import bpy\n\ndef bake():\n    from ..inference import pipeline\n",
        "commands/__init__.py": "from ..inference import pipeline\nfrom ..exporters import bake\n",
    })


def test_a_tree_along_the_layers_passes(planted):
    assert layering_violations(planted) == []
    assert import_circles(planted) == []


@pytest.mark.parametrize("name, text, expected", [
    ("motion/wrong.py", "from ..inference import pipeline\n",
     "talkrig.motion.wrong (line 1) imports talkrig.inference.pipeline against the layering"),
    ("inference/wrong.py", "import talkrig.plugins.generators.walker\n",
     "talkrig.inference.wrong (line 1) imports talkrig.plugins.generators.walker against"),
    ("blender/wrong.py", "import torch\n", "talkrig.blender.wrong (line 1) imports torch, which blender never"),
    ("addon/wrong.py", "def run():\n    from ..inference.pipeline import np\n",
     "talkrig.addon.wrong (line 2) imports talkrig.inference.pipeline inside a function against"),
    ("exporters/wrong.py", "from ..inference import pipeline\n",
     "talkrig.exporters.wrong (line 1) imports talkrig.inference.pipeline against"),
    ("blender/wrong.py", "from ..addon import bpy\n", "talkrig.blender.wrong (line 1) imports talkrig.addon"),
    ("client/wrong.py", "import numpy\n", "talkrig.client.wrong (line 1) imports numpy; client is stdlib only"),
    ("client/wrong.py", "def load():\n    import numpy\n", "talkrig.client.wrong (line 2) imports numpy; client"),
    ("client/wrong.py", "import sounddevice\n", "talkrig.client.wrong (line 1) imports sounddevice; client"),
    ("plugins/generators/talker/__init__.py", "from ..walker.gait import np\n",
     "talkrig.plugins.generators.talker (line 1) imports talkrig.plugins.generators.walker.gait: "
     "a plugin imports no other"),
    ("plugins/speech/talker/__init__.py", "from ...generators.walker import gait\n",
     "talkrig.plugins.speech.talker (line 1) imports talkrig.plugins.generators.walker.gait: a "
     "plugin imports no other"),
    ("client/wrong.py", "from ..motion import skeleton\n", "talkrig.client.wrong (line 1) imports talkrig.motion"),
    ("motion/wrong.py", "try:\n    import torch\nexcept ImportError:\n    pass\n",
     "talkrig.motion.wrong (line 2) imports torch, which motion never does"),
    ("motion/wrong.py", "def draw():\n    import bpy\n", "talkrig.motion.wrong (line 2) imports bpy"),
])
def test_a_planted_wrong_import_fails(planted, name, text, expected):
    _plant(planted, {name: text})
    problems = layering_violations(planted)
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_a_planted_circle_fails_even_behind_a_lazy_import(planted):
    _plant(planted, {"motion/skeleton.py": "from .container import np\n",
                     "motion/container.py": "import numpy as np\n\ndef fk():\n    from . import skeleton\n"})
    assert import_circles(planted) == [["talkrig.motion.container", "talkrig.motion.skeleton"]]
    _plant(planted, {"inference/a.py": "from . import b\n", "inference/b.py": "from .c import x\n",
                     "inference/c.py": "from .a import y\n"})
    assert ["talkrig.inference.a", "talkrig.inference.b", "talkrig.inference.c"] in import_circles(planted)


def test_a_planted_circle_through_a_package_init_fails(planted):
    _plant(planted, {"inference/__init__.py": "from .pipeline import np\n",
                     "motion/container.py": "import numpy as np\n",
                     "inference/pipeline.py": "from talkrig.inference import helper\n",
                     "inference/helper.py": "from talkrig import inference\n"})
    assert import_circles(planted) == [["talkrig.inference", "talkrig.inference.helper",
                                        "talkrig.inference.pipeline"]]


def test_plugins_are_grouped_by_entry_point_kind():
    """plugins/ holds kind folders and shared libraries only, and every built-in entry point
    of a kind's group is named talkrig.plugins.<kind>.<name>:<Class>."""
    import tomllib

    folders = {p.name for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").exists()}
    assert folders == set(PLUGIN_KINDS) | SHARED_PLUGIN_PACKAGES
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    wrong = []
    for kind, group in PLUGIN_KINDS.items():
        for name, target in groups[group].items():
            if target != f"{PACKAGE}.plugins.{kind}.{name}:{target.rpartition(':')[2]}":
                wrong.append(f"{group} {name} = {target}")
            elif not (ROOT / "plugins" / kind / name / "__init__.py").exists():
                wrong.append(f"{group} {name}: no folder plugins/{kind}/{name}")
    assert wrong == []


def test_a_constant_the_stdlib_client_cannot_import_is_mirrored_exactly():
    """client/ is stdlib only, so it keeps its own copy of the audio's sample rate."""
    from talkrig.client.live_client import SAMPLE_RATE as mirrored
    from talkrig.inference.audio.decode import SAMPLE_RATE

    assert mirrored == SAMPLE_RATE
