/** The 64×64 image, painted from the run's pixel buffer whenever a rows event bumps `frame`. */
import { useEffect, useRef } from 'react';
import { IMAGE_PX } from '../store';

export function ImageCanvas({ pixels, frame, label }: { pixels: Uint8ClampedArray; frame: number; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = canvas.current?.getContext('2d');
    // A copy: ImageData must not alias the buffer the next rows event writes into.
    ctx?.putImageData(new ImageData(new Uint8ClampedArray(pixels), IMAGE_PX, IMAGE_PX), 0, 0);
  }, [pixels, frame]);
  return <canvas ref={canvas} className="image" width={IMAGE_PX} height={IMAGE_PX} aria-label={label} role="img" data-testid="run-canvas" />;
}
