# Gwangju AI Art Kiosk — two commands:
#   make run    set everything up and start the kiosk with config.toml
#   make test   set everything up and run the checks (ruff, the layer contracts) and tests
# Everything Python goes into ./.venv; system packages are installed with apt-get when this user
# can (root or passwordless sudo), otherwise they are named in one message.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
CONFIG ?= config.toml
# sysdeps: PortAudio (sound), a Korean font (Hangul captions), Xvfb + xdotool (end-to-end test),
# chromium + chromium-driver (the Studio's browser tests), prometheus (its server and promtool:
# the metrics and deploy tests).

.PHONY: run test venv sysdeps lint bench doctor check clean train train-resume train-watch ship-models studio

run: sysdeps venv
	$(PY) kiosk.py run --config $(CONFIG)

test: sysdeps venv
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

# The curators' web Studio on http://127.0.0.1:8790/ ([studio] in the config).
studio: venv
	$(PY) kiosk.py studio --config $(CONFIG)

check: venv
	$(PY) kiosk.py check $(CONFIG)

doctor: venv
	$(PY) kiosk.py doctor

bench: venv
	$(PY) kiosk.py bench all --seconds 10 --size 1920x1080 --visitors sim

# Train both NCA models at once (one core each, nice 19) into TRAIN_DIR; re-running resumes from
# the checkpoints there. Logs: TRAIN_DIR/<model>.log. Extra options: TRAIN_ARGS="--iterations 8000";
# INIT_DIR=folder continues from the nca_<model>.pt weights in that folder (a new schedule);
# MODELS="digits" trains one. TRAIN_DIR lives outside the checkout on purpose: attempts are not
# committed, and a fresh checkout of the repository must not lose hours of training.
TRAIN_DIR  ?= $(HOME)/.cache/gwangju-kiosk/nca-attempts/current
TRAIN_ARGS ?=
INIT_DIR   ?=
MODELS     ?= digits landmarks
train: venv
	mkdir -p $(TRAIN_DIR)
	for t in $(MODELS); do \
	  nice -n 19 $(PY) -m models.train_nca --targets $$t --seed 0 --resume \
	    --out $(TRAIN_DIR)/nca_$$t.pt --ckpt $(TRAIN_DIR)/nca_$$t.ckpt.pt \
	    $(if $(INIT_DIR),--init $(INIT_DIR)/nca_$$t.pt) $(TRAIN_ARGS) \
	    >> $(TRAIN_DIR)/$$t.log 2>&1 & \
	done; wait; tail -n 3 $(TRAIN_DIR)/*.log

# Resume every attempt in progress, each exactly as it was started: every attempt folder under
# ATTEMPTS keeps a run.sh (its full command; it exits at once when the attempt has finished).
ATTEMPTS ?= $(HOME)/.cache/gwangju-kiosk/nca-attempts
# Iterations between the snapshots train-watch measures (each measurement ~100 training its)
WATCH_EVERY ?= 200
train-resume: venv
	@for f in $(ATTEMPTS)/*/run.sh; do [ -f "$$f" ] && echo "resume: $$f" && sh "$$f"; done; true

# Evaluate the unfinished attempts' checkpoints as they come (the ship rule's eval seeds, the
# test suite's check and the regrow sweep; results and summary.tsv in each attempt's evals/);
# Ctrl-C or kill to stop.
train-watch: venv
	@dirs=$$(for f in $(ATTEMPTS)/*/run.sh; do d=$$(dirname "$$f"); \
	  ls "$$d"/nca_*.provenance.json 2>/dev/null | grep -qv ckpt || echo "$$d"; done); \
	if [ -n "$$dirs" ]; then $(PY) -m models.watch_attempts --every-its $(WATCH_EVERY) $$dirs; \
	else echo "no unfinished attempt under $(ATTEMPTS)"; fi

# Copy each trained model that meets the ship rule (eval_nca's quality bar at three eval seeds
# and the test suite's check, and every target healing on average over all cut directions:
# models.watch_attempts --check, which adds the bar's numbers and its own to the provenance)
# into models/weights/ with its provenance; a model that fails is named and left where it is.
ship-models: venv
	@mkdir -p models/weights; status=0; for t in $(MODELS); do \
	  if $(PY) -m models.watch_attempts --check $(TRAIN_DIR)/nca_$$t.pt; then \
	    cp $(TRAIN_DIR)/nca_$$t.pt $(TRAIN_DIR)/nca_$$t.provenance.json models/weights/ && \
	    echo "shipped $$t: now regenerate its goldens and look at them:" \
	         "$(PY) -m pytest tests/test_nca_goldens.py --update-goldens"; \
	  else echo "NOT shipped: $$t misses the quality bar (see above)"; status=1; fi; \
	done; exit $$status

lint: venv
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11 or newer is needed; found: $$($(PYTHON) --version 2>&1)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
	  print("\n".join(p["dependencies"] + p["optional-dependencies"]["dev"]))' \
	  > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r $(VENV)/requirements.txt
	@$(PY) -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["tool"]["kiosk"]["no-deps"]))' \
	  > $(VENV)/requirements-nodeps.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r $(VENV)/requirements-nodeps.txt
	@touch $@

sysdeps:
	@missing=""; \
	$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv"; \
	{ ldconfig -p 2>/dev/null || /sbin/ldconfig -p; } | grep -q 'libportaudio\.so' \
	  || missing="$$missing libportaudio2"; \
	find /usr/share/fonts /usr/local/share/fonts \( -iname 'Nanum*' -o -iname 'NotoSansCJK*' \
	  -o -iname 'NotoSansKR*' \) 2>/dev/null | grep -q . || missing="$$missing fonts-nanum"; \
	command -v Xvfb >/dev/null || missing="$$missing xvfb"; \
	command -v xdotool >/dev/null || missing="$$missing xdotool"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null || missing="$$missing chromium-driver"; \
	command -v promtool >/dev/null || missing="$$missing prometheus"; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo"; \
	else SUDO="none"; fi; \
	if [ "$$SUDO" != none ] && command -v apt-get >/dev/null; then \
	  echo "installing system packages:$$missing"; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null \
	  && exit 0; \
	fi; \
	echo "Missing system packages:$$missing — install them with: sudo apt-get install -y$$missing"; \
	echo "(the kiosk still runs: silent without PortAudio, Latin-only text without the font;"; \
	echo " tests that need a missing package are skipped and say why)"; \
	case "$$missing" in *python3-venv*) exit 1;; esac

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .import_linter_cache tests/goldens/_failures
