import { open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { CollectionState, MemoryEngine } from '../engine/engine';
import type { Document, IndexInfo } from '../engine/types';
import { CorruptFileError, frameRecord, scanRecords } from './framing';
import { snapshotFile, syncDirectory, writeAll } from './files';
import { DocumentStreamWriter, readDocumentStream, splitDocumentStream } from './records';

/** Documents per snapshot record: small enough that writing one never holds the event loop for long. */
const CHUNK_DOCUMENTS = 1000;
const CHUNK_BYTES = 1024 * 1024;

export interface SnapshotSummary {
  file: string;
  collections: number;
  documents: number;
  bytes: number;
  milliseconds: number;
}

/** Lets other work (commands, timers) run between chunks of a long job. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Writes the whole state as `snapshot-N.bson`, atomically: into a temporary file, synced, then renamed into place and
 * the directory synced, so a crash leaves either the complete snapshot or none. The records are: a header; per
 * collection its definition, then its documents in chunks; and a trailer with the totals, which a reader requires.
 * The state was captured at one instant (documents are never modified in place), so commands go on while the
 * snapshot is written chunk by chunk.
 */
export async function writeSnapshot(directory: string, number: number, state: CollectionState[]): Promise<SnapshotSummary> {
  const started = performance.now();
  const final = path.join(directory, snapshotFile(number));
  const temporary = `${final}.tmp`;
  const handle = await open(temporary, 'w');
  const stream = new DocumentStreamWriter();
  let position = 0;
  let documents = 0;
  const writeRecord = async () => {
    const record = frameRecord(stream.bytes());
    stream.reset();
    await writeAll(handle, record, position);
    position += record.length;
  };
  try {
    stream.add({ snapshot: 'embedded-mongo', version: 1, number, createdAt: new Date(), collections: state.length });
    await writeRecord();
    for (const collection of state) {
      stream.add({ collection: { db: collection.db, name: collection.name, options: collection.options, indexes: collection.indexes, multikey: collection.multikey } });
      await writeRecord();
      for (let start = 0; start < collection.docs.length; ) {
        const end = Math.min(start + CHUNK_DOCUMENTS, collection.docs.length);
        stream.add({ docs: { db: collection.db, name: collection.name } });
        let i = start;
        while (i < end && stream.byteLength < CHUNK_BYTES) {
          const doc = collection.docs[i++];
          if (doc instanceof Uint8Array) stream.addEncoded(doc);
          else stream.add(doc);
        }
        documents += i - start;
        start = i;
        await writeRecord();
      }
    }
    stream.add({ end: { collections: state.length, documents } });
    await writeRecord();
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temporary, final);
  await syncDirectory(directory);
  return { file: final, collections: state.length, documents, bytes: position, milliseconds: performance.now() - started };
}

/**
 * Loads a snapshot into an empty engine. A snapshot is renamed into place only when complete, so any damage (a
 * bad record, a missing trailer) is corruption and stops start-up with the file and offset named.
 */
export async function loadSnapshot(file: string, number: number, engine: MemoryEngine): Promise<{ documents: number }> {
  const bytes = await readFile(file);
  const { records, validLength, tornTail } = scanRecords(bytes, file);
  if (tornTail) throw new CorruptFileError(file, validLength, `the snapshot ends in an incomplete record (${tornTail})`);
  let documents = 0;
  let ended = false;
  for (const [position, { offset, payload }] of records.entries()) {
    if (ended) throw new CorruptFileError(file, offset, 'records follow the trailer');
    // Documents stay encoded: the engine decodes each when first read.
    const [first, ...rest] = splitDocumentStream(payload);
    if (first === undefined) throw new CorruptFileError(file, offset, 'an empty record');
    const head = readDocumentStream(first)[0];
    if (position === 0) {
      if (head.snapshot !== 'embedded-mongo' || Number(head.number) !== number) {
        throw new CorruptFileError(file, offset, `expected the header of snapshot ${number}, found ${JSON.stringify(head)}`);
      }
      continue;
    }
    if (head.collection) {
      const { db, name, options, indexes, multikey } = head.collection as { db: string; name: string; options: Document; indexes: IndexInfo[]; multikey?: string[] };
      engine.restoreCollection(db, name, options ?? {}, indexes ?? [], multikey);
    } else if (head.docs) {
      const { db, name } = head.docs as { db: string; name: string };
      engine.restoreDocuments(db, name, rest);
      documents += rest.length;
    } else if (head.end) {
      const expected = Number((head.end as Document).documents);
      if (expected !== documents) throw new CorruptFileError(file, offset, `the trailer counts ${expected} documents but the snapshot holds ${documents}`);
      ended = true;
    } else {
      throw new CorruptFileError(file, offset, `unknown snapshot record ${JSON.stringify(Object.keys(head))}`);
    }
    // Decoding a large snapshot takes a while; let timers and other work in the process run between chunks.
    if (position % 5 === 0) await yieldToEventLoop();
  }
  if (!ended) throw new CorruptFileError(file, validLength, 'the snapshot has no trailer, so it is incomplete');
  return { documents };
}
