//! Independent work spread over the machine's cores with std's scoped threads: the columns of a
//! drift report, and the columns of a batch of imported rows, need nothing from each other.

use std::sync::atomic::{AtomicUsize, Ordering};

/// How many threads to use: the cores this process may run on.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |cores| cores.get())
}

/// `work` applied to each item, results in the items' order. Threads take the next item as
/// they finish one, so a few slow items do not leave a core idle.
pub fn map<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads().min(items.len());
    if threads <= 1 {
        return items.iter().map(work).collect();
    }
    let next = AtomicUsize::new(0);
    let worker = || {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(index) else { return done };
            done.push((index, work(item)));
        }
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads).map(|_| scope.spawn(worker)).collect();
        let mut done = worker();
        for other in others {
            done.extend(other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        done
    });
    done.sort_unstable_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
}

/// `work` applied to each item in place, the items split into one run per thread.
pub fn for_each_mut<T: Send>(items: &mut [T], work: impl Fn(&mut T) + Sync) {
    let threads = threads().min(items.len());
    if threads <= 1 {
        return items.iter_mut().for_each(work);
    }
    let run = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let mut runs = items.chunks_mut(run);
        let first = runs.next();
        let others: Vec<_> = runs.map(|part| scope.spawn(|| part.iter_mut().for_each(&work))).collect();
        first.into_iter().flatten().for_each(&work);
        for other in others {
            other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_items_order_and_every_item_is_worked_once() {
        let items: Vec<u64> = (0..1_000).collect();
        let squares = map(&items, |n| n * n);
        assert_eq!(squares, items.iter().map(|n| n * n).collect::<Vec<_>>());
        let mut counts = vec![0u32; 37];
        for_each_mut(&mut counts, |count| *count += 1);
        assert!(counts.iter().all(|count| *count == 1));
        assert!(map(&[] as &[u8], |n| *n).is_empty());
    }
}
