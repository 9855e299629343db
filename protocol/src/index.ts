// @smsync/protocol: the parts of the wire contract that the server (api/)
// and the client SDK (client/) must apply alike, defined once.
export {
  checkCloudFileName,
  cloudFileNameKey,
  cloudFileNameOwner,
  maxCloudFileNameBytes,
  type CloudFileNameCheck,
  type NamedFile,
} from "./cloudFileNames.ts";
