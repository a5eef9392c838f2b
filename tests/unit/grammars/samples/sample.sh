#!/usr/bin/env bash
# Back up a directory, used by the syntax tests.
set -euo pipefail
source ./lib/common.sh
. "$HOME/.backuprc"

BACKUP_ROOT="${BACKUP_ROOT:-/var/backups}"
KEEP=5

log() {
  local level="$1"
  shift
  printf '%s [%s] %s\n' "$(date +%H:%M:%S)" "$level" "$*" >&2
}

prune() {
  local dir="$1"
  local count=0
  for archive in $(ls -1t "$dir"/*.tar.gz 2>/dev/null); do
    count=$((count + 1))
    if [ "$count" -gt "$KEEP" ]; then
      rm -f -- "$archive"
      log info "removed $archive"
    fi
  done
}

backup() {
  local source_dir="$1"
  local stamp
  stamp=$(date +%Y%m%d-%H%M%S)
  local target="$BACKUP_ROOT/$(basename "$source_dir")-$stamp.tar.gz"
  tar -czf "$target" -C "$(dirname "$source_dir")" "$(basename "$source_dir")"
  log info "wrote $target"
  prune "$BACKUP_ROOT"
}

for dir in "$@"; do
  backup "$dir"
done
