// The parts of the AWS SDK keyrot uses, by name. Only ever loaded through import() (src/aws/clients.ts),
// so commands that never call AWS never load the SDK; naming each class lets the rotation bundle keep
// only these from the SDK's ES modules (~330 KB of its ~570 KB, scripts/build-cli.mjs).
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
