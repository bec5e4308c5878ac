#!/bin/sh
# Flash the committed LED-rig firmware to an Arduino Nano (ATmega328P) through its serial bootloader.
# Usage: scripts/flash-rig.sh PORT [BAUD]   e.g. scripts/flash-rig.sh /dev/ttyUSB0        (old bootloader)
#                                                scripts/flash-rig.sh /dev/ttyUSB0 115200 (Optiboot)
# Needs avrdude (Debian package avrdude). The EEPROM (serial, geometry) is left as it is.
set -eu
PORT=${1:?usage: flash-rig.sh PORT [BAUD]}
BAUD=${2:-57600}
HEX="$(cd "$(dirname "$0")/.." && pwd)/firmware/gradebooth-rig.hex"
[ -f "$HEX" ] || { echo "flash-rig: $HEX not found; run make -C firmware" >&2; exit 1; }
command -v avrdude >/dev/null 2>&1 || { echo "flash-rig: avrdude not installed (apt-get install avrdude)" >&2; exit 1; }
exec avrdude -p atmega328p -c arduino -P "$PORT" -b "$BAUD" -D -U "flash:w:$HEX:i"
