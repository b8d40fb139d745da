#!/usr/bin/env bash
# `databricks bundle validate --strict` (a warning fails too) for each target given, written as one Markdown report that both CI
# platforms post on the pull request. Every target is validated; exits 1 when any of them fails.
#   bash .ci/bundle_validate.sh REPORT.md staging prod
set -uo pipefail
if [ "$#" -lt 2 ]; then
  echo "usage: $0 REPORT.md TARGET..." >&2
  exit 2
fi
report="$1"
shift
status=0
{
  echo "<!-- bundle-validate -->"
  echo "### \`databricks bundle validate\`${REVISION:+ at ${REVISION:0:7}}"
} > "$report"
for target in "$@"; do
  if output="$(databricks bundle validate --strict -t "$target" 2>&1)"; then
    verdict="passed"
  else
    verdict="failed"
    status=1
  fi
  printf '%s\n' "--- target $target: $verdict" "$output"
  # A pull request comment holds at most 65536 characters: keep the end of long outputs.
  printf '\n**%s**: %s\n\n```\n%s\n```\n' "$target" "$verdict" "$(tail -c 30000 <<< "$output")" >> "$report"
done
exit "$status"
