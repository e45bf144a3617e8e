#!/usr/bin/env bash
# Debian packages the tests use: Chromium (browser tests), poppler-utils (pdfsig),
# docker-compose (compose file validation), iproute2 (network namespaces for WebRTC tests),
# fonts-noto-cjk (Chinese text in browser screenshots and rendered certificates), janus and
# janus-tools (the hub's media plane: VideoRoom forwards and records; janus-pp-rec converts).
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v pdfsig >/dev/null || missing+=(poppler-utils)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v ip >/dev/null || missing+=(iproute2)
command -v janus >/dev/null || missing+=(janus)
command -v janus-pp-rec >/dev/null || missing+=(janus-tools)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${missing[*]} (install them with apt-get as root)" >&2
    exit 1
fi
echo "installing Debian packages: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
