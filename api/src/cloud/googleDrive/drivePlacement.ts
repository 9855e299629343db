// Where a file shows in the user's Drive. Cloud file names are flat in the
// protocol (no "/"); the command line client names a file of its folder by
// its path with "/" written %2F and "%" written %25 (pathToCloudName in
// @smsync/protocol). These are the user's own files in their own Drive, so the
// path is shown as the user made it: a Drive folder for each directory, under
// the app folder, and the file by its own name ("docs%2Freport.bin" is
// report.bin in the folder docs). In every part %25 is shown as "%". A name
// whose path has an empty part (a leading, trailing or doubled %2F) is no
// path, and is shown as it is, in the app folder.
export interface DrivePlacement {
  /** The folders from the app folder down, outermost first. */
  folders: string[];
  name: string;
}

const separator = "%2F";

export function drivePlacementOf(cloudFileName: string): DrivePlacement {
  const parts = cloudFileName.split(separator);
  if (parts.some((part) => part === "")) return { folders: [], name: cloudFileName };
  const shown = parts.map((part) => part.replaceAll("%25", "%"));
  return { folders: shown.slice(0, -1), name: shown.at(-1)! };
}
