#!/usr/bin/env bash
# The main job on built-in data, end to end (under 15 minutes on 2 cores with
# the native backend):
#   1. generate a DigitAnatomy test set (48 px; normal images and the four
#      anomaly types),
#   2. train the `tiny` preset on freshly generated normal images, with a
#      generated validation set picking the best epoch,
#   3. evaluate it on the test set and write the report,
#   4. print where the report is.
# Output goes to runs/demo (or $SQUID_DEMO_DIR). EPOCHS=N changes the length.
set -euo pipefail
cd "$(dirname "$0")/.."

out="${SQUID_DEMO_DIR:-runs/demo}"
epochs="${EPOCHS:-6}"
squid=(node bin/squid.js)

[[ -f dist/src/cli/main.js ]] || npm run build --silent

echo "demo: backend"
"${squid[@]}" doctor | sed 's/^/  /'

echo "demo: generating the DigitAnatomy test set in $out/data"
rm -rf "$out"
"${squid[@]}" digitanatomy --out "$out/data" --size 48 --train 0 --normal 200 --abnormal 200 --seed 1

echo "demo: training the tiny preset for $epochs epochs into $out/run"
"${squid[@]}" train --data digitanatomy --val digitanatomy --preset tiny --epochs "$epochs" \
  --seed 0 --out "$out/run" --progress lines

echo "demo: evaluating on $out/data/test"
"${squid[@]}" eval --run "$out/run" --data "$out/data/test" --out "$out/report"

report="$(cd "$out/report" && pwd)/report.html"
echo
echo "demo: done. The report is at $report"
