// Suggests the closest known word for a misspelt one (formula names, functions, YAML keys).

const MAX_DISTANCE = 2;

/**
 * The candidate closest to `word` by Levenshtein distance (ignoring case), if that distance is at most 2
 * and smaller than the longer word's length — so a one- or two-letter word is not "corrected" into an
 * unrelated one (`q` → `x1`). Ties prefer, in order: matching case; candidates that only add letters
 * (`lg` → `log`, not `ln`); the nearest character at the first difference (`x6` → `x5`, not `x1`);
 * the earlier candidate.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const folded = word.toLowerCase();
  let best: string | undefined;
  let bestRank: number[] = [];
  for (const candidate of candidates) {
    const distance = levenshtein(folded, candidate.toLowerCase());
    if (distance > MAX_DISTANCE || distance >= Math.max(word.length, candidate.length)) continue;
    const rank = [distance, levenshtein(word, candidate), isSubsequence(folded, candidate.toLowerCase()) ? 0 : 1, firstDifferenceGap(word, candidate)];
    if (best === undefined || isLess(rank, bestRank)) {
      best = candidate;
      bestRank = rank;
    }
  }
  return best;
}

/** Edits (insert, delete, substitute one character) needed to turn `a` into `b`. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function isSubsequence(short: string, long: string): boolean {
  let i = 0;
  for (const char of long) if (char === short[i]) i++;
  return i === short.length;
}

/** |char code difference| at the first position where the words differ (0 if one is a prefix of the other). */
function firstDifferenceGap(a: string, b: string): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return Math.abs(a.charCodeAt(i) - b.charCodeAt(i));
  }
  return 0;
}

function isLess(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}
