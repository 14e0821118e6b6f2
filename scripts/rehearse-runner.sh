#!/usr/bin/env bash
# The checks action's `install` and `test` steps (.github/actions/checks) as
# GitHub's runner runs them: as a user that is not root, with a HOME of its own,
# CI=true and GITHUB_ACTIONS=true set (GitHub sets both on every runner), in a
# checkout with no ../shared beside it, and with none of the tools .ci/run adds
# (Go, busybox, promtool) on the PATH. Every test must pass or skip there with
# a line saying why. Run it as root (it makes the user): .ci/run does.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "rehearse-runner: run as root (it runs the steps as the user runner)" >&2; exit 2; }

user=runner
id -u "$user" >/dev/null 2>&1 || useradd --uid 1001 --no-create-home --shell /bin/bash "$user"

base=$(mktemp -d /tmp/catbox-runner-XXXXXX)
trap 'rm -rf "$base"' EXIT
# /home/runner/work/<repo>/<repo> on GitHub: nothing beside it.
work="$base/work/catbox-gke"
mkdir -p "$work" "$base/home" "$base/bin"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work"

# The machine's commands, less the ones .ci/run installs for the tests.
for dir in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
    [ -d "$dir" ] || continue
    for cmd in "$dir"/*; do
        name=$(basename "$cmd")
        case "$name" in go | gofmt | busybox | promtool | prometheus) continue ;; esac
        [ -e "$base/bin/$name" ] || ln -s "$cmd" "$base/bin/$name"
    done
done
chown -R "$user" "$base"

# Each step's `run`, as the runner writes it to a file and runs it with bash -e -o pipefail.
node -e '
    const { parse } = require("yaml");
    const action = parse(require("fs").readFileSync(".github/actions/checks/action.yml", "utf8"));
    const run = (id) => action.runs.steps.find((s) => s.id === id)?.run;
    for (const id of ["install", "test"]) {
        if (!run(id)) throw new Error(`the checks action has no step ${id}`);
        require("fs").writeFileSync(`'"$base"'/${id}.sh`, run(id));
    }'
chown "$user" "$base"/install.sh "$base"/test.sh

for id in install test; do
    echo "rehearse-runner: the checks action's $id step, as $user"
    (cd "$work" && setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups \
        env -i HOME="$base/home" USER="$user" LOGNAME="$user" PATH="$base/bin" LANG=C.UTF-8 \
        CI=true GITHUB_ACTIONS=true RUNNER_OS=Linux \
        bash --noprofile --norc -eo pipefail "$base/$id.sh")
done
echo "rehearse-runner: passed"
