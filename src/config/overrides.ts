/**
 * Where keyrot's and AWS's files and endpoints are, when the person says so (the global flags); each
 * one overrides its environment variable. Plain data: it crosses to the daemon's check worker and is
 * passed on to the `rotate-now` the tray runs.
 */
export interface Overrides {
  /** `--credentials-file`: overrides AWS_SHARED_CREDENTIALS_FILE. */
  credentialsFile?: string;
  /** `--aws-config-file`: overrides AWS_CONFIG_FILE. */
  awsConfigFile?: string;
  /** `--config`: keyrot's own settings file; overrides KEYROT_CONFIG. */
  config?: string;
  /** `--endpoint-url`: IAM and STS endpoint. */
  endpointUrl?: string;
  /** `--region`. */
  region?: string;
}
