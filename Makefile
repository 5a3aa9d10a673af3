# talkrig development tasks. `make test` is what CI runs (.ci/run calls it).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.talkrig-installed

LOCK := requirements.lock

.PHONY: setup lock demo test test-quick bench docs addon repository clean

setup: $(STAMP)

# Install exactly the locked versions (every package of every extra), whenever the project's
# dependencies or the lock change. The pins the stack needs (numpy<2, torch==2.13.0, bpy==5.0.1)
# live in pyproject.toml; the lock holds the rest, so a new release elsewhere changes nothing.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(LOCK) pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ".[all]"
	touch $(STAMP)

# Refresh the lock after changing dependencies in pyproject.toml: new packages are resolved and
# every other pin is kept; runtime-wheels.json then gets the hashes of the extension zips' wheels. `make lock UPGRADE=1` moves everything to the newest releases.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(LOCK) pip-tools
	$(BIN)/python -m piptools compile --quiet --extra all --strip-extras --unsafe-package talkrig \
		--no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade) \
		--output-file $(LOCK) pyproject.toml
	$(BIN)/python tools/runtime_wheels.py lock

# The main job on the embedded defaults: the bundled speech sample baked onto the bundled avatar
# with the default generator -> out/demo.glb, out/demo.fbx and a preview video out/demo.mp4.
DEMO_SPEECH := exporters/assets/acoustic_corpus
demo: $(STAMP)
	mkdir -p out
	$(BIN)/python -m talkrig bake $(DEMO_SPEECH).wav --transcript $(DEMO_SPEECH).lab \
		-o out/demo.glb -o out/demo.fbx --preview out/demo.mp4

test: $(STAMP)
	$(BIN)/python -m pytest

# The suite without the tests marked slow or blender and without tests/neural (tiny trainings):
# a few minutes, for while you work; `make test` before you push.
test-quick: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not blender" --ignore=tests/neural

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

# The documentation site (mkdocs.yml, pages in docs/) in site/; --strict: a broken link, a missing
# anchor or a page left out of the nav fails the build.
docs: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir site

# The Blender extension zips in dist/: talkrig-<version>.zip (the add-on alone: __init__.py,
# manifest, userdirs.py, motion/, blender/, client/, addon/; for a server elsewhere) and, per
# platform, talkrig-<version>-<platform>.zip with the server's wheels (downloaded once into the
# user cache, checked against runtime-wheels.json), each validated.
addon: $(STAMP)
	$(BIN)/python tools/build_extension.py
	$(BIN)/python tools/extension_platforms.py --validate

# A folder a studio can serve (or point Get Extensions at): the per-platform zips, index.json
# and index.html. `make repository REPOSITORY=/srv/blender-extensions`
REPOSITORY ?= dist/repository
repository: $(STAMP)
	$(BIN)/python tools/extension_platforms.py --repository $(REPOSITORY)

clean:
	rm -rf $(VENV) build dist *.egg-info
