// A bounded queue, used by the syntax tests.
package demo.queue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

public class BoundedQueue<T> {
    private final List<T> items = new ArrayList<>();
    private final int capacity;
    static final int DEFAULT_CAPACITY = 16;

    public BoundedQueue(int capacity) {
        this.capacity = capacity;
    }

    public boolean offer(T item) {
        if (items.size() >= capacity) {
            return false;
        }
        items.add(item);
        return true;
    }

    public int removeIf(Predicate<T> test) {
        int removed = 0;
        for (int i = items.size() - 1; i >= 0; i--) {
            T candidate = items.get(i);
            if (test.test(candidate)) {
                items.remove(i);
                removed++;
            }
        }
        return removed;
    }

    public List<T> snapshot() {
        List<T> copy = new ArrayList<>(items);
        copy.forEach(x -> System.out.println(x));
        return copy;
    }

    public static void main(String[] args) {
        BoundedQueue<String> queue = new BoundedQueue<>(DEFAULT_CAPACITY);
        for (String arg : args) {
            queue.offer(arg);
        }
        System.out.println(queue.snapshot());
    }
}
