#!/usr/bin/env bash
# make e2e: the real Claude Code against test/e2e/fakeApi.ts, inside a network namespace that has only
# loopback, so nothing it tries can leave the machine. Re-runs itself under unshare, then runs the test.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "${CCPULSE_E2E_IN_NETNS:-}" != 1 ]; then
  export CCPULSE_E2E_IN_NETNS=1
  # -n needs root (or CAP_SYS_ADMIN); -rn gets it inside a user namespace where that is allowed.
  for flags in -n -rn; do
    if unshare "$flags" true 2>/dev/null; then exec unshare "$flags" "$0" "$@"; fi
  done
  echo "e2e: cannot make a network namespace: both 'unshare -n' and 'unshare -rn' failed" >&2
  exit 1
fi

ip link set lo up
# The test ends its tmux server itself; this is for a run cut short (Ctrl-C, a crash). Its own socket
# folder means only this run's servers are ended here.
export TMUX_TMPDIR
TMUX_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/ccpulse-e2e-tmux.XXXXXX")
end_servers() {
  for socket in "$TMUX_TMPDIR"/tmux-*/*; do
    if [ -S "$socket" ]; then tmux -S "$socket" kill-server 2>/dev/null || true; fi
  done
  rm -rf "$TMUX_TMPDIR"
}
trap end_servers EXIT
node_modules/.bin/bun test ./test/e2e/realCli.e2e.ts "$@"
