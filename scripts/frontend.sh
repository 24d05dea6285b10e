#!/bin/sh
# Install the console's pinned front-end libraries from npm (package.json + package-lock.json)
# and copy the files the console loads into src/openiru/web/static/vendor/, with their licences.
# Run it after changing package.json; the copied files are committed, so a build or an
# air-gapped install never needs npm or the network.
#   scripts/frontend.sh           install with `npm ci` (the lockfile) and copy
#   scripts/frontend.sh --update  re-resolve the lockfile (`npm install`) first
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK="$ROOT/build/frontend"
VENDOR="$ROOT/src/openiru/web/static/vendor"
mkdir -p "$WORK" "$VENDOR"
cp "$ROOT/package.json" "$WORK/"
if [ "${1:-}" = "--update" ] || [ ! -f "$ROOT/package-lock.json" ]; then
  (cd "$WORK" && rm -f package-lock.json && npm install --no-audit --no-fund --ignore-scripts)
  cp "$WORK/package-lock.json" "$ROOT/package-lock.json"
else
  cp "$ROOT/package-lock.json" "$WORK/"
  (cd "$WORK" && npm ci --no-audit --no-fund --ignore-scripts)
fi
M="$WORK/node_modules"
cp "$M/cytoscape/dist/cytoscape.min.js" "$VENDOR/cytoscape.min.js"
cp "$M/echarts/dist/echarts.min.js" "$VENDOR/echarts.min.js"
{
  echo "# Front-end libraries shipped with the console"
  echo
  echo "Installed from npm by \`scripts/frontend.sh\` (versions pinned in package.json and package-lock.json)"
  echo "and copied here unchanged; served from /static/vendor/, never from a CDN."
  echo
  echo "| File | Package | Version | Licence |"
  echo "|---|---|---|---|"
  for pkg in cytoscape echarts; do
    ver=$(node -p "require('$M/$pkg/package.json').version")
    lic=$(node -p "require('$M/$pkg/package.json').license")
    echo "| $pkg.min.js | $pkg | $ver | $lic |"
  done
  for pkg in zrender tslib; do
    ver=$(node -p "require('$M/$pkg/package.json').version")
    lic=$(node -p "require('$M/$pkg/package.json').license")
    echo "| (bundled in echarts.min.js) | $pkg | $ver | $lic |"
  done
  for pkg in cytoscape echarts zrender tslib; do
    echo
    echo "## $pkg"
    echo
    echo '```'
    cat "$M/$pkg/LICENSE"* "$M/$pkg/NOTICE" 2>/dev/null || true
    echo '```'
  done
} > "$VENDOR/LICENSES.md"
ls -l "$VENDOR"
