#!/usr/bin/env bash
# The main job on built-in data, end to end (about 3 minutes on 2 cores
# with the native backend):
#   1. generate a DigitAnatomy test set (48 px; normal images and the four
#      anomaly types),
#   2. train the `digitanatomy-fast` preset on freshly generated normal
#      images (1,200 iterations; reconstruction, the adversarial game and the
#      position task); a generated validation set (digits training never
#      sees) picks the best of every 10th epoch,
#   3. evaluate it on the test set and write the report (AUC of every score
#      kind, per anomaly type, reconstructions, training curves),
#   4. print where the report is.
# Output goes to runs/demo (or $SQUID_DEMO_DIR). EPOCHS=N changes the length.
set -euo pipefail
cd "$(dirname "$0")/.."

out="${SQUID_DEMO_DIR:-runs/demo}"
preset=digitanatomy-fast
squid=(node bin/squid.js)
epochs=()
[[ -n "${EPOCHS:-}" ]] && epochs=(--epochs "$EPOCHS")

[[ -f dist/src/node/cli/main.js ]] || npm run build --silent

echo "demo: backend"
"${squid[@]}" doctor | sed 's/^/  /'

echo "demo: generating the DigitAnatomy test set in $out/data"
rm -rf "$out"
"${squid[@]}" digitanatomy --out "$out/data" --size 48 --train 0 --normal 200 --abnormal 200 --seed 1

echo "demo: training the $preset preset into $out/run"
"${squid[@]}" train --data digitanatomy --val digitanatomy --preset "$preset" "${epochs[@]}" --val-every 10 \
  --seed 0 --out "$out/run" --progress lines

echo "demo: evaluating on $out/data/test"
"${squid[@]}" eval --run "$out/run" --data "$out/data/test" --out "$out/report"

report="$(cd "$out/report" && pwd)/report.html"
echo
echo "demo: done. The report is at $report"
