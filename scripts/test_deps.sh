#!/usr/bin/env bash
# The tests need Chromium and a CJK font (browser tests) and GNU gettext (catalogue check).
# Install them from Debian's packages when they
# are missing and we may (root, apt available); otherwise those tests are skipped.
set -uo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || need+=(fonts-wqy-microhei)
command -v xgettext >/dev/null 2>&1 || need+=(gettext)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${need[*]} for the browser tests…"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "Chromium or a CJK font is missing and cannot be installed here: browser tests will be skipped."
fi
