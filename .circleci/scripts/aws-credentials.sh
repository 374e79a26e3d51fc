#!/usr/bin/env bash
# Gives the following steps AWS credentials the SDK's default chain picks up:
#   AWS_ROLE_ARN set:  CircleCI's OIDC token, exchanged for the role (no long-lived keys)
#   otherwise:         AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the context
# Fails listing every missing variable of the sagaworks-aws context.
set -euo pipefail
missing=()
[ -n "${AWS_REGION:-}" ] || missing+=("AWS_REGION (region of the ECR registry)")
[ -n "${AWS_ACCOUNT_ID:-}" ] || missing+=("AWS_ACCOUNT_ID (account that owns the registry)")
if [ -n "${AWS_ROLE_ARN:-}" ]; then
  [ -n "${CIRCLE_OIDC_TOKEN_V2:-}" ] || missing+=("CIRCLE_OIDC_TOKEN_V2 (run the job with a context to get one)")
elif [ -z "${AWS_ACCESS_KEY_ID:-}" ] || [ -z "${AWS_SECRET_ACCESS_KEY:-}" ]; then
  missing+=("AWS_ROLE_ARN, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "The sagaworks-aws context is missing:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  exit 1
fi

if [ -n "${AWS_ROLE_ARN:-}" ]; then
  token_file="$(mktemp)"
  printf '%s' "$CIRCLE_OIDC_TOKEN_V2" > "$token_file"
  {
    echo "export AWS_WEB_IDENTITY_TOKEN_FILE='${token_file}'"
    echo "export AWS_ROLE_SESSION_NAME='circleci-${CIRCLE_BUILD_NUM:-local}'"
  } >> "$BASH_ENV"
  echo "AWS: assuming ${AWS_ROLE_ARN} with the job's OIDC token"
else
  echo "AWS: access keys from the context"
fi
