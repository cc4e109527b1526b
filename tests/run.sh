#!/usr/bin/env bash
# The test command: installs every component the test suite uses, pinned and idempotently, then runs
# `cargo test` (extra arguments go to it: `tests/run.sh compat` runs the compatibility tests only).
#
# Components live in git-ignored folders, so deleting them starts from cold:
#   target/compat/venv                      scim2-server from PyPI (tests/compat/requirements.txt)
#   tests/compat/npm-server/node_modules    scimmy + scimmy-routers + express (package-lock.json, npm ci)
#   tests/graph-client/node_modules         @microsoft/microsoft-graph-client (package-lock.json, npm ci), for the
#                                           Graph surface's admin-script test (tests/it/graph/client.rs)
#   /usr/bin/chromium, /usr/bin/chromedriver Debian's chromium and chromium-driver (tests/setup/chromium.sh),
#                                           for the HTML report's browser tests
#
# Each component is one `install_*` function: it checks what is installed against the pins and
# installs only when they differ. To add a component (a browser, an SDK), add a function and call it
# from main. Needs python3 (with venv) and node/npm on PATH; reaches only the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

log() { echo "==> $*"; }

# scim2-server, the PyPI SCIM server, in its own virtualenv. The stamp is the requirements file itself:
# when the installed copy matches it byte for byte, nothing is done.
install_scim2_server() {
    local venv=$ROOT/target/compat/venv
    local requirements=$ROOT/tests/compat/requirements.txt
    local stamp=$venv/.installed-requirements.txt
    if [[ -x $venv/bin/scim2-server ]] && cmp -s "$requirements" "$stamp"; then
        log "scim2-server: up to date ($venv)"
        return
    fi
    log "scim2-server: installing into $venv"
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements"
    cp "$requirements" "$stamp"
}

# The npm SCIM server: tests/compat/npm-server/server.js on scimmy, installed from the lockfile with
# `npm ci`. A copy of the lockfile is kept in node_modules after a successful install; when it matches,
# the installed tree is the locked one.
install_npm_server() {
    local dir=$ROOT/tests/compat/npm-server
    if cmp -s "$dir/package-lock.json" "$dir/node_modules/.entrasim-package-lock.json"; then
        log "npm SCIM server: up to date ($dir/node_modules)"
        return
    fi
    log "npm SCIM server: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$dir/node_modules/.entrasim-package-lock.json"
}

# Microsoft's Graph JavaScript client for tests/graph-client/admin.js, installed from its lockfile the same
# way as the npm SCIM server.
install_graph_client() {
    local dir=$ROOT/tests/graph-client
    if cmp -s "$dir/package-lock.json" "$dir/node_modules/.entrasim-package-lock.json"; then
        log "Graph JavaScript client: up to date ($dir/node_modules)"
        return
    fi
    log "Graph JavaScript client: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$dir/node_modules/.entrasim-package-lock.json"
}

# Headless Chromium and chromedriver from Debian's packages (one `apt-get update`, then install), for the
# browser tests of the HTML report. Nothing is done when both are installed.
install_chromium() {
    log "chromium: tests/setup/chromium.sh"
    sh "$ROOT/tests/setup/chromium.sh"
}

main() {
    install_scim2_server
    install_npm_server
    install_graph_client
    install_chromium
    log "cargo test $*"
    cargo test "$@"
}

main "$@"
