VENV   := .venv
PYTHON := $(VENV)/bin/python
PIP    := $(PYTHON) -m pip install -q -c constraints.txt

.PHONY: demo test install install-dev clean

$(VENV)/bin/activate:
	python3 -m venv $(VENV)

# Installs the package (editable) with its runtime dependencies.
install: $(VENV)/bin/activate
	$(PIP) -e .

install-dev: $(VENV)/bin/activate
	$(PIP) -e ".[dev]"

# The main job: DCGAN + WGAN-GP on the bundled digits; prints the run directory.
demo: install
	$(VENV)/bin/gankit train

test: install-dev
	$(PYTHON) -m pytest

clean:
	rm -rf $(VENV) runs .pytest_cache
