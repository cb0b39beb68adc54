#!/usr/bin/env bash
# Installs the real MTAs the test/mta suite and `npm run bench` run on loopback, from Debian's
# packages: Postfix, Dovecot (Postfix's SASL backend), swaks, GNU time and openssl as system
# packages; Exim 4 (GnuTLS, exim4-daemon-light) unpacked into the project's cache, because the
# exim4 and postfix packages conflict (both provide mail-transport-agent).
#
#   bash scripts/mta/install.sh      # Debian 12, as root or through sudo; idempotent: installs only what is missing
#
# No daemon is left running: a policy-rc.d keeps the packages' postinst from starting their
# services, and anything a package started anyway is stopped. The tests start their own
# instances, with generated configuration, on free loopback ports (test/mta/harness.mjs).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

root="$(cd "$(dirname "$0")/../.." && pwd)"
# Keep in sync with eximRoot in test/mta/harness.mjs.
exim_dir="${MAILCHECK_MTA_CACHE:-$root/node_modules/.cache/mailcheck-mta}/exim4"

if [ "$(id -u)" != 0 ]; then
  # apt-get and dpkg need root: ask for it the usual way rather than fail on a developer's machine.
  if command -v sudo >/dev/null; then exec sudo MAILCHECK_MTA_CACHE="${MAILCHECK_MTA_CACHE:-}" bash "$0" "$@"; fi
  echo "scripts/mta/install.sh: run as root (apt-get, dpkg)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then echo "scripts/mta/install.sh: needs apt-get (Debian 12)" >&2; exit 1; fi

# Exim's binary is run from the unpacked package, but the shared libraries it links are ordinary
# packages that conflict with nothing.
# swaks needs its Recommends for TLS (IO::Socket::SSL, Net::SSLeay) and AUTH (Authen::SASL is optional).
system_packages=(postfix dovecot-core swaks libio-socket-ssl-perl libnet-ssleay-perl time openssl ca-certificates
  libdb5.3 libgnutls-dane0 libgnutls30 libidn12 libidn2-0 libnsl2 libpcre2-8-0 libcrypt1)
missing=()
for p in "${system_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done

updated=0
apt_update_once() { [ "$updated" = 1 ] || { apt-get update -qq; updated=1; }; }

if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  # No configuration written by debconf, no service started by any postinst.
  echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
  policy_created=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_created=1
  fi
  trap '[ "$policy_created" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
  # An old package list may no longer have the versions it names; refresh it once and retry.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" || { apt_update_once; apt-get install -y -qq --no-install-recommends "${missing[@]}"; }
fi

if [ ! -x "$exim_dir/usr/sbin/exim4" ]; then
  echo "unpacking exim4-daemon-light into $exim_dir"
  work="$(mktemp -d)"
  (cd "$work" && { apt-get download exim4-daemon-light 2>/dev/null || { apt_update_once; apt-get download exim4-daemon-light; }; })
  mkdir -p "$exim_dir"
  for deb in "$work"/*.deb; do dpkg -x "$deb" "$exim_dir"; done
  # Not known to dpkg (it is not installed), so keep the package's name and version beside it.
  dpkg-deb -f "$work"/exim4-daemon-light_*.deb Package Version | paste -sd' ' > "$exim_dir/PACKAGE"
  rm -rf "$work"
fi

# Debian's Exim binary looks its user up by name at start-up (EXIM_USER=ref:Debian-exim); the
# exim4-base postinst would create it.
if ! getent passwd Debian-exim >/dev/null; then
  adduser --system --group --quiet --allow-bad-names --no-create-home --home /var/spool/exim4 Debian-exim
fi

# A system daemon the package did start (no policy-rc.d honoured, or an earlier install) would
# hold port 25 and is not what the tests talk to: stop it. The tests never use standard ports.
if command -v postfix >/dev/null && postfix status >/dev/null 2>&1; then postfix stop || true; fi
if [ -f /run/dovecot/master.pid ] && kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null; then doveadm stop 2>/dev/null || kill "$(cat /run/dovecot/master.pid)" || true; fi
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl disable --now postfix dovecot >/dev/null 2>&1 || true
fi

dpkg-query -W postfix dovecot-core swaks
# An empty configuration (-C /dev/null) is valid for -bV; without -C it looks for /etc/exim4.
cat "$exim_dir/PACKAGE" 2>/dev/null || true
"$exim_dir/usr/sbin/exim4" -C /dev/null -bV 2>/dev/null | head -1 || { echo "exim4 from $exim_dir does not run" >&2; exit 1; }
