# ccpulse for bash. Enable with, in ~/.bashrc:   eval "$(ccpulse init bash)"
#
# PROMPT_COMMAND stores the indicator in $ccpulse_prompt and PS1 shows it through ${…}: bash does not
# rescan the result of an expansion for $(…), `…` or \ escapes, so a name is shown, never run. ccpulse
# wraps its colour codes in raw \001 \002 bytes (bash does not decode \[ \] that come from an expansion),
# so readline measures the prompt's width right.
#
#   CCPULSE_BIN     the ccpulse to run (`ccpulse init` sets it to its own path)
#   CCPULSE_NO_PS1  leave PS1 alone; put ${ccpulse_prompt} in your own PS1 instead

ccpulse_prompt=${ccpulse_prompt-}

# Whether the ccpulse to run is there: a missing one costs no fork (type -P is a builtin), and its last
# indicator goes.
__ccpulse_found() {
  if [[ $1 == */* ]]; then
    [[ -f $1 && -x $1 ]]
  else
    type -P -- "$1" >/dev/null
  fi
}

# Runs last in PROMPT_COMMAND, so the commands before it still see $? and PIPESTATUS of your command, and
# hands $? on unchanged to whatever runs after it (a PROMPT_COMMAND added later, PS1). It puts the
# indicator into PS1 here rather than once, so a PROMPT_COMMAND that rebuilds PS1 every time (git's
# __git_ps1 in its PROMPT_COMMAND mode, many themes) still shows it.
__ccpulse_update() {
  local status=$?
  local bin=${CCPULSE_BIN:-ccpulse}
  if __ccpulse_found "$bin"; then
    # || true: a failing ccpulse must not end a shell that runs with set -e.
    ccpulse_prompt=$("$bin" prompt --shell bash 2>/dev/null </dev/null) || true
  else
    ccpulse_prompt=
  fi
  # Without promptvars PS1 would show the ${…} itself.
  if [[ -z ${CCPULSE_NO_PS1-} && ${PS1-} != *ccpulse_prompt* ]] && shopt -q promptvars; then
    PS1='${ccpulse_prompt:+${ccpulse_prompt} }'${PS1-}
  fi
  return "$status"
}

# PROMPT_COMMAND can be a string or, from bash 5.1, an array whose elements all run. A string gets a newline
# rather than "; " in front of us: it may already end with ";" and ";;" would not parse.
if [[ $(declare -p PROMPT_COMMAND 2>/dev/null) == 'declare -a'* ]] && ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 501)); then
  [[ " ${PROMPT_COMMAND[*]} " == *' __ccpulse_update '* ]] || PROMPT_COMMAND+=(__ccpulse_update)
elif [[ ${PROMPT_COMMAND-} != *__ccpulse_update* ]]; then
  PROMPT_COMMAND=${PROMPT_COMMAND:+${PROMPT_COMMAND}$'\n'}__ccpulse_update
fi
