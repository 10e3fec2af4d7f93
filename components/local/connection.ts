import * as pulumi from "@pulumi/pulumi";

/** Database, user and MinIO root user of the dev stack (the guide's docker-compose). */
export const DATABASE = "healthflow";
/** The uploads bucket; S3 in staging/production, MinIO in dev. */
export const UPLOADS_BUCKET = "healthflow-uploads";
/** Host ports bind here only. */
export const LOCAL_HOST = "127.0.0.1";

/** The guide's healthcheck timing (10 s interval, 5 s timeout, 5 retries) for a shell test. */
export function healthcheck(shellTest: string) {
  return { tests: ["CMD-SHELL", shellTest], interval: "10s", timeout: "5s", retries: 5 };
}

/** DATABASE_URL for the dev database; a secret because it carries the password. */
export function postgresUrl(
  host: string,
  port: number,
  password: pulumi.Input<string>,
): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.interpolate`postgresql://${DATABASE}:${password}@${host}:${port}/${DATABASE}?schema=public`,
  );
}

/** REDIS_URL for the dev Redis (AUTH with the generated password); a secret. */
export function redisUrl(host: string, port: number, password: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.secret(pulumi.interpolate`redis://:${password}@${host}:${port}`);
}

/** Shell run by the one-shot `mc` container: wait for MinIO, then create the bucket idempotently. */
export function minioInitScript(bucket: string): string {
  return [
    "set -eu",
    'until mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null 2>&1; do sleep 1; done',
    `mc mb --ignore-existing local/${bucket}`,
    `mc anonymous set none local/${bucket}`,
  ].join("\n");
}
