#!/usr/bin/env bash
# Show the booth's UI full-screen on its touchscreen: cage + chromium on tty1 (Debian 12), started at boot.
# Run after scripts/install-service.sh: sudo bash scripts/install-kiosk.sh
set -euo pipefail
prefix="$(cd "$(dirname "$0")/.." && pwd)"
[ "$(id -u)" -eq 0 ] || { echo "install-kiosk.sh: run as root" >&2; exit 1; }
apt-get install -y --no-install-recommends cage chromium curl
# The kiosk user may use the display, input devices (touchscreen) and seat, nothing else.
id gradebooth-kiosk >/dev/null 2>&1 || useradd --system --create-home --home-dir /var/lib/gradebooth-kiosk --shell /usr/sbin/nologin --groups video,input,render gradebooth-kiosk
sed "s|@PREFIX@|$prefix|g" "$prefix/systemd/gradebooth-kiosk.service" >/etc/systemd/system/gradebooth-kiosk.service
systemctl daemon-reload
systemctl disable getty@tty1.service || true
systemctl set-default graphical.target
systemctl enable --now gradebooth-kiosk.service
echo "gradebooth kiosk installed: the touchscreen shows http://127.0.0.1:8080/ (journalctl -u gradebooth-kiosk)"
