#!/usr/bin/env bash
# TPM entry point (TPM runs every *.tmux file at the plugin's root). Also works as:
#   run-shell /path/to/ccpulse/ccpulse.tmux
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tmux/ccpulse-plugin.sh"
