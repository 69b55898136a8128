#!/usr/bin/env bash
# Installs what the real-host test harness needs: Debian chromium + libkrb5-dev + ripgrep, and
# code-server 4.100.3 + playwright-core in test/harness/node_modules. Idempotent: a few hundred ms when
# everything is in place. Recipe and reasons: docs/testing.md.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
LOG_DIR="${LOG_DIR:-$HERE/../../.test-output}"
mkdir -p "$LOG_DIR"
LOG="$(cd "$LOG_DIR" && pwd)/harness-setup.log"
say() { echo "[harness-setup $(date +%T)] $*"; }
started=""
logstart() { [ -n "$started" ] || { : > "$LOG"; started=1; }; }  # the log keeps the last run that did something
fail() { echo "[harness-setup] FAILED: $*" >&2; [ -s "$LOG" ] && { echo "--- last 40 lines of $LOG ---" >&2; tail -40 "$LOG" >&2; }; exit 1; }

# 1. Debian packages. chromium: the browser Playwright drives; libkrb5-dev: headers for code-server's
#    `kerberos` native module; ripgrep: stands in for @vscode/ripgrep's GitHub download (step 2).
missing=()
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v rg >/dev/null || missing+=(ripgrep)
[ -f /usr/include/gssapi/gssapi.h ] || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  logstart
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >>"$LOG" 2>&1 \
    || fail "apt-get install ${missing[*]}"
fi

# 2. npm ci, only when node_modules is missing or was installed from another lockfile / Node version.
STAMP="$HERE/node_modules/.harness-stamp"
want="$(sha256sum "$HERE/package-lock.json" | cut -d' ' -f1) node-$(node -p process.versions.modules)"
if [ -x "$HERE/node_modules/.bin/code-server" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
  say "node_modules up to date"
  exit 0
fi

# @vscode/ripgrep's postinstall (inside code-server's lib/vscode) downloads rg from api.github.com, which is
# unreachable; it first looks in $(os.tmpdir())/vscode-ripgrep-cache-<pkg version>/, so seed that with Debian's rg.
# 1.15.11 / v13.0.0-10 are the @vscode/ripgrep version and rg tag pinned by code-server 4.100.3.
case "$(uname -m)" in
  x86_64) RG_TARGET=x86_64-unknown-linux-musl ;;
  aarch64) RG_TARGET=aarch64-unknown-linux-musl ;;
  *) fail "unsupported arch $(uname -m)" ;;
esac
RG_CACHE="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-1.15.11"
RG_TGZ="$RG_CACHE/ripgrep-v13.0.0-10-$RG_TARGET.tar.gz"
if [ ! -s "$RG_TGZ" ]; then
  say "seeding $RG_TGZ with $(command -v rg)"
  seed="$(mktemp -d)"
  cp "$(command -v rg)" "$seed/rg"
  mkdir -p "$RG_CACHE" && tar czf "$RG_TGZ" -C "$seed" rg
  rm -rf "$seed"
fi

logstart
say "npm ci in $HERE (builds code-server's native modules, ~2 min; log: $LOG)"
# unsafe_perm: code-server's postinstall refuses to run as root without it.
# yes: node-pty's postinstall runs `npx node-gyp`, which ~/.npmrc's yes=false would cancel.
( cd "$HERE" && CI=true npm_config_unsafe_perm=true npm_config_yes=true \
    npm ci --no-audit --no-fund --foreground-scripts </dev/null ) >>"$LOG" 2>&1 || fail "npm ci"
[ -x "$HERE/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ] \
  || fail "code-server postinstall did not install rg"
echo "$want" > "$STAMP"
say "done"
