import Foundation

/// A FIFO that blocking threads wait on: the hand-off between async callers and the store's
/// dedicated SQLite threads. `push` never blocks; `popAll`/`popOne` block until work or close.
final class BlockingQueue<Element>: @unchecked Sendable {
    // @unchecked: every stored property is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var items: [Element] = []
    private var head = 0
    private var closed = false

    /// Appends `element`; returns false (and drops it) once the queue is closed.
    func push(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        items.append(element)
        condition.signal()
        return true
    }

    /// Waits for work and takes all of it; nil once closed and drained.
    func popAll() -> [Element]? {
        condition.lock()
        defer { condition.unlock() }
        while items.count == head && !closed { condition.wait() }
        guard items.count > head else { return nil }
        let taken = head == 0 ? items : Array(items[head...])
        items.removeAll(keepingCapacity: true)
        head = 0
        return taken
    }

    /// Waits for work and takes the oldest item; nil once closed and drained.
    func popOne() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.count == head && !closed { condition.wait() }
        guard items.count > head else { return nil }
        let element = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        }
        return element
    }

    /// Items waiting to be taken.
    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count - head
    }

    /// Stops accepting work and wakes every waiter; queued work is still handed out.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
