/** Erode a mask by r pixels (square structuring element). */
export function erode(mask: Uint8Array, width: number, height: number, r: number): Uint8Array {
  let cur = mask;
  for (let pass = 0; pass < r; pass++) {
    const next = new Uint8Array(cur.length);
    for (let y = 1; y < height - 1; y++) {
      for (let x = 1; x < width - 1; x++) {
        const i = y * width + x;
        next[i] = cur[i] && cur[i - 1] && cur[i + 1] && cur[i - width] && cur[i + width] ? 1 : 0;
      }
    }
    cur = next;
  }
  return cur;
}
