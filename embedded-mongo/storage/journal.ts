import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { BSON } from 'bson';
import { frameRecord } from './framing';
import { journalFile, syncDirectory, writeAll } from './files';

/** The first record of every journal file, naming what the file is and its number. */
export function journalHeader(number: number): Buffer {
  return frameRecord(BSON.serialize({ journal: 'embedded-mongo', version: 1, number }));
}

/** One journal file: where its next record goes, and its handle once open. */
class Segment {
  handle: FileHandle | null = null;
  /** Records appended to this file, the header excluded (including those found in it at start-up). */
  records = 0;
  /** Bytes appended to this file so far, written or still queued. */
  appendedBytes: number;

  constructor(
    readonly number: number,
    readonly file: string,
    /** Bytes already in the file (its valid records, the header included), or null for a file yet to be created. */
    public size: number | null,
  ) {
    this.appendedBytes = size ?? 0;
  }
}

interface Pending {
  segment: Segment;
  record: Buffer;
  sequence: number;
}

/**
 * The journal: records appended in the order the changes were made, and written to disk with group commit. An
 * append only queues the record; the queue is written and synced (fdatasync) at the next turn of the event loop, so
 * every command that finished in the meantime shares one sync, and records that arrive during a sync share the
 * next. `whenDurable` settles once everything appended before it is on disk, which is when a write's reply may go.
 *
 * `rotate` starts a new file for what comes next (a snapshot then supersedes the older ones); a new file is created,
 * its header synced and the directory synced before any record in it counts as durable. A failed write or sync
 * fails every waiting and later write: the store cannot promise durability any more and says so.
 */
export class Journal {
  private current: Segment;
  private readonly queue: Pending[] = [];
  private appended = 0;
  private durable = 0;
  private readonly waiters: { sequence: number; resolve: () => void; reject: (error: Error) => void }[] = [];
  private flushing: Promise<void> | null = null;
  private failure: Error | null = null;
  /** Files with an open handle; those no longer current are closed once everything queued for them is written. */
  private readonly open = new Set<Segment>();

  constructor(
    private readonly directory: string,
    number: number,
    /** The valid length of an existing journal file to append to, or null to start a new one. */
    existingSize: number | null,
    existingRecords: number,
    private readonly log: (line: string) => void,
  ) {
    this.current = new Segment(number, path.join(directory, journalFile(number)), existingSize);
    this.current.records = existingRecords;
  }

  /** The number of the file new records go to. */
  get number(): number {
    return this.current.number;
  }

  /** Bytes in the current file, queued records included: what compaction watches. */
  get size(): number {
    return this.current.appendedBytes;
  }

  /** Records in the current file, those found at start-up included: zero means a snapshot would change nothing. */
  get recordsSinceRotation(): number {
    return this.current.records;
  }

  get failed(): Error | null {
    return this.failure;
  }

  append(payload: Buffer): void {
    if (this.failure) throw this.failure;
    const record = frameRecord(payload);
    this.queue.push({ segment: this.current, record, sequence: ++this.appended });
    this.current.records++;
    this.current.appendedBytes += record.length;
    this.flushSoon();
  }

  /** Settles once every record appended so far is on disk. */
  whenDurable(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const sequence = this.appended;
    if (this.durable >= sequence) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ sequence, resolve, reject }));
  }

  /** Sends every later record to a new file, numbered one higher; returns that number. */
  rotate(): number {
    this.current = new Segment(this.current.number + 1, path.join(this.directory, journalFile(this.current.number + 1)), null);
    // The flush closes the previous file once it has everything queued for it (possibly nothing more).
    this.flushSoon();
    return this.current.number;
  }

  /** Settles when nothing is queued or being written, every file but the current one closed. */
  async settle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  async close(): Promise<void> {
    await this.settle();
    for (const segment of [...this.open]) await this.closeSegment(segment);
  }

  private flushSoon(): void {
    if (this.flushing) return;
    // Waiting for the next turn lets every command that finishes in this one join the same write and sync.
    this.flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  private async flush(): Promise<void> {
    try {
      // A new file is created even before anything is written to it, so that journal numbers never skip one (start-up
      // treats a gap as a lost journal).
      if (this.current.size === null) await this.openSegment(this.current);
      while (this.queue.length > 0 && !this.failure) {
        const batch = this.queue.splice(0);
        for (let start = 0; start < batch.length; ) {
          const segment = batch[start].segment;
          let end = start;
          while (end < batch.length && batch[end].segment === segment) end++;
          await this.write(segment, Buffer.concat(batch.slice(start, end).map((pending) => pending.record)));
          start = end;
        }
        this.durable = batch[batch.length - 1].sequence;
        while (this.waiters.length > 0 && this.waiters[0].sequence <= this.durable) (this.waiters.shift() as { resolve: () => void }).resolve();
      }
      for (const segment of [...this.open]) {
        if (segment !== this.current && !this.queue.some((pending) => pending.segment === segment)) await this.closeSegment(segment);
      }
    } catch (error) {
      this.fail(error as Error);
    } finally {
      this.flushing = null;
    }
    if (this.queue.length > 0 && !this.failure) this.flushSoon();
  }

  /** Writes records to a file and syncs them; a file no longer current is closed once it has everything. */
  private async write(segment: Segment, bytes: Buffer): Promise<void> {
    const handle = await this.openSegment(segment);
    await writeAll(handle, bytes, segment.size as number);
    await handle.datasync();
    segment.size = (segment.size as number) + bytes.length;
  }

  private async closeSegment(segment: Segment): Promise<void> {
    this.open.delete(segment);
    const handle = segment.handle;
    segment.handle = null;
    await handle?.close();
  }

  private async openSegment(segment: Segment): Promise<FileHandle> {
    if (segment.handle) return segment.handle;
    if (segment.size !== null && segment.size > 0) {
      segment.handle = await open(segment.file, 'r+');
      this.open.add(segment);
      return segment.handle;
    }
    // A new file: its header, then the directory entry, are durable before any record in it is acknowledged.
    const handle = await open(segment.file, 'w');
    const header = journalHeader(segment.number);
    await writeAll(handle, header, 0);
    await handle.datasync();
    await syncDirectory(this.directory);
    segment.size = header.length;
    segment.handle = handle;
    this.open.add(segment);
    return handle;
  }

  private fail(error: Error): void {
    this.failure = new Error(`the journal ${this.current.file} could not be written (${error.message}); the store accepts no more writes until it is restarted`);
    this.log(this.failure.message);
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
  }
}
