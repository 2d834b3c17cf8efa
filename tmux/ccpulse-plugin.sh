#!/usr/bin/env bash
# Loads ccpulse into the running tmux server: interpolates #{ccpulse…} placeholders into the status
# options and binds the jump and picker keys. Reads @ccpulse_* options; see the README for the table.
set -u
shopt -u patsub_replacement 2>/dev/null || true   # bash 5.2: keep & literal in ${x//pat/rep}

PLUGIN_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

option() {
  local value
  value="$(tmux show-option -gqv "$1")"
  printf '%s' "${value:-$2}"
}

# A single-quoted shell word, with every # doubled: tmux expands formats inside #() and run-shell
# commands before the shell sees them.
shell_word() {
  local quoted="'${1//\'/\'\\\'\'}'"
  printf '%s' "${quoted//\#/##}"
}

find_binary() {
  local configured
  configured="$(option @ccpulse_bin "")"
  if [[ -n $configured ]]; then
    [[ -x $configured ]] && printf '%s' "$configured"
    return
  fi
  command -v ccpulse 2>/dev/null && return
  [[ -x $PLUGIN_DIR/dist/ccpulse ]] && printf '%s' "$PLUGIN_DIR/dist/ccpulse"
}

# Glyphs and styles reach the binary as flags; the binary checks them again.
safe_value() {
  [[ $1 =~ ^[^[:space:]\'\"\`\$\;\(\)\\]{1,40}$ ]]
}

compact_flags() {
  local flags="" state value
  for state in asking busy idle starting unknown; do
    value="$(option "@ccpulse_glyph_$state" "")"
    if [[ -n $value ]] && safe_value "$value"; then flags+=" --glyph-$state=$(shell_word "$value")"; fi
    value="$(option "@ccpulse_style_$state" "")"
    if [[ -n $value ]] && safe_value "${value// /_}"; then flags+=" --style-$state=$(shell_word "$value")"; fi
  done
  [[ $(option @ccpulse_show_idle on) == off ]] && flags+=" --idle=hide"
  [[ $(option @ccpulse_hide_empty on) == off ]] && flags+=" --empty=show"
  printf '%s' "$flags"
}

main() {
  local bin
  bin="$(find_binary)"
  local -a placeholders=(ccpulse ccpulse_asking ccpulse_busy ccpulse_idle ccpulse_tokens ccpulse_cost ccpulse_cache ccpulse_limits ccpulse_window
    ccpulse_window_left ccpulse_today ccpulse_month ccpulse_windows_left)
  local -a jobs
  if [[ -z $bin ]]; then
    local hint="ccpulse: run make -C ${PLUGIN_DIR//\#/##}"
    jobs=("$hint" "?" "?" "?" "?" "?" "" "" "" "" "" "" "")
  else
    local cmd flags tokens="" cost="" cache="" limits=""
    cmd="$(shell_word "$bin") compact --tmux"
    flags="$(compact_flags)"
    [[ $(option @ccpulse_tokens off) == on ]] && tokens=" --tokens"
    [[ $(option @ccpulse_cost off) == on ]] && cost=" --cost"
    [[ $(option @ccpulse_cache off) == on ]] && cache=" --cache"
    [[ $(option @ccpulse_limits off) == on ]] && limits=" --limits"
    jobs=(
      "#($cmd$flags$tokens$cost$cache$limits)"
      "#($cmd --field=asking)"
      "#($cmd --field=busy)"
      "#($cmd --field=idle)"
      "#($cmd --field=tokens)"
      "#($cmd --field=cost)"
      "#($cmd --field=cache)"
      "#($cmd --field=limits)"
      "#($cmd$flags --window=#{window_id})"
      "#($cmd --field=window_left)"
      "#($cmd --field=cost_today)"
      "#($cmd --field=month_cost)"
      "#($cmd --field=windows_left)"
    )
  fi

  local targets
  targets="$(option @ccpulse_status_options "status-right status-left window-status-format window-status-current-format")"
  if [[ $(option @ccpulse_window_marks off) == on ]]; then
    local format current
    for format in window-status-format window-status-current-format; do
      current="$(tmux show-option -gqv "$format")"
      [[ $current == *'#{ccpulse_window}'* ]] || tmux set-option -gq "$format" "$current#{ccpulse_window}"
    done
  fi

  local target value i
  for target in $targets; do
    value="$(tmux show-option -gqv "$target")"
    [[ $value == *'#{ccpulse'* ]] || continue
    for i in "${!placeholders[@]}"; do
      value="${value//\#\{${placeholders[$i]}\}/${jobs[$i]}}"
    done
    tmux set-option -gq "$target" "$value"
  done

  [[ -z $bin ]] && return
  local jump_key pick_key run
  run="$(shell_word "$bin")"
  jump_key="$(option @ccpulse_jump_key a)"
  pick_key="$(option @ccpulse_pick_key A)"
  if [[ $jump_key != off ]]; then
    tmux bind-key "$jump_key" run-shell -b "$run jump --client '#{client_name}' --from '#{pane_id}'"
  fi
  if [[ $pick_key != off ]]; then
    if tmux list-commands display-popup >/dev/null 2>&1; then
      # display-popup does not expand formats in its command (tmux 3.3), run-shell does: it passes the
      # client's name to both the popup and the picker.
      local popup="$run pick --client '#{client_name}'"
      popup="'${popup//\'/\'\\\'\'}'"
      tmux bind-key "$pick_key" run-shell -b "tmux display-popup -c '#{client_name}' -E -w 90% -h 50% -T ' Claude Code ' $popup"
    else
      # tmux < 3.2 has no popups: a short-lived window that closes once a session is chosen.
      tmux bind-key "$pick_key" new-window -n ccpulse "$run pick --client '#{client_name}'"
    fi
  fi
}

main
