"use strict";
// Keeps the local Cosmos DB's databases, collections and documents across restarts of the run command:
// a JSON snapshot written (atomically, via rename) a moment after changes and when the emulator stops.
const fs = require("fs");
const path = require("path");
const { SEQUENCE } = require("./sql/evaluate");

const SYSTEM = ["_rid", "_self", "_etag", "_ts", "_docs", "_sprocs", "_triggers", "_udfs", "_conflicts"];
const withoutSystem = props => Object.fromEntries(Object.entries(props).filter(([k]) => !SYSTEM.includes(k)));
const itemsOf = items => [...items._data.values()].map(item => item.read());

class Persistence {
  constructor(directory, account, stores) {
    this.file = path.join(directory, "cosmos.json");
    this.account = account;
    this.stores = stores;
    this.savedVersion = null;
    fs.mkdirSync(directory, { recursive: true });
  }

  /** A number that changes whenever anything worth saving changes. */
  version() {
    let version = 0;
    for (const db of itemsOf(this.account.databases)) {
      version += 1;
      for (const coll of itemsOf(this.account.database(db.id).collections)) version += 1 + this.stores.get(coll).lsn * 1000;
    }
    return version;
  }

  load() {
    if (!fs.existsSync(this.file)) return;
    const saved = JSON.parse(fs.readFileSync(this.file, "utf8"));
    for (const { database, collections } of saved.databases) {
      this.account.databases.create(withoutSystem(database));
      const db = this.account.database(database.id);
      for (const { collection, sequence, lsn, documents } of collections) {
        db.collections.create(withoutSystem(collection));
        const store = this.stores.get(db.collection(collection.id).read());
        store.sequence = sequence;
        store.lsn = lsn;
        for (const [pk, seq, doc] of documents) {
          Object.defineProperty(doc, SEQUENCE, { value: seq, enumerable: false });
          store.partition(pk, true).set(doc.id, doc);
        }
      }
    }
    this.savedVersion = this.version();
  }

  save() {
    const version = this.version();
    if (version === this.savedVersion) return;
    const databases = itemsOf(this.account.databases).map(database => ({
      database,
      collections: itemsOf(this.account.database(database.id).collections).map(collection => {
        const store = this.stores.get(collection);
        const documents = [];
        for (const [pk, partition] of store.partitions) for (const doc of partition.values()) documents.push([pk, doc[SEQUENCE], doc]);
        return { collection, sequence: store.sequence, lsn: store.lsn, documents };
      }),
    }));
    const temporary = `${this.file}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify({ version: 1, databases }));
    fs.renameSync(temporary, this.file);
    this.savedVersion = version;
  }

  /** Saves at most every `intervalMs` while anything changed. */
  start(intervalMs = 1000) {
    this.timer = setInterval(() => this.save(), intervalMs);
    this.timer.unref();
  }

  stop() {
    clearInterval(this.timer);
    this.save();
  }
}

module.exports = { Persistence };
