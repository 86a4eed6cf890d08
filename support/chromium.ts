import which from 'which';

/** Debian's Chromium (or NW_CHROMIUM) for the console's browser test and its bench; null when there is none. */
export const chromiumPath = (): string | null => process.env.NW_CHROMIUM ?? which.sync('chromium', { nothrow: true });
