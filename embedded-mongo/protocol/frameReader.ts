import { checkDeclaredLength } from './header';

/**
 * Cuts a TCP byte stream into whole wire-protocol frames. TCP delivers frames split across chunks and several
 * frames in one chunk; this keeps the unfinished tail and hands out each frame once all its bytes have arrived.
 * The declared length is validated as soon as the four length bytes are in, so an absurd length fails at once.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Adds received bytes and returns every frame now complete. Throws ProtocolError on an invalid length. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    while (this.buffered >= 4) {
      const head = this.peek(4);
      const length = head.readInt32LE(0);
      checkDeclaredLength(length);
      if (this.buffered < length) break;
      frames.push(this.take(length));
    }
    return frames;
  }

  private peek(size: number): Buffer {
    if (this.chunks[0].length < size) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0].subarray(0, size);
  }

  private take(size: number): Buffer {
    if (this.chunks[0].length < size) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0];
    const frame = first.subarray(0, size);
    if (first.length === size) this.chunks.shift();
    else this.chunks[0] = first.subarray(size);
    this.buffered -= size;
    return frame;
  }
}

