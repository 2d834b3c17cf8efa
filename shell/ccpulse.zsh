# ccpulse for zsh. Enable with, in ~/.zshrc:   eval "$(ccpulse init zsh)"
#
# A precmd hook stores the indicator in $ccpulse_prompt and RPROMPT shows it through prompt_subst: never
# $(…) inside a prompt, which runs again on every redraw. The value is substituted, never evaluated: zsh
# does not rescan the result of ${…} for $(…) or `…`, ccpulse doubles every % that comes from data, and
# ! is doubled here when prompt_bang is on.
#
#   CCPULSE_BIN         the ccpulse to run (`ccpulse init` sets it to its own path)
#   CCPULSE_ASYNC=1     run ccpulse in the background and redraw the prompt when it answers (slow disks);
#                       the previous indicator stays until then
#   CCPULSE_NO_RPROMPT  leave RPROMPT alone; put ${ccpulse_prompt} in your own PROMPT or RPROMPT instead

# Kept as they are when this is sourced again, so a second eval changes nothing.
typeset -g ccpulse_prompt=${ccpulse_prompt-}
typeset -g _ccpulse_shell=${_ccpulse_shell-zsh}  # --shell for ccpulse, from the options at the last precmd
typeset -g _ccpulse_bang=${_ccpulse_bang-0}     # prompt_bang was on at the last precmd
typeset -g _ccpulse_fd=${_ccpulse_fd-}           # fd of the background ccpulse (async mode), empty if none
typeset -g _ccpulse_started=${_ccpulse_started-0} # $SECONDS when it started
typeset -g _ccpulse_again=${_ccpulse_again-0}    # a prompt came while it ran: ask again when it answers
typeset -g _ccpulse_pid=${_ccpulse_pid-}         # its pid, when zsh says it (5.8 and later)

# RPROMPT gets the indicator in front of what it had, unless a prompt already shows it. Called on load and
# before every prompt, so a theme that sets RPROMPT after the eval line still gets it.
_ccpulse_show() {
  [[ -n ${CCPULSE_NO_RPROMPT-} || ${PROMPT-}${RPROMPT-} == *ccpulse_prompt* ]] && return 0
  if [[ -n ${RPROMPT-} ]]; then
    RPROMPT='${ccpulse_prompt:+${ccpulse_prompt} }'$RPROMPT
  else
    RPROMPT='${ccpulse_prompt}'
  fi
}

# Stores an answer of ccpulse.
_ccpulse_set() {
  local value=${1%$'\n'}
  (( _ccpulse_bang )) && value=${value//\!/!!}
  ccpulse_prompt=$value
}

# Whether the ccpulse to run is there: a missing one costs no fork, and its last indicator goes.
_ccpulse_found() {
  if [[ $1 == */* ]]; then
    [[ -f $1 && -x $1 ]]
  else
    (( $+commands[$1] ))
  fi
}

# Reads and sets the user's options; the work is done in _ccpulse_refresh, under emulate -L zsh, which
# would also undo a setopt made in the same function when it returns.
_ccpulse_precmd() {
  [[ -o prompt_percent ]] && _ccpulse_shell=zsh || _ccpulse_shell=plain   # else %F{…} would show as text
  [[ -o prompt_bang ]] && _ccpulse_bang=1 || _ccpulse_bang=0
  # A theme loaded later (zsh's promptinit among them) may turn prompt_subst off again.
  [[ -z ${CCPULSE_NO_RPROMPT-} && ! -o prompt_subst ]] && setopt prompt_subst
  _ccpulse_refresh
}

_ccpulse_refresh() {
  emulate -L zsh
  _ccpulse_show
  local bin=${CCPULSE_BIN:-ccpulse}
  if ! _ccpulse_found $bin; then
    _ccpulse_set ''
  elif [[ ${CCPULSE_ASYNC:-0} != 0 && -o zle ]]; then
    _ccpulse_async_start $bin
  else
    _ccpulse_set "$("$bin" prompt --shell $_ccpulse_shell 2>/dev/null </dev/null)"
  fi
  return 0
}

# Async mode: at most one ccpulse runs at a time, so holding Enter on a slow disk does not pile up
# processes; a prompt that comes meanwhile asks again once it has answered. One that has not answered in
# 10 s (a hung network mount) is let go: its fd is closed, and it dies of SIGPIPE when it writes. $1 is
# the ccpulse to run.
_ccpulse_async_start() {
  if [[ -n $_ccpulse_fd ]]; then
    if (( SECONDS - _ccpulse_started < 10 )); then
      _ccpulse_again=1
      return 0
    fi
    _ccpulse_async_close
  fi
  _ccpulse_again=0
  _ccpulse_started=$SECONDS
  # For _ccpulse_async_reaped: the pid and a sleep without a fork, if this zsh has them (a no-op once loaded).
  zmodload -F zsh/system p:sysparams 2>/dev/null
  zmodload -F zsh/zselect b:zselect 2>/dev/null
  local fd
  exec {fd}< <("$1" prompt --shell $_ccpulse_shell 2>/dev/null </dev/null)
  # Before zsh 5.8, Ctrl-C could stop working after exec {fd}< <(…) unless something forks (see
  # zsh-users/zsh-autosuggestions#364).
  autoload -Uz is-at-least
  is-at-least 5.8 || command true
  _ccpulse_fd=$fd
  _ccpulse_pid=${sysparams[procsubstpid]-}
  zle -F $fd _ccpulse_async_done
}

_ccpulse_async_close() {
  zle -F $_ccpulse_fd 2>/dev/null
  exec {_ccpulse_fd}<&-
  _ccpulse_fd=
}

# Waits (at most 0.5 s) until the background ccpulse is reaped, so that its SIGCHLD is not delivered
# during the redraw that follows: zsh's signal handlers do not restart system calls, and zsh drops the
# output of a write interrupted by one. Its answer ends when its output closes, which it does as it exits,
# a few microseconds before the signal comes; a redraw right then lost the indicator once in a local run
# of the test suite, the line left with none until the next prompt (strace's fault injection of EINTR into
# that write reproduced the screen). A ccpulse that ends as it answers is reaped by the first check or
# during the first 10 ms sleep, which its signal cuts short. Needs zsh 5.8 (sysparams[procsubstpid]);
# without it, or without zsh/zselect, the redraw does not wait.
_ccpulse_async_reaped() {
  local tries=0
  [[ -n $_ccpulse_pid ]] && (( $+builtins[zselect] )) || return 0
  while kill -0 $_ccpulse_pid 2>/dev/null && (( tries++ < 50 )); do
    zselect -t 1
  done
  return 0
}

# zle -F handler: $1 is the fd, $2 empty when there is output, else hup, err or nval.
_ccpulse_async_done() {
  emulate -L zsh
  # A handler can still fire for an fd closed meanwhile (zsh-users/zsh-autosuggestions#753); its number may
  # belong to someone else by now, so leave it alone.
  [[ $1 == "$_ccpulse_fd" ]] || return 0
  local out=
  # ccpulse writes its line in one go as it ends, so reading to EOF does not wait.
  [[ -z ${2-} || $2 == hup ]] && IFS= read -r -d '' -u $1 out
  _ccpulse_async_close
  _ccpulse_async_reaped
  _ccpulse_set "$out"
  # Asked again through the same check as a prompt, so a ccpulse removed meanwhile is not run.
  (( _ccpulse_again )) && _ccpulse_refresh
  # Redrawn even when the answer is the same: a SIGCHLD from this ccpulse landing while zle wrote the
  # prompt left no prompt on screen (seen under strace: write(2) of "zsh> " → ERESTARTSYS; about 1 in
  # 1,000 runs of a zsh test file on a loaded machine), for the reason given at _ccpulse_async_reaped.
  zle reset-prompt
  return 0
}

autoload -Uz add-zsh-hook
add-zsh-hook precmd _ccpulse_precmd
setopt prompt_subst
_ccpulse_show
