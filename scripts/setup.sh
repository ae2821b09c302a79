#!/usr/bin/env bash
# Installs what building and testing Ember needs. Safe to run again: each step checks first.
set -euo pipefail
source "$(dirname "$0")/common.sh"

need_apt=()
command -v protoc >/dev/null || need_apt+=(protobuf-compiler)
command -v clang >/dev/null || need_apt+=(clang libclang-dev)
command -v node >/dev/null || need_apt+=(nodejs npm)
command -v curl >/dev/null || need_apt+=(curl)
# The miner's Vulkan backend: the loader, and Mesa's lavapipe so it runs without a GPU.
[ -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ] || need_apt+=(libvulkan1 mesa-vulkan-drivers)
# The simulator's plots label their axes in DejaVu Sans.
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
# The chaos test recompresses the runtime it upgrades to.
command -v zstd >/dev/null || need_apt+=(zstd)
# The web app's end-to-end test drives Debian's Chromium (headless) through playwright-core.
command -v chromium >/dev/null || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
	step "Debian packages: ${need_apt[*]}"
	SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

# rust-toolchain.toml names the toolchain, targets and components; rustup installs what is
# missing the first time cargo runs in the workspace. Do it now so it shows up here.
step "Rust toolchain (rust-toolchain.toml)"
(cd "$ROOT" && rustup show active-toolchain >/dev/null && rustup target list --installed | grep -q wasm32v1-none) \
	|| (cd "$ROOT" && rustup toolchain install)

# The runtime fuzzer's coverage-guided mode (scripts/fuzz.sh) runs libFuzzer through cargo-fuzz
# on the installed nightly toolchain.
command -v cargo-fuzz >/dev/null || { step "cargo-fuzz"; cargo install --locked cargo-fuzz@0.13.2; }

step "npm packages (e2e/package-lock.json)"
if [ ! -d "$ROOT/e2e/node_modules" ] || [ "$ROOT/e2e/package-lock.json" -nt "$ROOT/e2e/node_modules/.package-lock.json" ]; then
	(cd "$ROOT/e2e" && npm ci --no-audit --no-fund --loglevel=error)
fi

step "npm packages (app/package-lock.json)"
if [ ! -d "$ROOT/app/node_modules" ] || [ "$ROOT/app/package-lock.json" -nt "$ROOT/app/node_modules/.package-lock.json" ]; then
	(cd "$ROOT/app" && npm ci --no-audit --no-fund --loglevel=error)
fi
