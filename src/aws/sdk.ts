// The parts of the AWS SDK keyrot uses, by name. Only ever loaded through import() (src/aws/clients.ts),
// so commands that never call AWS never load the SDK. The build makes this file a bundle of its own
// (dist/bundle/aws-sdk.cjs, scripts/build.mjs), tree-shaken to these parts.
export {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListMFADevicesCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
export { GetCallerIdentityCommand, GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
