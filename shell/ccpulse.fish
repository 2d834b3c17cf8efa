# ccpulse for fish. Enable with, in ~/.config/fish/config.fish:   ccpulse init fish | source
#
# ccpulse runs once per prompt, in a fish_prompt event handler, and ccpulse_prompt prints what it said: fish
# repaints the prompt far more often (a resized window, a vi mode change) and those must not run it again.
# fish prints a prompt function's output as it is, so a name is shown, never run.
#
#   CCPULSE_BIN              the ccpulse to run (`ccpulse init` sets it to its own path)
#   CCPULSE_NO_RIGHT_PROMPT  leave fish_right_prompt alone; call ccpulse_prompt from your own prompt instead

function __ccpulse_update --on-event fish_prompt
    set -l bin ccpulse
    test -n "$CCPULSE_BIN"; and set bin $CCPULSE_BIN
    # A missing binary would make fish print "Unknown command" before every prompt.
    if command -q $bin
        set -g __ccpulse_prompt ($bin prompt --shell fish 2>/dev/null </dev/null)
    else
        set -g __ccpulse_prompt
    end
end

function ccpulse_prompt --description 'Which Claude Code sessions are asking, busy or idle (ccpulse)'
    printf '%s' $__ccpulse_prompt
end

if not set -q CCPULSE_NO_RIGHT_PROMPT; and not functions -q __ccpulse_right_prompt_orig
    if functions -q fish_right_prompt
        functions -c fish_right_prompt __ccpulse_right_prompt_orig
    else
        function __ccpulse_right_prompt_orig
        end
    end
    function fish_right_prompt
        # The right prompt you had runs first, so it still sees $status and $pipestatus of your command.
        set -l theirs (__ccpulse_right_prompt_orig)
        ccpulse_prompt
        test -n "$__ccpulse_prompt" -a -n "$theirs"; and printf ' '
        printf '%s' $theirs
    end
end
