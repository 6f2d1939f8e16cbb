#!/usr/bin/env bash
# Builds llama.cpp once into a cache outside the clone and prints its install prefix.
# The source is the git bundle shipped inside the npm package node-llama-cpp (pinned below).
# Only the targets knowthy links (and the tools its tests and benchmarks run) are built.
# patches/llama.cpp-training.patch is applied on top (README, "Training": what it changes); a change
# to it rebuilds what it touches.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"

NLC_VERSION="3.22.1"                                  # node-llama-cpp, pinned
LLAMA_COMMIT="de3ff815ea7d559ee917f063901b8986f038abc6" # HEAD of its gitRelease.bundle
TARGETS=(llama llama-common ggml llama-server llama-bench llama-batched-bench llama-quantize llama-finetune) # linked libs + tools for tests and benches
PATCHES=("$here/patches/llama.cpp-training.patch")

cache="${KNOWTHY_CACHE:-$HOME/.cache/knowthy}"
root="$cache/llama.cpp-nlc$NLC_VERSION"
src="$root/src"
build="$root/build"
patch_id=$(cat "${PATCHES[@]}" | sha256sum | cut -c1-12)
stamp="$root/.built-$(echo "${TARGETS[*]}" | tr ' ' '_')-$patch_id"

if [ -f "$stamp" ]; then
  echo "$root"
  exit 0
fi

mkdir -p "$root"
exec 9>"$root/.lock"
flock 9 # two concurrent builds would trample each other

if [ ! -f "$src/CMakeLists.txt" ]; then
  tmp=$(mktemp -d "$root/fetch.XXXXXX")
  (cd "$tmp" && npm pack --silent "node-llama-cpp@$NLC_VERSION" >/dev/null)
  tar -xzf "$tmp/node-llama-cpp-$NLC_VERSION.tgz" -C "$tmp" package/llama/gitRelease.bundle
  rm -rf "$src"
  git -c advice.detachedHead=false clone -q "$tmp/package/llama/gitRelease.bundle" "$src"
  head=$(git -C "$src" rev-parse HEAD)
  if [ "$head" != "$LLAMA_COMMIT" ]; then
    echo "knowthy: error: llama.cpp bundle is $head, expected $LLAMA_COMMIT" >&2
    exit 1
  fi
  rm -rf "$tmp"
fi

if [ ! -f "$root/.patched-$patch_id" ]; then
  # Back to the pinned commit, then the patches: a source patched by an older patch is redone.
  git -C "$src" checkout -q -f "$LLAMA_COMMIT"
  git -C "$src" clean -q -fd
  for p in "${PATCHES[@]}"; do
    git -C "$src" apply "$p" || { echo "knowthy: error: $p does not apply to llama.cpp $LLAMA_COMMIT" >&2; exit 1; }
  done
  rm -f "$root"/.patched-* "$root"/.built-*
  touch "$root/.patched-$patch_id"
fi

cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DGGML_NATIVE=ON -DGGML_OPENMP=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=ON -DLLAMA_BUILD_TOOLS=ON \
  -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
  -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF >"$root/configure.log" 2>&1 ||
  { tail -30 "$root/configure.log" >&2; exit 1; }
cmake --build "$build" --target "${TARGETS[@]}" -j "$(nproc)" >"$root/build.log" 2>&1 ||
  { tail -30 "$root/build.log" >&2; exit 1; }
touch "$stamp"
echo "$root"
