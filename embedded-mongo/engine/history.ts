import type { StoredRecord } from './collection';

/** A document's version before one committed change, and when that change happened. */
interface Version {
  ts: number;
  /** The version before the change; null when the change inserted the document. */
  before: StoredRecord | null;
}

/**
 * Older versions of documents, kept while transactions that started before a change may still read them: this is
 * what gives a transaction its snapshot. Collections only ever hold the latest committed version; a transaction that
 * started at `readTs` sees, for a document changed after it, the version before the first such change. Versions are
 * recorded only while some transaction is open and dropped as soon as no open transaction is older than them, so
 * without transactions the history costs nothing.
 */
export class History {
  private readonly byNamespace = new Map<string, Map<string, Version[]>>();
  /** Every recorded change in time order, for pruning from the oldest. */
  private readonly queue: { ts: number; namespace: string; id: string }[] = [];
  private head = 0;

  record(namespace: string, id: string, before: StoredRecord | null, ts: number): void {
    let documents = this.byNamespace.get(namespace);
    if (!documents) {
      documents = new Map();
      this.byNamespace.set(namespace, documents);
    }
    const versions = documents.get(id);
    if (versions) versions.push({ ts, before });
    else documents.set(id, [{ ts, before }]);
    this.queue.push({ ts, namespace, id });
  }

  /** Whether a committed change touched the document after `readTs`. */
  changedAfter(namespace: string, id: string, readTs: number): boolean {
    const versions = this.byNamespace.get(namespace)?.get(id);
    return versions !== undefined && versions[versions.length - 1].ts > readTs;
  }

  /**
   * Every document of a namespace that changed after `readTs`, with the version a reader at `readTs` sees (null
   * where the document did not exist yet).
   */
  versionsAt(namespace: string, readTs: number): Map<string, StoredRecord | null> {
    const versions = new Map<string, StoredRecord | null>();
    for (const [id, list] of this.byNamespace.get(namespace) ?? []) {
      const first = list.find((version) => version.ts > readTs);
      if (first) versions.set(id, first.before);
    }
    return versions;
  }

  /** Drops the versions no open transaction can read: those of changes at or before the oldest open snapshot. */
  prune(oldestReadTs: number): void {
    while (this.head < this.queue.length && this.queue[this.head].ts <= oldestReadTs) {
      const { ts, namespace, id } = this.queue[this.head++];
      const documents = this.byNamespace.get(namespace);
      const versions = documents?.get(id);
      // A namespace dropped and created again holds only newer versions; this change's version went with the drop.
      if (!documents || !versions || versions[0].ts !== ts) continue;
      versions.shift();
      if (versions.length === 0) documents.delete(id);
      if (documents.size === 0) this.byNamespace.delete(namespace);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Forgets everything, when no transaction is open. */
  clear(): void {
    this.byNamespace.clear();
    this.queue.length = 0;
    this.head = 0;
  }

  /** Forgets a dropped namespace; the transactions that read it are aborted by the drop. */
  dropNamespace(namespace: string): void {
    this.byNamespace.delete(namespace);
  }
}
