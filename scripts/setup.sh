#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine: engine binaries from Debian's
# packages (when missing and when we may install them), npm dependencies, and the compiled build.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need_pkgs+=(mariadb-server)
command -v mariadb-backup >/dev/null 2>&1 || need_pkgs+=(mariadb-backup)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_pkgs+=(postgresql-15)
command -v redis-server >/dev/null 2>&1 || need_pkgs+=(redis-server)
# As root, DATA_DIR stays 0700 with a traverse-only ACL entry per database user (api/data-dir.ts).
if [ "$(id -u)" = 0 ]; then command -v setfacl >/dev/null 2>&1 || need_pkgs+=(acl); fi
# The browser tests of the Web UI drive Debian's Chromium (never a downloaded browser); only the
# test command asks for it (SETUP_BROWSER=1), so that `npm start` installs no browser.
if [ "${SETUP_BROWSER:-0}" = 1 ]; then
  [ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
  [ -x /usr/bin/chromedriver ] || need_pkgs+=(chromium-driver)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${need_pkgs[*]} from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || true
    # Installing a server package must not start or reconfigure the machine's own instances.
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
    rm -f /usr/sbin/policy-rc.d
  else
    echo "setup: missing ${need_pkgs[*]}; install them (as root: apt-get install ${need_pkgs[*]})" >&2
  fi
fi

# npm dependencies: reinstall when package-lock.json changed since the last install.
stamp=node_modules/.lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  # `npm install`, not `npm ci`: the lock file cannot list the native builds of other platforms
  # (e.g. @swc/core-darwin-arm64) when the registry in use does not serve them, and `npm ci` refuses
  # such a lock file. `npm install` installs the locked versions all the same.
  npm install --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi

npm run --silent build

# The Temporal Web UI (webui/): its own npm packages (kept out of the product's runtime install),
# and the static site, built again only when its sources, configuration or lock file changed.
webui_stamp=webui/node_modules/.lock-hash
webui_want=$(sha256sum webui/package-lock.json | cut -d' ' -f1)
if [ ! -f "$webui_stamp" ] || [ "$(cat "$webui_stamp")" != "$webui_want" ]; then
  (cd webui && npm install --no-audit --no-fund --loglevel=error)
  echo "$webui_want" >"$webui_stamp"
fi
site_stamp=webui/build/.inputs-hash
site_want=$(cd webui && find src package-lock.json ./*.js -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ ! -f "$site_stamp" ] || [ "$(cat "$site_stamp")" != "$site_want" ]; then
  echo "setup: building the Web UI (webui/build; about a minute)"
  started=$SECONDS
  (cd webui && rm -rf build && npx vite build --logLevel error)
  echo "$site_want" >"$site_stamp"
  echo "setup: Web UI built in $((SECONDS - started)) s ($(du -sh webui/build | cut -f1))"
fi
