/** 987 → "987", 12_345 → "12.3k", 4_567_890 → "4.6M". */
export function humanCount(n: number): string {
  if (n < 1000) return String(n);
  const units = ["k", "M", "G", "T"];
  let value = n;
  for (const unit of units) {
    value /= 1000;
    const rounded = Math.round(value * 10) / 10;
    if (rounded < 1000 || unit === "T") return `${rounded.toFixed(1)}${unit}`;
  }
  return String(n);
}

/** A short age: "45s", "3m", "1h05m", "2d04h". Future times (clock skew) read as "0s". */
export function humanAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, "0")}h`;
}

/** $0.04, $12.34, $1.2k; a cost under a cent but above zero reads "<$0.01"; "~" marks an estimate. */
export function humanCost(usd: number, estimated = false): string {
  const mark = estimated ? "~" : "";
  if (usd > 0 && usd < 0.005) return `${mark}<$0.01`;
  if (usd < 1000) return `${mark}$${usd.toFixed(2)}`;
  return `${mark}$${humanCount(Math.round(usd))}`;
}
