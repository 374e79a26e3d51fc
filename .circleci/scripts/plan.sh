#!/usr/bin/env bash
# Setup job: picks the base to compare with, then generates the continuation config.
#   main:          the commit before this push (pipeline.git.base_revision), or HEAD~1 without one
#   other branches: origin/<main branch>; the change detection diffs from the merge base
# Usage: .circleci/scripts/plan.sh <output file>
set -euo pipefail
cd "$(dirname "$0")/../.."
output="${1:?usage: plan.sh <output file>}"
main="${MAIN_BRANCH:-main}"
branch="${CIRCLE_BRANCH:-$(git rev-parse --abbrev-ref HEAD)}"

if [ "$branch" = "$main" ]; then
  base="${BASE_REVISION:-}"
  if [ -z "$base" ]; then base="HEAD~1"; fi
else
  git fetch --quiet origin "+refs/heads/${main}:refs/remotes/origin/${main}"
  base="origin/${main}"
fi

echo "[plan] branch ${branch}, comparing with ${base}"
node scripts/bootstrap.mjs ops ci config --base "$base" --branch "$branch" --main-branch "$main" --output "$output"
