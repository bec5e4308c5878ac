#!/usr/bin/env bash
# Install gradebooth as a systemd service on a booth: system user, unit, udev rules, tmpfiles, a default
# settings file, then enable and start. Run as root from a checkout that has run `npm ci`.
set -euo pipefail
prefix=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "install-service.sh: run as root" >&2; exit 1; }
command -v systemctl >/dev/null || { echo "install-service.sh: systemd is required" >&2; exit 1; }

getent group gradebooth >/dev/null || groupadd --system gradebooth
id gradebooth >/dev/null 2>&1 || useradd --system --gid gradebooth --groups dialout,plugdev --home-dir /var/lib/gradebooth --shell /usr/sbin/nologin gradebooth

sed "s|@PREFIX@|$prefix|g" "$prefix/systemd/gradebooth.service" >/etc/systemd/system/gradebooth.service
install -m 0644 "$prefix/systemd/99-gradebooth.rules" /etc/udev/rules.d/99-gradebooth.rules
install -m 0644 "$prefix/systemd/gradebooth.tmpfiles" /usr/lib/tmpfiles.d/gradebooth.conf
systemd-tmpfiles --create /usr/lib/tmpfiles.d/gradebooth.conf
if [ ! -f /etc/gradebooth/gradebooth.yaml ]; then
  cat >/etc/gradebooth/gradebooth.yaml <<'YAML'
# gradebooth settings; see README.md "Settings reference". Validate with: gradebooth config check --config FILE
data_dir: /var/lib/gradebooth
http:
  host: 0.0.0.0
  port: 8080
hardware:
  rig:
    kind: serial
    port: /dev/gradebooth-rig
YAML
fi
node "$prefix/bin/gradebooth.js" config check --config /etc/gradebooth/gradebooth.yaml >/dev/null
udevadm control --reload-rules && udevadm trigger || true
systemctl daemon-reload
systemctl enable --now gradebooth.service
echo "gradebooth installed; create a token with:"
echo "  sudo -u gradebooth node $prefix/bin/gradebooth.js token create --role technician --data-dir /var/lib/gradebooth"
