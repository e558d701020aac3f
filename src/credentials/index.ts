// The credentials engine: read and surgically edit ~/.aws/credentials and ~/.aws/config as the SDK reads them.
export {
  type ProfileEdit,
  type ProfileLocation,
  type ProfileValues,
  parseSharedFile,
  SharedFileDocument,
} from './document.js';
export {
  applyReplaceKeyId,
  applySetProfileKey,
  type EditDeps,
  type EditResult,
  filesHoldingKey,
  profilesHoldingKey,
  replaceKeyId,
  type SetProfileKeyRequest,
  type SharedFileRef,
  type StaticKey,
  setProfileKey,
} from './edit.js';
export type { FileKind } from './grammar.js';
export { type AwsFilePathOverrides, type AwsFilePaths, awsHomeDir, resolveAwsFilePaths } from './paths.js';
export {
  type CredentialsDeps,
  mergedProfileValues,
  readSharedFiles,
  type SharedFilesReading,
} from './read.js';
export { editLockPath, type UpdateOptions, type UpdateOutcome, updateSharedFile } from './update.js';
