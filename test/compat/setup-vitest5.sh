#!/usr/bin/env bash
# Prepares a user-like project for the vitest 5 compatibility tests: this package (packed from the current build),
# vitest 5 and Node 22 (the npm package `node@22`), installed from the npm registry into DIR.
set -euo pipefail
dir=${1:?usage: setup-vitest5.sh DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$dir" && mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
(cd "$root" && npm run build --silent && npm pack --silent --pack-destination "$dir" >/dev/null)
cd "$dir"
printf '{ "name": "vitest5-compat", "private": true, "type": "module" }\n' > package.json
npm install --no-audit --no-fund --silent node@22 vitest@^5.1 ./self-harness-*.tgz
"$dir/node_modules/.bin/node" --version
