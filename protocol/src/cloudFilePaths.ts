// A file's path as a cloud file name. Cloud file names are flat (no "/"), so
// the command line client names a file of its folder by its relative path
// with "/" escaped as %2F and "%" as %25: distinct paths get distinct names,
// and the path comes back with cloudNameToPath. The server reads the same
// convention to show the file in the user's Drive as the path it is
// (api/src/cloud/googleDrive/drivePlacement.ts).

/** The cloud file name of a relative path ("docs/report.bin" is "docs%2Freport.bin"). */
export function pathToCloudName(relativePath: string): string {
  return relativePath.replaceAll("%", "%25").replaceAll("/", "%2F");
}

/** The relative path a cloud file name stands for (the inverse of pathToCloudName). */
export function cloudNameToPath(cloudFileName: string): string {
  return cloudFileName.replaceAll("%2F", "/").replaceAll("%25", "%");
}
