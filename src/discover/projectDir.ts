/**
 * Claude Code's project folder name for a cwd (format doc §2.1): every UTF-16 unit outside
 * [A-Za-z0-9] becomes "-"; a result over 200 units is cut to 200 + "-" + base36(|Java hashCode(cwd)|).
 */
const MAX_LENGTH = 200;

export function encodeProjectDir(cwd: string): string {
  const encoded = cwd.replace(/[^a-zA-Z0-9]/g, "-");
  if (encoded.length <= MAX_LENGTH) return encoded;
  return `${encoded.slice(0, MAX_LENGTH)}-${Math.abs(javaHashCode(cwd)).toString(36)}`;
}

/** Java's String.hashCode over UTF-16 code units with int32 wrap-around, as Claude Code computes it. */
export function javaHashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = ((hash << 5) - hash + text.charCodeAt(i)) | 0;
  return hash;
}
