#!/bin/sh
# docker-compose.yml's minio-init: run once at every `up`, after MinIO answers, with MinIO's
# client (mc). Idempotent: it creates what is missing and leaves the rest as it is.
#
# - the private bucket S3_BUCKET, with no anonymous access of any kind;
# - the app's own user (S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY) whose policy reaches this
#   bucket's objects and nothing else: the app never holds MinIO's root credentials.
set -eu

: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}" "${S3_BUCKET:?}"
: "${S3_ACCESS_KEY_ID:?}" "${S3_SECRET_ACCESS_KEY:?}"

mc alias set havre http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null

mc mb --ignore-existing "havre/$S3_BUCKET"
# No public read, list or write, whatever was set before.
mc anonymous set none "havre/$S3_BUCKET"

# Shell built-ins only (printf, case): the mc image is minimal.
policy=/tmp/havre-private.json
printf '{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
      "Resource": ["arn:aws:s3:::%s"]
    },
    {
      "Effect": "Allow",
      "Action": [
        "s3:GetObject", "s3:PutObject", "s3:DeleteObject",
        "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"
      ],
      "Resource": ["arn:aws:s3:::%s/*"]
    }
  ]
}
' "$S3_BUCKET" "$S3_BUCKET" >"$policy"
mc admin policy create havre havre-private "$policy" >/dev/null
mc admin user add havre "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY" >/dev/null
# Attaching a policy already attached is an error to mc: look first.
case "$(mc admin user info havre "$S3_ACCESS_KEY_ID")" in
    *havre-private*) ;;
    *) mc admin policy attach havre havre-private --user "$S3_ACCESS_KEY_ID" >/dev/null ;;
esac
echo "minio-init: bucket $S3_BUCKET is private; the app's user reaches it and nothing else"
