// A small todo store, used by the syntax tests.
import fs from "fs";
import { join, basename as base } from "path";
import * as util from "util";
const EventEmitter = require("events");

const DEFAULTS = { limit: 50, sorted: true };

class TodoStore extends EventEmitter {
  constructor(dir) {
    super();
    this.dir = dir;
    this.items = [];
  }

  add(title, done = false) {
    const item = { title, done, created: Date.now() };
    this.items.push(item);
    this.emit("added", item);
    return item;
  }

  save(name) {
    const file = join(this.dir, base(name));
    const text = JSON.stringify(this.items, null, 2);
    fs.writeFileSync(file, text);
    return file;
  }
}

function pending(store, ...tags) {
  let count = 0;
  for (const item of store.items) {
    if (!item.done) {
      count += 1;
    }
  }
  return count + tags.length;
}

const describe = (store) => {
  const total = store.items.length;
  return util.format("%d todos (%d pending)", total, pending(store));
};

module.exports = { TodoStore, pending, describe, DEFAULTS };
