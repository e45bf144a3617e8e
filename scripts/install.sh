#!/usr/bin/env bash
# Creates .venv and installs Qiaolink with everything it needs to run and to be tested.
# face_recognition pins a dlib that compiles from source for many minutes, so dlib comes
# from the prebuilt dlib-bin wheel and face_recognition is installed without its pins.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
PIP=".venv/bin/python -m pip"
PINNED="-c constraints.txt"  # the versions the suite last passed with
$PIP install --quiet --upgrade pip
$PIP install --quiet $PINNED dlib-bin face-recognition-models
$PIP install --quiet $PINNED --no-deps face_recognition
$PIP install --quiet $PINNED -e '.[dev]'
.venv/bin/python -c "import face_recognition, aiortc, pyhanko, sqlalchemy" 
touch .venv/.installed
echo "installed into .venv"
