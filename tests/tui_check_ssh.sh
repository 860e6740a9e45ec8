#!/usr/bin/env bash
# The console over a real SSH connection: start an OpenSSH server on 127.0.0.1 (a free high port, a temporary
# host key, key-only login for a temporary client key), run `zhurnal` through `ssh -tt` inside a local tmux
# window of 80×24, log in, search a student, open the card and read the screen with `tmux capture-pane`.
#
#   tests/tui_check_ssh.sh                     # builds a demo school in a temporary folder first
#   ZHURNAL_DATA_DIR=/path ZHURNAL_PASSWORD=... tests/tui_check_ssh.sh
#
# Environment: ZHURNAL_DATA_DIR (a folder holding a database; none: a demo is built), ZHURNAL_LOGIN (admin),
# ZHURNAL_PASSWORD (the login's password; required with ZHURNAL_DATA_DIR), SEARCH (what to type in the
# students' search box, "Ива"), EXPECT (the student's full name the card must show; empty: the first row the
# search shows), ZHURNAL (the zhurnal command; the repository's .venv by default), TRIES (screen polls per
# step, 300 × 0.1 s).
#
# Exit status: 0 the card showed the student; 1 it did not (the screen is printed); 77 the check cannot run
# here (no sshd and no way to install it, no tmux or ssh client) — the reason is the last line printed.
# sshd is installed with apt-get (openssh-server) when missing and the script runs as root.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ZHURNAL="${ZHURNAL:-$here/../.venv/bin/zhurnal}"
ZHURNAL="$(cd "$(dirname "$ZHURNAL")" 2>/dev/null && pwd)/$(basename "$ZHURNAL")"
LOGIN="${ZHURNAL_LOGIN:-admin}"
SEARCH="${SEARCH:-Ива}"
EXPECT="${EXPECT:-}"
TRIES="${TRIES:-300}"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

find_sshd() { command -v sshd 2>/dev/null || { [ -x /usr/sbin/sshd ] && echo /usr/sbin/sshd; } || true; }

SSHD="$(find_sshd)"
if [ -z "$SSHD" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing openssh-server with apt-get" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q --no-install-recommends openssh-server >&2 \
            || { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends openssh-server >&2; } \
            || true
        SSHD="$(find_sshd)"
    fi
    [ -n "$SSHD" ] || skip "sshd is not installed and cannot be installed here (run as root with apt-get, or apt-get install openssh-server)"
fi
command -v tmux >/dev/null || skip "tmux is not installed (apt-get install tmux)"
command -v ssh >/dev/null || skip "the ssh client is not installed (apt-get install openssh-client)"
command -v ssh-keygen >/dev/null || skip "ssh-keygen is not installed (apt-get install openssh-client)"
[ -x "$ZHURNAL" ] || fail "no zhurnal command at $ZHURNAL (set ZHURNAL)"

work="$(mktemp -d "${TMPDIR:-/tmp}/zhurnal-ssh.XXXXXX")"
chmod 700 "$work"
sshd_pid=""
socket="$work/tmux.sock"
cleanup() {
    tmux -S "$socket" kill-server >/dev/null 2>&1 || true
    if [ -n "$sshd_pid" ]; then kill "$sshd_pid" >/dev/null 2>&1 || true; wait "$sshd_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# ------------------------------------------------------------------------------------------- the database
if [ -z "${ZHURNAL_DATA_DIR:-}" ]; then
    export ZHURNAL_DATA_DIR="$work/data"
    ZHURNAL_PASSWORD="${ZHURNAL_PASSWORD:-correct horse battery staple 42}"
    echo "building a demo school in $ZHURNAL_DATA_DIR" >&2
    printf '%s\n' "$ZHURNAL_PASSWORD" | "$ZHURNAL" demo --password-stdin >/dev/null
fi
[ -n "${ZHURNAL_PASSWORD:-}" ] || fail "ZHURNAL_PASSWORD is not set"
data_dir="$(cd "$ZHURNAL_DATA_DIR" && pwd)"

# ------------------------------------------------------------------------------------ keys and the server
ssh-keygen -q -t ed25519 -N "" -f "$work/host_key" -C zhurnal-check-host
ssh-keygen -q -t ed25519 -N "" -f "$work/client_key" -C zhurnal-check-client
cp "$work/client_key.pub" "$work/authorized_keys"
chmod 600 "$work/authorized_keys"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
user="$(id -un)"
cat > "$work/sshd_config" <<CONFIG
ListenAddress 127.0.0.1
Port $port
HostKey $work/host_key
PidFile $work/sshd.pid
AuthorizedKeysFile $work/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
AllowUsers $user
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
PrintLastLog no
LogLevel ERROR
CONFIG
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd  # the privilege separation directory Debian's sshd wants
"$SSHD" -t -f "$work/sshd_config" || fail "sshd refused its configuration"
"$SSHD" -D -e -f "$work/sshd_config" 2>"$work/sshd.log" &
sshd_pid=$!
for _ in $(seq 100); do
    if python3 -c "import socket, sys; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then break; fi
    kill -0 "$sshd_pid" 2>/dev/null || fail "sshd exited: $(cat "$work/sshd.log")"
    sleep 0.1
done

# -------------------------------------------------------------------------- the console through ssh -tt
ssh_command=(ssh -tt -F /dev/null -p "$port" -i "$work/client_key" -o IdentitiesOnly=yes -o BatchMode=yes
             -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "$user@127.0.0.1"
             "$(printf '%q ' env "ZHURNAL_DATA_DIR=$data_dir" "TERM=xterm-256color" "$ZHURNAL")")
pane="$(printf '%q ' "${ssh_command[@]}"); sleep 30"  # the pause keeps a failure readable on the screen
TERM=xterm-256color tmux -S "$socket" new-session -d -s zhurnal -x 80 -y 24 "$pane"

screen() { tmux -S "$socket" capture-pane -p -t zhurnal; }
keys() { tmux -S "$socket" send-keys -t zhurnal "$@"; }
text() { tmux -S "$socket" send-keys -t zhurnal -l "$1"; }
wait_for() {  # every argument must be on the screen, within TRIES polls
    local shot
    for _ in $(seq "$TRIES"); do
        shot="$(screen)"
        local all=1
        for want in "$@"; do [[ "$shot" == *"$want"* ]] || { all=0; break; }; done
        if [ "$all" = 1 ]; then return 0; fi
        sleep 0.1
    done
    echo "--- the screen:"; screen; echo "---"
    [ -s "$work/sshd.log" ] && { echo "--- sshd:"; cat "$work/sshd.log"; }
    fail "the screen never showed: $*"
}
first_row() {  # the first row of the list under its header line
    screen | awk '/ФИО/ { found = 1; next } found { sub(/^[ │|]+/, ""); sub(/[ ]{2,}.*$/, ""); print; exit }'
}

size="$(tmux -S "$socket" display-message -p -t zhurnal '#{window_width}x#{window_height}')"
[ "$size" = "80x24" ] || fail "the window is $size, not 80x24"
wait_for "Имя входа" "Пароль"
text "$LOGIN"; keys Enter
text "$ZHURNAL_PASSWORD"; keys Enter
wait_for "Сводка" "Требует внимания"
keys F3
wait_for "Ученики" "Показано"
text "$SEARCH"
if [ -n "$EXPECT" ]; then
    for _ in $(seq "$TRIES"); do [[ "$(first_row)" == "$EXPECT"* ]] && break; sleep 0.1; done
    [[ "$(first_row)" == "$EXPECT"* ]] || { screen; fail "the search never showed $EXPECT first"; }
else
    for _ in $(seq "$TRIES"); do row="$(first_row)"; [[ "$row" == *"$SEARCH"* ]] && break; sleep 0.1; done
    EXPECT="$(first_row)"
    [[ "$EXPECT" == *"$SEARCH"* ]] || { screen; fail "the search for $SEARCH showed no student"; }
fi
keys Enter
wait_for "Карточка: $EXPECT" "Обучение в классах"
keys F10
echo "OK: over ssh (127.0.0.1:$port, 80x24) the card of $EXPECT opened"
