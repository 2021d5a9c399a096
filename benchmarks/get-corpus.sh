#!/usr/bin/env bash
# Fetch the benchmark / test corpus: real code bases, pinned to exact versions and verified
# by sha256, unpacked under one folder outside the repository.
#
#   transformers 5.23.0 (sdist)  a large library: almost no file holds LoRA training code,
#                                so it measures what lora-lint costs on code it must skip
#   peft 0.21.2, trl 1.16.0      (sdists, tests included) real LoraConfig / get_peft_model /
#                                SFTTrainer usage
#   unsloth 2026.10.9, axolotl 0.21.0, llamafactory 0.9.5  (wheels: the code is all we need)
#                                more real training code (FastLanguageModel, trainers)
#
# Usage:   benchmarks/get-corpus.sh [DEST]
# DEST:    $LORA_LINT_CORPUS, else ~/.cache/lora-lint-corpus. The code lands in DEST/corpus/.
#          Running it again reuses what is already there (about 1 minute on a fresh machine).
# Network: only `pip download` from the default package index, with --require-hashes.
#          For the sdists pip prepares their metadata (runs their build backend in an isolated
#          build environment); nothing is installed into your Python. Needs Python >= 3.11.
set -euo pipefail

DEST="${1:-${LORA_LINT_CORPUS:-$HOME/.cache/lora-lint-corpus}}"
PYTHON="${PYTHON:-python3}"
DL="$DEST/dl"
CORPUS="$DEST/corpus"
mkdir -p "$DL" "$CORPUS"

SDISTS="$DL/sdist-requirements.txt"
cat > "$SDISTS" <<'REQ'
transformers==5.23.0 --hash=sha256:19d647a4d5d903a7c644ca5cde2d86efc3dde7d8c687ae7988806ff2205efa71
peft==0.21.2 --hash=sha256:b803ccfb3f3f316004d850284306687833a2235ea278fb56abc856203456142e
trl==1.16.0 --hash=sha256:999bd4a85b08870b7bfa387e1efa5177d2a4b88fe82b2526a057ac5d3cc600cd
REQ

WHEELS="$DL/wheel-requirements.txt"
cat > "$WHEELS" <<'REQ'
unsloth==2026.10.9 --hash=sha256:feb40b99bc4f8c543a36cbd0fe6e1410d6e4ac16bd4d0c731f607adce3d63bb0
axolotl==0.21.0 --hash=sha256:5db0468897d1f3a80fa2becc80dd4409f378ce887dcb2c98854dc70b38196391
llamafactory==0.9.5 --hash=sha256:10776e9b259798bf65f6c5343f6298f0302e92e9cd47472abe29eef69e286c6a
REQ

have_all() {
    for name in "$@"; do [ -d "$CORPUS/$name" ] || return 1; done
}

if ! have_all transformers-5.23.0 peft-0.21.2 trl-1.16.0; then
    # --no-binary names only these three packages, so pip fetches their sdists (tests
    # included) but may use wheels for their build backends.
    "$PYTHON" -m pip download --quiet --no-deps --no-binary transformers,peft,trl \
        --require-hashes -r "$SDISTS" -d "$DL"
    for name in transformers-5.23.0 peft-0.21.2 trl-1.16.0; do
        [ -d "$CORPUS/$name" ] || tar -xzf "$DL/$name.tar.gz" -C "$CORPUS"
    done
fi

if ! have_all unsloth-2026.10.9 axolotl-0.21.0 llamafactory-0.9.5; then
    # axolotl declares Python >= 3.12; we only read its code, so ask for the 3.12 wheel.
    "$PYTHON" -m pip download --quiet --no-deps --only-binary :all: --python-version 3.12 \
        --require-hashes -r "$WHEELS" -d "$DL"
    for name in unsloth-2026.10.9 axolotl-0.21.0 llamafactory-0.9.5; do
        [ -d "$CORPUS/$name" ] || "$PYTHON" -m zipfile -e "$DL/$name-py3-none-any.whl" \
            "$CORPUS/$name"
    done
fi

echo "corpus ready under $CORPUS"
