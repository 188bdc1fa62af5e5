#!/usr/bin/env bash
# Everything omni's tests need on a fresh Debian/Ubuntu machine, and nothing else:
#   - system packages: tmux (sessions live there), git (worktrees), curl (the hook client),
#     bubblewrap (the sandbox), iproute2 (`ss`, to tell who asks the daemon to approve),
#     zsh and fish (the completion tests drive omni's completions in each shell);
#     faketime (the clock-jump fault test moves the daemon's wall clock);
#     openssh-server (the remote-host tests run a real sshd on loopback), acl (setfacl: omni share
#     opens the control socket to one more user and no one else);
#   - the real agent CLIs at the versions pinned in test/harness-clis/package-lock.json;
#   - omni itself, built.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for pair in tmux:tmux git:git curl:curl bwrap:bubblewrap ss:iproute2 zsh:zsh fish:fish faketime:faketime /usr/sbin/sshd:openssh-server setfacl:acl; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-test: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "setup-test: installing the pinned agent CLIs (test/harness-clis)"
# From the lock, exactly; not `npm ci`, which refuses a lock that lacks other platforms' optional
# packages (some of OpenCode's and Qwen Code's are not on every registry), while `npm install`
# skips them as optional. --no-save: the lock is never rewritten.
npm install --prefix test/harness-clis --no-save --no-audit --no-fund --loglevel=error

echo "setup-test: building omni"
npm run build --silent

for bin in claude codex pi opencode gemini copilot qwen; do
  printf 'setup-test: %s %s\n' "$bin" "$("test/harness-clis/node_modules/.bin/$bin" --version 2>/dev/null | head -1)"
done
echo "setup-test: $(tmux -V), $(git --version), $(bwrap --version)"
