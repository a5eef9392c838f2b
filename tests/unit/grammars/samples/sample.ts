// Typed inventory helpers, used by the syntax tests.
import { readFileSync } from "fs";
import type { Stats } from "fs";
import * as path from "path";

export interface Product {
  id: number;
  name: string;
  price: number;
  describe(): string;
}

type PriceMap = Map<string, number>;

enum Category {
  Food,
  Tools,
}

export class Inventory {
  private products: Product[] = [];

  constructor(private readonly owner: string) {}

  add(product: Product, quantity?: number): void {
    const copies = quantity ?? 1;
    for (let i = 0; i < copies; i++) {
      this.products.push(product);
    }
  }

  total(discount: number = 0): number {
    let sum = 0;
    for (const p of this.products) {
      sum += p.price;
    }
    return sum * (1 - discount);
  }
}

export function loadPrices(file: string): PriceMap {
  const raw = readFileSync(path.resolve(file), "utf8");
  const prices: PriceMap = new Map();
  raw.split("\n").forEach((line) => {
    const [name, price] = line.split(",");
    prices.set(name, Number(price));
  });
  return prices;
}

const cheapest = (items: Product[]): Product | undefined =>
  items.reduce((best, item) => (best && best.price < item.price ? best : item), items[0]);
