// A React-style component, used by the syntax tests.
import React, { useState } from "react";
import { format } from "./format";

interface Props {
  title: string;
  items: string[];
}

export function ItemList({ title, items }: Props) {
  const [selected, setSelected] = useState<number>(-1);
  const visible = items.filter((item) => item.length > 0);
  return (
    <div className="list">
      <h2>{format(title)}</h2>
      <ul>
        {visible.map((item, index) => (
          <li key={index} onClick={() => setSelected(index)}>
            {index === selected ? <b>{item}</b> : item}
          </li>
        ))}
      </ul>
    </div>
  );
}

export class Counter extends React.Component<{ start: number }> {
  count: number = 0;

  increment(step: number): number {
    const next = this.count + step;
    this.count = next;
    return next;
  }

  render() {
    const label = `count ${this.count}`;
    return <span>{label}</span>;
  }
}

export default ItemList;
