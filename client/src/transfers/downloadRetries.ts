// The default retries of a download, single or batch, in Node or a browser.

/** Delays (ms) of the retries after a network failure, a 5xx or 429. */
export const defaultDownloadRetryDelays = [0, 1000, 3000];
