/** Saves the image as a 512×512 PNG, upscaled nearest-neighbour so the pixels stay crisp. */
import { IMAGE_PX } from '../store';

const OUT_PX = 512;

function fileName(prompt: string, seed: number): string {
  const slug = prompt.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '').slice(0, 40) || 'image';
  return `hawk-${slug}-seed${seed}.png`;
}

async function download(pixels: Uint8ClampedArray, name: string): Promise<void> {
  const small = document.createElement('canvas');
  small.width = small.height = IMAGE_PX;
  small.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(pixels), IMAGE_PX, IMAGE_PX), 0, 0);
  const big = document.createElement('canvas');
  big.width = big.height = OUT_PX;
  const ctx = big.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, OUT_PX, OUT_PX);
  const blob = await new Promise<Blob | null>((resolve) => big.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('The browser could not encode the PNG.');
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  a.click();
  // Revoke later: some browsers read the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function DownloadButton({ pixels, prompt, seed, disabled }: { pixels: Uint8ClampedArray; prompt: string; seed: number; disabled: boolean }) {
  return (
    <button type="button" className="secondary small" disabled={disabled} onClick={() => void download(pixels, fileName(prompt, seed))}>
      Download PNG
    </button>
  );
}
